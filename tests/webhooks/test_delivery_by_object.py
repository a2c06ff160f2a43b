"""`object` mode in-process: in order per object, several objects in flight, against a real
loopback receiver (docs/delivery.md, "Ordered per object")."""

import json
import threading
from collections import defaultdict

from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Task
from tests.receiver import Reply
from webhooks import services
from webhooks.engine import by_object, leasing
from webhooks.engine import delivery as engine
from webhooks.models import Delivery, Ordering, Webhook

# Long enough that requests sent together are surely in progress together, however slow the machine.
SLOW = Reply(200, delay=0.2)


def tasks_with_edits(workflow, objects: int, edits: int) -> list[tuple[str, str]]:
    """Creates `objects` tasks and edits each `edits` times, interleaved; returns the expected
    (task id, name) of every event, in capture order."""
    tasks = [
        Task.objects.create(company=workflow.company, workflow=workflow, name="v0") for _ in range(objects)
    ]
    expected = [(task.pk, "v0") for task in tasks]
    for edit in range(1, edits + 1):
        for task in tasks:
            task.name = f"v{edit}"
            task.save()
            expected.append((task.pk, task.name))
    return expected


def received(receiver, path: str = "/hook") -> list[tuple[str, str]]:
    return [
        (body["data"]["_id"], body["data"]["name"])
        for body in (json.loads(r.body) for r in receiver.on(path))
    ]


def per_object(events: list[tuple[str, str]]) -> dict[str, list[str]]:
    names = defaultdict(list)
    for object_id, name in events:
        names[object_id].append(name)
    return dict(names)


