"""Many drains per worker process (webhooks.engine.dispatcher), through real qclusters: order per
webhook and per object with 40 webhooks at once through a kill -9 of one of two clusters; a
hanging receiver beside healthy ones; a fresh event beside a deep backlog; a worker recycled
mid-flight. Each cluster runs fewer workers than the webhooks it serves: with one drain per
worker, these receivers would hold up each other."""

import json
import time

from events.models import Task
from tests.e2e.conftest import wait_until
from tests.e2e.test_delivery import create_tasks, make_webhook, sent_task_ids
from tests.receiver import Reply
from webhooks.models import Attempt, Delivery, Ordering, Webhook

# Twenty times the workers of the two clusters: many drains per worker process at once.
HOOKS = 100


def _sent_objects_in_order(requests) -> dict[str, list[str]]:
    """Per object (`data._id`), the events' names in the order they first arrived."""
    by_object: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for request in requests:
        body = json.loads(request.body)
        key = (request.headers["webhook-id"], body["data"]["_id"])
        if key in seen:
            continue  # sent again after the kill: at-least-once
        seen.add(key)
        by_object.setdefault(body["data"]["_id"], []).append(body["data"]["name"])
    return by_object


def test_100_webhooks_keep_their_order_per_webhook_and_per_object_through_a_kill_9_of_one_of_two_clusters(
    start_cluster, receiver, company_a, workflow_a, settings
):
    paths = [f"/h{n}" for n in range(HOOKS)]
    for n, path in enumerate(paths):
        receiver.script(path, then=Reply(delay=0.02))
        ordering = {"ordering": Ordering.OBJECT, "max_in_flight": 4} if n % 2 else {}
        Webhook.objects.create(
            company=company_a,
            name=f"h{n}",
            code=f"h{n}",
            url=receiver.url(path),
            trigger="create-edit-delete-task",
            workflow=workflow_a,
            **ordering,
        )
    # Short leases, so that the killed cluster's queues are taken over within seconds; and a short
    # sweep, so that a doorbell the killed cluster had taken (its Redis de-duplication key held by
    # this process's ring and the clusters' alike) is rung again after 10 s rather than 60.
    settings.WEBHOOK_SWEEP_AFTER = 10
    env = {"Q_WORKERS": "1", "WEBHOOK_DRAIN_BUDGET": "2", "WEBHOOK_SWEEP_AFTER": "10"}
    doomed = start_cluster(**env)
    start_cluster(**env)
    tasks = [Task.objects.create(company=company_a, workflow=workflow_a, name=f"T{n} v0") for n in range(4)]
    for version in (1, 2):
        for task in tasks:
            task.name = f"{task.name.split()[0]} v{version}"
            task.save()
    events = len(tasks) * 3
    wait_until(
        lambda: len(receiver.requests) >= HOOKS * events // 5, timeout=120, message="a fifth delivered"
    )

    doomed.kill()

    for path in paths:
        receiver.wait_for(path, events, timeout=180)
    wait_until(lambda: not Delivery.objects.pending().exists(), timeout=120, message="every delivery settled")
    expected = {task.pk: [f"T{n} v0", f"T{n} v1", f"T{n} v2"] for n, task in enumerate(tasks)}
    for n, path in enumerate(paths):
        assert _sent_objects_in_order(receiver.on(path)) == expected, path
        if n % 2 == 0:  # webhook mode: the webhook's own order, one at a time
            firsts = list(dict.fromkeys(r.headers["webhook-id"] for r in receiver.on(path)))
            created = list(
                Delivery.objects.filter(webhook__code=f"h{n}")
                .order_by("id")
                .values_list("object_id", flat=True)
            )
            assert firsts == created, path
            assert receiver.peak[path] == 1, path
        else:
            assert receiver.peak[path] <= 4, path
    assert receiver.object_overlaps == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"success"}


def test_receivers_that_hang_hold_up_only_their_own_webhooks(start_cluster, receiver, company_a, workflow_a):
    healthy = make_webhook(company_a, workflow_a, receiver.url("/healthy"), code="healthy")
    for n in range(4):
        receiver.script(f"/hangs{n}", then=Reply(delay=30))
        make_webhook(company_a, workflow_a, receiver.url(f"/hangs{n}"), code=f"hangs{n}")
    # One worker, and attempts that end only at an 8 s deadline: with a drain per worker, the
    # healthy webhook would wait behind the hanging ones for 8 s and more.
    start_cluster(Q_WORKERS="1", WEBHOOK_TIMEOUT="8")

    late = []
    for n in range(5):
        created_at = time.monotonic()
        (task,) = create_tasks(workflow_a, 1, prefix=f"Event {n}")
        (request,) = [r for r in receiver.wait_for("/healthy", n + 1, timeout=60) if task in r.body.decode()]
        late.append(request.at - created_at)

    assert max(late) < 3, late
    # The receiver has the request before the worker's grouped commit records its answer.
    wait_until(
        lambda: Delivery.objects.filter(webhook=healthy, state="success").count() == 5,
        timeout=30,
        message="the healthy webhook's five deliveries recorded as success",
    )


def test_a_fresh_event_does_not_wait_behind_another_webhooks_deep_backlog(
    start_cluster, receiver, company_a, workflow_a, company_b
):
    from events.models import Workflow

    make_webhook(company_a, workflow_a, receiver.url("/backlog"), code="backlog")
    receiver.script("/backlog", then=Reply(delay=0.01))
    # 500 requests of 10 ms at least: the backlog is still being sent seconds after the fresh
    # event, which a drain per worker would hold up for longer than the bound below.
    backlog = create_tasks(workflow_a, 500, prefix="Backlog")
    other_workflow = Workflow.objects.create(company=company_b, name="Other", code="other")
    make_webhook(company_b, other_workflow, receiver.url("/fresh"), code="fresh")
    # One worker and the default 10 s budget: with a drain per worker, the backlog's drain would
    # keep the worker for 10 s at a time.
    start_cluster(Q_WORKERS="1")
    receiver.wait_for("/backlog", 20, timeout=60)

    created_at = time.monotonic()
    (fresh,) = create_tasks(other_workflow, 1, prefix="Fresh")

    (request,) = receiver.wait_for("/fresh", 1, timeout=60)
    assert request.at - created_at < 3
    assert len(receiver.on("/backlog")) < len(backlog)  # the backlog was still being sent
    assert sent_task_ids(receiver.wait_for("/backlog", len(backlog), timeout=180)) == backlog


def test_a_worker_recycled_mid_flight_loses_nothing_and_sends_nothing_twice(
    start_cluster, receiver, company_a, workflow_a
):
    paths = [f"/r{n}" for n in range(3)]
    for n, path in enumerate(paths):
        receiver.script(path, then=Reply(delay=0.3))
        make_webhook(company_a, workflow_a, receiver.url(path), code=f"r{n}")
    # django-q2 replaces the worker after every 3 doorbells, with requests in flight.
    cluster = start_cluster(Q_WORKERS="1", Q_RECYCLE="3")

    task_ids = create_tasks(workflow_a, 8)

    for path in paths:
        assert sent_task_ids(receiver.wait_for(path, len(task_ids), timeout=120)) == task_ids, path
    wait_until(lambda: not Delivery.objects.pending().exists(), timeout=60, message="every delivery settled")
    assert set(Delivery.objects.values_list("state", "attempts")) == {("success", 1)}
    assert receiver.overlaps == []
    assert not Attempt.objects.filter(after_lost_lease=True).exists()
    assert cluster.log_path.read_text().count("ready for work") >= 2  # recycled at least once
