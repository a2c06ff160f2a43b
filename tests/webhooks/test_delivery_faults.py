"""The drain when its database connection fails, and when it takes a queue over from a drain
that stopped answering (docs/delivery.md, "Faults"). The failing database is simulated at one
seam (the statement the drain is about to run raises what a cut connection raises); the receiver
is real."""

import json
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from events.models import Task
from tests.pg_faults import own_session_cut
from webhooks.engine import delivery as engine
from webhooks.engine import leasing
from webhooks.models import Attempt, Delivery, Ordering, Webhook


def create_tasks(workflow, count: int) -> list[str]:
    return [
        Task.objects.create(company=workflow.company, workflow=workflow, name=f"Task {n}").pk
        for n in range(count)
    ]


def sent_ids(requests) -> list[str]:
    return [json.loads(r.body)["data"]["_id"] for r in requests]


def failing(real, times: int):
    """`real`, after raising a lost connection's error `times` times."""
    calls = {"failed": 0}

    def call(*args, **kwargs):
        if calls["failed"] < times:
            calls["failed"] += 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    return call


@pytest.fixture
def short_lease(settings):
    """A lease of about a second, so that a database that never answers is given up on soon."""
    settings.WEBHOOK_DRAIN_BUDGET = 0.2
    settings.WEBHOOK_TIMEOUT = 0.5
    settings.WEBHOOK_LEASE_MARGIN = 0.1


def drains_queued() -> list[str]:
    return [SignedPackage.loads(task.payload)["args"][0] for task in OrmQ.objects.all()]


@pytest.mark.django_db(transaction=True)
def test_an_attempt_whose_record_meets_a_lost_connection_is_recorded_when_the_database_answers_not_sent_again(
    receiver, make_webhook, workflow_a, monkeypatch
):
    webhook = make_webhook(receiver.url("/hook"))
    tasks = create_tasks(workflow_a, 3)
    monkeypatch.setattr(engine, "attempt_record_write", failing(engine.attempt_record_write, times=3))

    assert engine.webhook_drain(webhook_id=webhook.pk) == 3

    assert sent_ids(receiver.on("/hook")) == tasks
    assert set(Delivery.objects.values_list("state", "attempts")) == {("success", 1)}
    assert Attempt.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_queue_read_that_meets_a_lost_connection_is_read_again_when_the_database_answers(
    receiver, make_webhook, workflow_a, monkeypatch
):
    webhook = make_webhook(receiver.url("/hook"))
    tasks = create_tasks(workflow_a, 2)
    monkeypatch.setattr(engine, "_next_batch", failing(engine._next_batch, times=2))

    engine.webhook_drain(webhook_id=webhook.pk)

    assert sent_ids(receiver.on("/hook")) == tasks


@pytest.mark.django_db(transaction=True)
def test_a_drain_the_database_does_not_answer_within_its_lease_gives_the_lease_back_and_rings_its_queue(
    receiver, make_webhook, workflow_a, monkeypatch, short_lease
):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 1)
    OrmQ.objects.all().delete()  # the doorbell the change rang
    monkeypatch.setattr(engine, "_next_batch", failing(engine._next_batch, times=10**6))

    with pytest.raises(OperationalError):
        engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.leased_until, webhook.lease_token) == (None, "")
    assert drains_queued() == [webhook.pk]
    assert receiver.on("/hook") == []


@pytest.mark.django_db(transaction=True)
def test_a_drain_that_cannot_lease_while_the_database_is_away_rings_its_queue_again(
    make_webhook, workflow_a, monkeypatch, short_lease
):
    webhook = make_webhook("http://127.0.0.1:9/hook")
    create_tasks(workflow_a, 1)
    OrmQ.objects.all().delete()
    monkeypatch.setattr(leasing, "queue_lease", failing(leasing.queue_lease, times=10**6))

    with pytest.raises(OperationalError):
        engine.webhook_drain(webhook_id=webhook.pk)

    assert drains_queued() == [webhook.pk]


def abandon_lease(webhook: Webhook) -> None:
    """As a drain killed mid-request leaves its queue: leased, the lease run out."""
    Webhook.objects.filter(pk=webhook.pk).update(
        leased_until=timezone.now() - timedelta(seconds=1), lease_token="0" * 32
    )


def test_the_drain_that_takes_over_a_lease_run_out_marks_its_first_attempt_as_a_possible_resend(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    first, second = create_tasks(workflow_a, 2)
    abandon_lease(webhook)

    engine.webhook_drain(webhook_id=webhook.pk)

    marks = dict(Attempt.objects.values_list("delivery__event__subject_id", "after_lost_lease"))
    assert marks == {first: True, second: False}
    webhook.refresh_from_db()
    assert webhook.lease_taken_over is False  # released: the next drain starts clean


def test_a_drain_after_a_released_lease_marks_nothing(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 2)

    engine.webhook_drain(webhook_id=webhook.pk)

    assert list(Attempt.objects.values_list("after_lost_lease", flat=True)) == [False, False]


def test_in_object_mode_the_first_max_in_flight_attempts_after_a_takeover_are_marked(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=2)
    create_tasks(workflow_a, 4)  # four objects
    abandon_lease(webhook)

    engine.webhook_drain(webhook_id=webhook.pk)

    assert sorted(Attempt.objects.values_list("after_lost_lease", flat=True)) == [False, False, True, True]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real cut connection: CI's PostgreSQL run")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_drain_whose_connection_is_cut_before_its_record_records_the_attempt_once(
    receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    tasks = create_tasks(workflow_a, 3)
    cut = {"done": False}

    def cut_before_the_first_record(execute, sql, params, many, context):
        if not cut["done"] and Attempt._meta.db_table in sql:
            cut["done"] = True
            own_session_cut()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(cut_before_the_first_record):
        engine.webhook_drain(webhook_id=webhook.pk)

    assert cut["done"]
    assert sent_ids(receiver.on("/hook")) == tasks
    assert set(Delivery.objects.values_list("state", "attempts")) == {("success", 1)}