def test_it_sends_each_objects_events_in_order_with_several_objects_in_flight(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    receiver.script("/hook", then=SLOW)
    expected = tasks_with_edits(workflow_a, objects=6, edits=2)

    assert engine.webhook_drain(webhook_id=webhook.pk) == 18

    assert per_object(received(receiver)) == per_object(expected)
    assert receiver.object_overlaps == []
    assert 2 <= receiver.peak["/hook"] <= 4
    assert Delivery.objects.filter(state="success").count() == 18


def test_it_never_has_more_than_max_in_flight_requests_at_once(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=2)
    receiver.script("/hook", then=SLOW)
    tasks_with_edits(workflow_a, objects=8, edits=0)

    engine.webhook_drain(webhook_id=webhook.pk)

    assert len(receiver.on("/hook")) == 8
    assert receiver.peak["/hook"] == 2


def test_in_webhook_mode_one_request_is_in_flight_whatever_max_in_flight_says(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.WEBHOOK, max_in_flight=8)
    receiver.script("/hook", then=Reply(200, delay=0.02))
    expected = tasks_with_edits(workflow_a, objects=4, edits=1)

    engine.webhook_drain(webhook_id=webhook.pk)

    assert received(receiver) == expected
    assert receiver.peak["/hook"] == 1


def test_an_object_waiting_for_its_retry_holds_back_only_its_own_later_events(
    db, receiver, make_webhook, workflow_a, settings
):
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    expected = tasks_with_edits(workflow_a, objects=3, edits=2)
    refused = expected[0][0]
    receiver.refuse_object("/hook", refused, Reply(503))

    assert engine.webhook_drain(webhook_id=webhook.pk) == 7

    sent = per_object(received(receiver))
    assert sent[refused] == ["v0"]  # tried once; its edits wait behind its retry
    assert {k: v for k, v in sent.items() if k != refused} == {
        k: v for k, v in per_object(expected).items() if k != refused
    }
    waiting = Delivery.objects.filter(state="pending").order_by("id")
    assert [d.event.subject_id for d in waiting] == [refused] * 3
    head = waiting[0]
    assert (head.attempts, head.status_code) == (1, 503)
    assert Webhook.objects.get(pk=webhook.pk).wake_at == head.next_attempt_at


def test_a_failed_delivery_lets_its_objects_next_event_go(
    db, receiver, make_webhook, workflow_a, fast_retries
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    expected = tasks_with_edits(workflow_a, objects=2, edits=1)
    refused = expected[0][0]
    receiver.refuse_object("/hook", refused, Reply(500))

    engine.webhook_drain(webhook_id=webhook.pk)

    # Each of its events tried three times, the edit only once the create had failed.
    assert per_object(received(receiver))[refused] == ["v0"] * 3 + ["v1"] * 3
    states = dict(Delivery.objects.filter(event__subject_id=refused).values_list("event__action", "state"))
    assert states == {"create": "failed", "edit": "failed"}
    assert Delivery.objects.filter(state="success").count() == 2
    assert receiver.object_overlaps == []


def test_what_was_queued_before_a_switch_to_object_mode_keeps_the_webhooks_order(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", then=Reply(200, delay=0.02))
    before = tasks_with_edits(workflow_a, objects=3, edits=0)
    webhook.refresh_from_db()
    services.webhook_update(webhook=webhook, ordering=Ordering.OBJECT, max_in_flight=4)
    after = tasks_with_edits(workflow_a, objects=4, edits=1)

    engine.webhook_drain(webhook_id=webhook.pk)

    events = received(receiver)
    # The three queued before the switch went first, one at a time and in order...
    assert events[:3] == before
    assert receiver.on("/hook")[3].at >= receiver.on("/hook")[2].at
    # ...then the rest, in order per object.
    assert per_object(events[3:]) == per_object(after)
    assert receiver.object_overlaps == []
    switched = Webhook.objects.get(pk=webhook.pk)
    assert switched.per_object_after == Delivery.objects.order_by("id")[2].pk


def test_switching_back_to_webhook_mode_sends_whats_pending_in_id_order(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    expected = tasks_with_edits(workflow_a, objects=3, edits=1)
    services.webhook_update(webhook=webhook, ordering=Ordering.WEBHOOK)

    engine.webhook_drain(webhook_id=webhook.pk)

    assert received(receiver) == expected
    assert receiver.peak["/hook"] == 1


def test_an_event_without_an_object_is_sent_alone_in_the_webhooks_order(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    receiver.script("/hook", then=Reply(200, delay=0.02))
    tasks_with_edits(workflow_a, objects=3, edits=0)
    # An event whose object is unknown (the row as a script could have stored it).
    Delivery.objects.order_by("id")[1].event.__class__.objects.filter(
        pk=Delivery.objects.order_by("id")[1].event_id
    ).update(subject_id="")
    tasks_with_edits(workflow_a, objects=2, edits=0)

    engine.webhook_drain(webhook_id=webhook.pk)

    requests = receiver.on("/hook")
    ids = [json.loads(r.body)["data"]["_id"] for r in requests]
    stored = list(Delivery.objects.order_by("id").values_list("event__subject_id", flat=True))
    position = ids.index(json.loads(Delivery.objects.order_by("id")[1].event.body)["data"]["_id"])
    # Everything before it was sent before it, everything after it after it.
    assert position == 1
    assert set(ids[:1]) == {stored[0]} and len(ids) == 5
    assert receiver.object_overlaps == []


def test_a_delivery_queued_while_the_drain_finishes_is_picked_up_by_the_same_drain(
    db, receiver, make_webhook, workflow_a, monkeypatch
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    tasks_with_edits(workflow_a, objects=2, edits=0)
    real_release = leasing.queue_release
    arrived = []

    def a_delivery_arrives_before_the_release(**kwargs):
        if not arrived:
            arrived.append(Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="late"))
        return real_release(**kwargs)

    monkeypatch.setattr(leasing, "queue_release", a_delivery_arrives_before_the_release)
    monkeypatch.setattr(engine.doorbell, "ring_on_commit", lambda **kwargs: None)  # its doorbell lost

    assert engine.webhook_drain(webhook_id=webhook.pk) == 3
    assert Delivery.objects.filter(state="pending").count() == 0


def test_a_deactivation_stops_an_object_mode_drain_before_its_next_requests(
    db, receiver, make_webhook, workflow_a, monkeypatch
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=1)
    tasks_with_edits(workflow_a, objects=3, edits=0)
    real_record = engine.delivery_record

    def deactivated_during_the_first_request(**kwargs):
        Webhook.objects.filter(pk=webhook.pk).update(is_active=False)  # e.g. from the panel
        return real_record(**kwargs)

    monkeypatch.setattr(engine, "delivery_record", deactivated_during_the_first_request)

    assert engine.webhook_drain(webhook_id=webhook.pk) == 1
    assert Delivery.objects.filter(state="pending").count() == 2


def test_the_drain_reads_the_queue_a_batch_at_a_time_and_records_each_delivery_once(
    db, receiver, make_webhook, workflow_a, monkeypatch
):
    # A queue read to its end is read again after REREAD_SECONDS while responses are awaited;
    # on a busy machine one response can take that long, so that re-read is kept out of this count.
    monkeypatch.setattr(by_object, "REREAD_SECONDS", 3600)
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=8)
    tasks_with_edits(workflow_a, objects=10, edits=0)

    with CaptureQueriesContext(connection) as queries:
        assert engine.webhook_drain(webhook_id=webhook.pk) == 10

    sql = [q["sql"] for q in queries.captured_queries]
    records = [s for s in sql if "UPDATE" in s and "webhooks_delivery" in s and "attempts" in s]
    batch_reads = [s for s in sql if s.startswith("SELECT") and "subject_id" in s and "LIMIT" in s]
    assert len(records) == 10
    assert len(batch_reads) == 1  # 10 < one batch; a short batch means the queue is read
    assert by_object.BATCH > 10


def edits_of_one_object(workflow, count: int) -> tuple[str, list[str]]:
    task = Task.objects.create(company=workflow.company, workflow=workflow, name="v0")
    for edit in range(1, count):
        task.name = f"v{edit}"
        task.save()
    return task.pk, [f"v{n}" for n in range(count)]


def test_an_object_with_a_long_backlog_waiting_for_its_retry_does_not_hold_back_the_others(
    db, receiver, make_webhook, workflow_a, settings, monkeypatch
):
    monkeypatch.setattr(by_object, "HOLD_PER_OBJECT", 2)
    monkeypatch.setattr(by_object, "BUFFER", 4)
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    refused, _ = edits_of_one_object(workflow_a, 10)  # far more than the drain may hold
    receiver.refuse_object("/hook", refused, Reply(503))
    others = tasks_with_edits(workflow_a, objects=5, edits=1)

    engine.webhook_drain(webhook_id=webhook.pk)

    sent = per_object(received(receiver))
    assert sent.pop(refused) == ["v0"]
    assert sent == per_object(others)
    assert Delivery.objects.filter(state="pending").count() == 10


def test_with_the_buffer_full_of_objects_waiting_for_their_retry_the_walk_goes_on_to_the_others(
    db, receiver, make_webhook, workflow_a, settings, monkeypatch
):
    monkeypatch.setattr(by_object, "BATCH", 4)
    monkeypatch.setattr(by_object, "HOLD_PER_OBJECT", 2)
    monkeypatch.setattr(by_object, "BUFFER", 4)  # the two refused objects' held deliveries fill it
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    refused = [edits_of_one_object(workflow_a, 10)[0] for _ in range(2)]
    for subject in refused:
        receiver.refuse_object("/hook", subject, Reply(503))
    others = tasks_with_edits(workflow_a, objects=5, edits=1)

    engine.webhook_drain(webhook_id=webhook.pk)

    sent = per_object(received(receiver))
    assert [sent.pop(subject) for subject in refused] == [["v0"], ["v0"]]
    assert sent == per_object(others)
    assert receiver.object_overlaps == []
    assert Delivery.objects.filter(state="pending").count() == 20
    assert Delivery.objects.filter(state="success").count() == 10


def test_an_objects_deliveries_past_what_the_drain_holds_are_read_again_by_object_in_order(
    db, receiver, make_webhook, workflow_a, monkeypatch
):
    monkeypatch.setattr(by_object, "HOLD_PER_OBJECT", 2)
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=3)
    receiver.script("/hook", then=Reply(200, delay=0.01))
    first, first_names = edits_of_one_object(workflow_a, 7)
    others = tasks_with_edits(workflow_a, objects=3, edits=2)
    second, second_names = edits_of_one_object(workflow_a, 5)

    with CaptureQueriesContext(connection) as queries:
        assert engine.webhook_drain(webhook_id=webhook.pk) == 7 + 9 + 5

    sent = per_object(received(receiver))
    assert sent.pop(first) == first_names
    assert sent.pop(second) == second_names
    assert sent == per_object(others)
    assert receiver.object_overlaps == []
    by_object_reads = [q["sql"] for q in queries.captured_queries if '"subject_id" = ' in q["sql"]]
    assert len(by_object_reads) >= 3  # the first object's 7 deliveries, 2 held at a time


def test_once_the_budget_is_spent_no_further_attempt_starts_even_with_free_slots(
    db, receiver, make_webhook, workflow_a, settings, monkeypatch
):
    settings.WEBHOOK_DRAIN_BUDGET = 0
    rung = []
    monkeypatch.setattr(engine.doorbell, "ring", lambda **kwargs: rung.append(kwargs))
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    tasks_with_edits(workflow_a, objects=3, edits=0)

    # As in `webhook` mode, a zero budget still sends one delivery per drain: the budget is
    # checked before each further attempt, not once per pass over the free slots.
    assert engine.webhook_drain(webhook_id=webhook.pk) == 1

    assert rung == [{"webhook_ids": [webhook.pk]}]
    assert Delivery.objects.filter(state="pending").count() == 2


def test_an_error_in_a_sender_thread_is_recorded_as_a_failed_attempt_and_the_others_go_on(
    db, receiver, make_webhook, workflow_a, fast_retries, monkeypatch
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    receiver.script("/hook", then=SLOW)
    expected = tasks_with_edits(workflow_a, objects=3, edits=1)
    broken = expected[0][0]
    real_post = engine.http.post_json

    def post_json(url, body, headers):
        if json.loads(body)["data"]["_id"] == broken:
            raise RuntimeError("a bug below the engine")
        return real_post(url, body, headers)

    monkeypatch.setattr(engine.http, "post_json", post_json)

    assert engine.webhook_drain(webhook_id=webhook.pk) == 4 + 3 * 2

    sent = per_object(received(receiver))
    assert broken not in sent
    assert sent == {k: v for k, v in per_object(expected).items() if k != broken}  # each once
    failed = Delivery.objects.filter(event__subject_id=broken).order_by("id")
    assert [(d.state, d.attempts, d.status_code) for d in failed] == [("failed", 3, None)] * 2
    assert Delivery.objects.filter(state="success").count() == 4
    webhook.refresh_from_db()
    assert webhook.leased_until is None


def test_a_delivery_queued_while_a_slow_request_is_in_flight_goes_out_without_waiting_for_it(
    transactional_db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"), ordering=Ordering.OBJECT, max_in_flight=4)
    slow = Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="slow")
    receiver.refuse_object("/hook", slow.pk, Reply(200, delay=10.0))

    def queue_another_once_the_slow_one_is_out():
        from django.db import connection as thread_connection

        receiver.wait_for("/hook", 1, timeout=30)
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="later")
        thread_connection.close()

    thread = threading.Thread(target=queue_another_once_the_slow_one_is_out)
    thread.start()
    assert engine.webhook_drain(webhook_id=webhook.pk) == 2
    thread.join()

    first, second = receiver.on("/hook")
    assert json.loads(second.body)["data"]["name"] == "later"
    # Sent while the slow request was still out, not after its answer.
    assert receiver.peak["/hook"] == 2
