"""Order under concurrency and crashes: several workers, two clusters, kill -9."""

import json
import threading

from events.models import Task
from tests.e2e.conftest import wait_until
from tests.receiver import Reply
from webhooks.models import Delivery, Trigger, Webhook


def three_webhooks(company, workflow, receiver) -> list[str]:
    paths = ["/one", "/two", "/three"]
    for path in paths:
        code = path.strip("/")
        Webhook.objects.create(
            company=company,
            name=code,
            code=code,
            url=receiver.url(path),
            trigger=Trigger.TASK,
            workflow=workflow,
        )
    return paths


def delivered_ids(requests) -> list[str]:
    """Task ids in arrival order, with at-least-once repeats of one delivery collapsed."""
    ids, last_message = [], None
    for request in requests:
        message = request.headers["webhook-id"]
        if message != last_message:
            ids.append(json.loads(request.body)["data"]["_id"])
        last_message = message
    return ids


def create_tasks_in_background(workflow, count: int) -> tuple[threading.Thread, list[str]]:
    created: list[str] = []

    def create() -> None:
        from django.db import connection

        for n in range(count):
            created.append(Task.objects.create(company=workflow.company, workflow=workflow, name=f"T{n}").pk)
        connection.close()

    thread = threading.Thread(target=create)
    thread.start()
    return thread, created


def test_two_clusters_of_four_workers_keep_each_webhooks_order(
    start_cluster, receiver, company_a, workflow_a
):
    paths = three_webhooks(company_a, workflow_a, receiver)
    for path in paths:
        # One early failure per webhook, so retries interleave with fresh deliveries.
        receiver.script(path, Reply(200, delay=0.01), Reply(500), then=Reply(200, delay=0.002))
    start_cluster(Q_WORKERS="4", WEBHOOK_RETRY_DELAY="0.3")
    start_cluster(Q_WORKERS="4", WEBHOOK_RETRY_DELAY="0.3")

    # 100 tasks: each webhook's retry comes while its later events are queued and the eight
    # workers of two clusters are free to take them (thousands of events: bench/throughput.py).
    task_ids = [
        Task.objects.create(company=company_a, workflow=workflow_a, name=f"T{n}").pk for n in range(100)
    ]

    for path in paths:
        receiver.wait_for(path, 101, timeout=240)
    wait_until(lambda: not Delivery.objects.filter(state="pending").exists(), message="no pending deliveries")
    for path in paths:
        requests = receiver.on(path)
        # One retry per webhook and no duplicate: nothing crashed, so nothing is sent twice.
        assert len(requests) == 101, path
        assert delivered_ids(requests) == task_ids, path
    assert receiver.overlaps == []
    assert Delivery.objects.filter(state="success").count() == 300


def test_a_cluster_killed_mid_run_loses_nothing_and_keeps_order_after_restart(
    start_cluster, receiver, company_a, workflow_a
):
    paths = three_webhooks(company_a, workflow_a, receiver)
    for path in paths:
        receiver.script(path, then=Reply(200, delay=0.02))
    # A short drain budget, hence a short lease: the restarted cluster takes the killed one's
    # queues over within seconds rather than after the default 17 s lease.
    fast_lease = {"Q_WORKERS": "4", "WEBHOOK_DRAIN_BUDGET": "2"}
    cluster = start_cluster(**fast_lease)
    thread, task_ids = create_tasks_in_background(workflow_a, 100)

    wait_until(lambda: len(receiver.on("/one")) >= 30, message="30 deliveries before the crash")
    cluster.kill()  # returns once every process of the cluster is gone
    thread.join()
    start_cluster(**fast_lease)

    for path in paths:
        wait_until(
            lambda path=path: len(set(delivered_ids(receiver.on(path)))) >= 100, timeout=120, message=path
        )
        assert delivered_ids(receiver.on(path)) == task_ids, path
    wait_until(lambda: not Delivery.objects.filter(state="pending").exists(), message="no pending deliveries")
    assert Delivery.objects.filter(state="success").count() == 300
