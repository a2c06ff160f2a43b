"""Doorbells: a committed change rings its webhooks once; the caller pays only for the outbox rows.

With the ORM broker the doorbell is an outbox row written in the caller's
transaction; with Redis it is broker-only, after commit, with no SQL.
"""

import pytest
import redis
from django.db import connection, transaction
from django_q.models import OrmQ

from events.models import Task
from tests.webhooks.conftest import queued_drains
from webhooks.engine import delivery as engine
from webhooks.engine import doorbell, leasing
from webhooks.models import Delivery, Event, Trigger, Webhook


def drain_tasks_in_orm_queue() -> list[tuple]:
    return [row.task["args"] for row in OrmQ.objects.order_by("id")]


@pytest.fixture
def hook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a,
        name="Orders",
        code="orders",
        url="https://example.com/",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


@pytest.mark.django_db(transaction=True)
def test_orm_a_rolled_back_change_leaves_no_event_no_delivery_and_no_doorbell(hook, workflow_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Never")
        assert drain_tasks_in_orm_queue() == [(hook.pk,)]  # written with the change...
        raise RuntimeError("roll back")

    assert (Event.objects.count(), Delivery.objects.count(), drain_tasks_in_orm_queue()) == (0, 0, [])


@pytest.mark.django_db(transaction=True)
def test_orm_a_webhook_with_a_drain_queued_is_not_rung_again_until_the_drain_starts(hook, workflow_a):
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="First")
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Second")
    assert drain_tasks_in_orm_queue() == [(hook.pk,)]

    leasing.queue_lease(webhook_id=hook.pk)  # another drain holds the queue
    assert engine.webhook_drain(webhook_id=hook.pk) == 0  # this one answered the doorbell
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Third")

    assert drain_tasks_in_orm_queue() == [(hook.pk,)] * 2


@pytest.mark.django_db(transaction=True)
def test_orm_the_clock_rings_past_the_flag_so_a_lost_task_cannot_silence_a_webhook(hook, workflow_a):
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="First")

    doorbell.ring(webhook_ids=[hook.pk], force=True)

    assert drain_tasks_in_orm_queue() == [(hook.pk,)] * 2


def test_webhooks_rung_together_are_shared_among_about_one_task_per_worker(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    ids = [f"w{n}" for n in range(5)]

    assert doorbell.ring_shares(ids) == [["w0", "w1", "w2"], ["w3", "w4"]]
    assert doorbell.ring_shares(["w0"]) == [["w0"]]
    assert [len(share) for share in doorbell.ring_shares([f"w{n}" for n in range(230)])] == [50] * 4 + [30]


@pytest.mark.django_db(transaction=True)
def test_orm_a_change_that_fans_out_to_many_webhooks_queues_a_few_tasks_carrying_them_all(
    company_a, workflow_a, settings
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    hooks = [
        Webhook.objects.create(
            company=company_a,
            name=f"H{n}",
            code=f"h{n}",
            url="https://example.com/",
            trigger=Trigger.TASK,
            workflow=workflow_a,
        )
        for n in range(5)
    ]
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Fans out")

    tasks = drain_tasks_in_orm_queue()
    assert [len(args) for args in tasks] == [3, 2]
    assert sorted(pk for args in tasks for pk in args) == sorted(hook.pk for hook in hooks)


# --- Redis broker ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_redis_no_query_runs_after_commit_on_the_callers_path(hook, workflow_a, redis_broker):
    statements: list[tuple[bool, str]] = []
    committed = []

    def record(execute, sql, params, many, context):
        statements.append((bool(committed), sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record), transaction.atomic():
        # Registered first, so it runs first after the commit: it marks "after commit".
        transaction.on_commit(lambda: committed.append(True))
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Hello")

    assert committed == [True]
    assert [sql for after, sql in statements if after] == []
    assert any("webhooks_delivery" in sql for _, sql in statements)  # the outbox rows, before it
    assert queued_drains(redis_broker) == [(hook.pk,)]


@pytest.mark.django_db(transaction=True)
def test_redis_a_rolled_back_change_rings_nothing(hook, workflow_a, redis_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Never")
        raise RuntimeError("roll back")

    assert (Delivery.objects.count(), queued_drains(redis_broker)) == (0, [])


@pytest.mark.django_db(transaction=True)
def test_redis_rings_once_until_the_drain_starts_then_again(hook, workflow_a, redis_broker):
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="First")
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Second")
    assert queued_drains(redis_broker) == [(hook.pk,)]

    leasing.queue_lease(webhook_id=hook.pk)  # another drain holds the queue
    assert engine.webhook_drain(webhook_id=hook.pk) == 0  # this one answered the doorbell
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Third")

    assert queued_drains(redis_broker) == [(hook.pk,)] * 2


@pytest.mark.django_db(transaction=True)
def test_redis_a_broker_error_after_commit_keeps_the_change_and_its_deliveries(
    hook, workflow_a, redis_broker, monkeypatch
):
    def broken(**kwargs):
        raise redis.ConnectionError("broker down")

    monkeypatch.setattr("webhooks.engine.doorbell.ring", broken)

    with transaction.atomic():
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Kept")

    assert Delivery.objects.filter(webhook=hook).count() == 1  # the clock will ring it


@pytest.mark.django_db(transaction=True)
def test_orm_a_drain_that_started_before_the_commit_is_followed_by_a_new_one(hook, workflow_a):
    Webhook.objects.filter(pk=hook.pk).update(ring_queued=True)  # a drain is queued

    with transaction.atomic():
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="During")
        assert drain_tasks_in_orm_queue() == []  # the queued drain will find it...
        # ...unless it starts before this commit (it clears the flag when it starts).
        Webhook.objects.filter(pk=hook.pk).update(ring_queued=False)

    if connection.vendor == "sqlite":
        # One writer at a time: that drain's lease waited for the commit and saw the delivery.
        assert drain_tasks_in_orm_queue() == []
    else:
        assert drain_tasks_in_orm_queue() == [(hook.pk,)]
