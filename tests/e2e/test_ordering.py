"""`object` mode end to end: real qclusters, a receiver that takes 50 ms a request, two clusters,
kill -9, and an object the receiver keeps refusing (docs/delivery.md, "Ordered per object").

Enough objects to keep max_in_flight (8) busy, and enough events per object for an out-of-order or
overlapping send to show; the volume (thousands of events) is bench/ordering.py's."""

import json
from collections import defaultdict

from events.models import Task
from tests.e2e.conftest import wait_until
from tests.receiver import Reply
from webhooks.models import Delivery, Ordering, Trigger, Webhook

PATH = "/objects"
SLOW = Reply(200, delay=0.05)


def object_webhook(company, workflow, receiver, max_in_flight: int = 8) -> Webhook:
    return Webhook.objects.create(
        company=company,
        name="Objects",
        code="objects",
        url=receiver.url(PATH),
        trigger=Trigger.TASK,
        workflow=workflow,
        ordering=Ordering.OBJECT,
        max_in_flight=max_in_flight,
    )


def events_of_objects(workflow, objects: int, events: int) -> dict[str, list[str]]:
    """Creates `objects` tasks and edits each `events - 1` times, round by round; returns each
    task's names in the order its events were captured."""
    tasks = [
        Task.objects.create(company=workflow.company, workflow=workflow, name="v0") for _ in range(objects)
    ]
    for edit in range(1, events):
        for task in tasks:
            task.name = f"v{edit}"
            task.save()
    return {task.pk: [f"v{n}" for n in range(events)] for task in tasks}


def received_per_object(receiver) -> dict[str, list[str]]:
    """Each object's names in arrival order, a delivery sent again (at-least-once, after a
    crash) counted once when it arrives right after itself."""
    names, last = defaultdict(list), {}
    for request in receiver.on(PATH):
        data = json.loads(request.body)["data"]
        message = request.headers["webhook-id"]
        if last.get(data["_id"]) != message:
            names[data["_id"]].append(data["name"])
        last[data["_id"]] = message
    return dict(names)


def nothing_pending() -> bool:
    return not Delivery.objects.filter(state="pending").exists()


def test_two_clusters_deliver_200_events_of_40_objects_in_order_per_object(
    start_cluster, receiver, company_a, workflow_a
):
    object_webhook(company_a, workflow_a, receiver, max_in_flight=8)
    receiver.script(PATH, then=SLOW)
    # Captured before the clusters start: with everything queued, requests overlap whatever the
    # speed of capture on a busy machine (captured while delivering, one at a time could keep up).
    # 40 objects: five times the 8 in flight, so the cap is what holds the peak down.
    expected = events_of_objects(workflow_a, objects=40, events=5)
    start_cluster(Q_WORKERS="2")
    start_cluster(Q_WORKERS="2")

    wait_until(nothing_pending, timeout=300, message="every delivery done")
    assert received_per_object(receiver) == expected
    assert len(receiver.on(PATH)) == 200  # nothing crashed: nothing sent twice
    assert receiver.object_overlaps == []
    assert 2 <= receiver.peak[PATH] <= 8
    assert Delivery.objects.filter(state="success").count() == 200


def test_a_cluster_killed_mid_run_loses_nothing_and_keeps_each_objects_order(
    start_cluster, receiver, company_a, workflow_a
):
    object_webhook(company_a, workflow_a, receiver, max_in_flight=8)
    receiver.script(PATH, then=SLOW)
    fast_lease = {"Q_WORKERS": "2", "WEBHOOK_DRAIN_BUDGET": "2"}
    # Captured before the clusters start, so that the crash comes mid-run however slow capture
    # is: 8 requests of 50 ms at a time (160 a second at most) cannot deliver the 280 left
    # between two looks.
    expected = events_of_objects(workflow_a, objects=40, events=10)
    doomed = [start_cluster(**fast_lease), start_cluster(**fast_lease)]

    wait_until(lambda: len(receiver.on(PATH)) >= 120, timeout=120, message="120 requests before the crash")
    for cluster in doomed:  # both: whichever holds the queue dies with requests in flight
        cluster.kill()
    assert len(receiver.on(PATH)) < 400
    start_cluster(**fast_lease)
    start_cluster(**fast_lease)

    wait_until(nothing_pending, timeout=300, message="every delivery done")
    assert received_per_object(receiver) == expected
    assert receiver.object_overlaps == []
    assert receiver.peak[PATH] <= 8
    assert Delivery.objects.filter(state="success").count() == 400
    sent = {request.headers["webhook-id"] for request in receiver.on(PATH)}
    assert sent == set(Delivery.objects.values_list("object_id", flat=True))


def test_an_object_the_receiver_keeps_refusing_delays_only_that_object(
    start_cluster, receiver, company_a, workflow_a
):
    object_webhook(company_a, workflow_a, receiver, max_in_flight=4)
    receiver.script(PATH, then=Reply(200, delay=0.01))
    expected = events_of_objects(workflow_a, objects=20, events=4)
    refused = next(iter(expected))
    receiver.refuse_object(PATH, refused, Reply(503))
    # Each of its events is tried 3 times, 2 s apart, before it fails and the next may go: its
    # last event cannot be done before 4 x 2 x 2 = 16 s.
    start_cluster(WEBHOOK_RETRY_DELAY="2", WEBHOOK_MAX_ATTEMPTS="3")
    start_cluster(WEBHOOK_RETRY_DELAY="2", WEBHOOK_MAX_ATTEMPTS="3")

    others = Delivery.objects.exclude(event__subject_id=refused)
    wait_until(lambda: not others.filter(state="pending").exists(), timeout=120, message="the others done")
    # The others are all delivered while the refused object's events still wait their turn.
    refused_deliveries = Delivery.objects.filter(event__subject_id=refused)
    assert refused_deliveries.filter(state="pending").exists()
    assert others.filter(state="success").count() == 76

    wait_until(nothing_pending, timeout=120, message="the refused object's events failed")
    assert set(refused_deliveries.values_list("state", "attempts")) == {("failed", 3)}
    tries = [json.loads(r.body)["data"] for r in receiver.on(PATH)]
    assert [data["name"] for data in tries if data["_id"] == refused] == [
        name for name in expected[refused] for _ in range(3)
    ]
    arrived = received_per_object(receiver)
    assert {k: v for k, v in arrived.items() if k != refused} == {
        k: v for k, v in expected.items() if k != refused
    }
    assert receiver.object_overlaps == []
