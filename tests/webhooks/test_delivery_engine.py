"""The engine in-process: drains against a real loopback receiver, no cluster."""

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook as StandardWebhook

from events.models import Task
from tests.receiver import Reply
from webhooks import services
from webhooks.engine import delivery as engine
from webhooks.engine import http, leasing, resend
from webhooks.models import Attempt, Delivery, Webhook


def create_tasks(workflow, count: int) -> list[Task]:
    return [
        Task.objects.create(company=workflow.company, workflow=workflow, name=f"Task {n}")
        for n in range(count)
    ]


def test_it_posts_the_stored_event_signed_with_the_webhook_secret(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 1)

    assert engine.webhook_drain(webhook_id=webhook.pk) == 1

    (request,) = receiver.on("/hook")
    delivery = Delivery.objects.get()
    assert request.body.decode() == delivery.event.body
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("CotalkerWebhooks/")
    assert request.headers["webhook-id"] == delivery.object_id
    verified = StandardWebhook(webhook.secret).verify(request.body, request.headers)
    assert verified["type"] == "COTTask" and verified["event"] == "create"
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("success", 1, 200)
    assert delivery.response == '{"ok": true}'


def test_it_delivers_a_webhooks_events_in_creation_order(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    tasks = create_tasks(workflow_a, 5)

    engine.webhook_drain(webhook_id=webhook.pk)

    sent_ids = [json.loads(r.body)["data"]["_id"] for r in receiver.on("/hook")]
    assert sent_ids == [task.pk for task in tasks]


def test_it_retries_with_the_same_webhook_id_until_success(
    db, receiver, make_webhook, workflow_a, fast_retries
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(500), Reply(500))
    create_tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    requests = receiver.on("/hook")
    assert len(requests) == 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("success", 3, 200)
    assert list(Attempt.objects.values_list("number", "status_code")) == [(1, 500), (2, 500), (3, 200)]


def test_it_waits_for_the_retry_delay_before_the_next_attempt(
    db, receiver, make_webhook, workflow_a, settings
):
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(503))
    create_tasks(workflow_a, 2)

    engine.webhook_drain(webhook_id=webhook.pk)

    # Only the first event was tried; the second waits behind its retry.
    assert len(receiver.on("/hook")) == 1
    first, second = Delivery.objects.order_by("id")
    assert (first.state, first.attempts, first.status_code) == ("pending", 1, 503)
    assert (first.next_attempt_at - first.attempt_set.get().started_at).total_seconds() >= 29
    assert (second.state, second.attempts) == ("pending", 0)


@pytest.mark.parametrize(
    "reply, status, reason",
    [
        (Reply(500, b"boom"), 500, "boom"),
        (Reply(302, b"", headers={"Location": "/elsewhere"}), 302, "redirect to /elsewhere not followed"),
        (Reply(404, b"no such hook"), 404, "no such hook"),
    ],
)
def test_it_fails_after_three_attempts_and_the_next_delivery_proceeds(
    db, receiver, make_webhook, workflow_a, fast_retries, reply, status, reason
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", reply, reply, reply)
    create_tasks(workflow_a, 2)

    engine.webhook_drain(webhook_id=webhook.pk)

    first, second = Delivery.objects.order_by("id")
    assert (first.state, first.attempts, first.status_code) == ("failed", 3, status)
    assert reason in first.response
    assert (second.state, second.attempts) == ("success", 1)
    assert len(receiver.on("/hook")) == 4
    assert receiver.on("/elsewhere") == []


def test_it_fails_a_refused_connection_with_no_status_and_the_error(
    db, unused_port, make_webhook, workflow_a, fast_retries
):
    webhook = make_webhook(f"http://127.0.0.1:{unused_port}/hook")
    create_tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 3, None)
    assert "refused" in delivery.response.lower()


def test_it_fails_a_timeout_with_no_status(db, receiver, make_webhook, workflow_a, fast_retries, settings):
    settings.WEBHOOK_TIMEOUT = 0.5
    webhook = make_webhook(receiver.url("/slow"))
    receiver.script("/slow", then=Reply(200, delay=5.0))
    create_tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 3, None)
    assert "timed out" in delivery.response.lower()


def test_an_inactive_webhook_gets_nothing_new_and_resumes_its_queue_on_activation(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    queued = create_tasks(workflow_a, 2)
    services.webhook_set_active(webhook=webhook, active=False)
    create_tasks(workflow_a, 1)

    assert engine.webhook_drain(webhook_id=webhook.pk) == 0
    assert Delivery.objects.count() == 2

    services.webhook_set_active(webhook=webhook, active=True)
    engine.webhook_drain(webhook_id=webhook.pk)

    sent_ids = [json.loads(r.body)["data"]["_id"] for r in receiver.on("/hook")]
    assert sent_ids == [task.pk for task in queued]


def test_only_one_drain_leases_the_queue_until_it_releases_it(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 2)

    first = leasing.queue_lease(webhook_id=webhook.pk)
    assert first is not None and first.webhook.url == webhook.url
    # A second drain neither gets the queue nor sends anything while the first holds it.
    assert leasing.queue_lease(webhook_id=webhook.pk) is None
    assert engine.webhook_drain(webhook_id=webhook.pk) == 0
    assert receiver.on("/hook") == []

    leasing.queue_release(lease=first, wake_at=None)
    assert engine.webhook_drain(webhook_id=webhook.pk) == 2


def test_an_expired_lease_lets_another_drain_take_the_queue(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 1)
    crashed = leasing.queue_lease(webhook_id=webhook.pk)
    Webhook.objects.filter(pk=webhook.pk).update(leased_until=timezone.now() - timedelta(seconds=1))

    assert engine.webhook_drain(webhook_id=webhook.pk) == 1

    # The crashed drain's late release cannot free the new holder's lease (it was fenced
    # by its token), and the new drain released its own.
    leasing.queue_release(lease=crashed, wake_at=None)
    assert Webhook.objects.get(pk=webhook.pk).leased_until is None


def test_an_attempt_recorded_by_another_drain_first_is_kept_as_an_attempt_only(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 1)
    lease = leasing.queue_lease(webhook_id=webhook.pk)
    stale = Delivery.objects.select_related("event").get()
    Delivery.objects.filter(pk=stale.pk).update(attempts=1, state="success")

    assert engine.delivery_attempt(lease=lease, delivery=stale).kept is False

    stored = Delivery.objects.get()
    assert (stored.state, stored.attempts) == ("success", 1)
    assert list(Attempt.objects.values_list("number", "status_code")) == [(1, 200)]


def test_a_retry_wait_is_left_on_the_queue_for_the_clock(db, receiver, make_webhook, workflow_a, settings):
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(503))
    create_tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    head = Delivery.objects.get()
    assert (webhook.leased_until, webhook.lease_token) == (None, "")
    assert webhook.wake_at == head.next_attempt_at


def test_a_drain_out_of_budget_rings_itself_again_and_stops(
    db, receiver, make_webhook, workflow_a, settings, monkeypatch
):
    settings.WEBHOOK_DRAIN_BUDGET = 0
    rung = []
    monkeypatch.setattr("webhooks.engine.doorbell.ring", lambda **kwargs: rung.append(kwargs))
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 3)

    # A zero budget still sends one delivery per drain (the budget is checked after it).
    assert engine.webhook_drain(webhook_id=webhook.pk) == 1

    assert rung == [{"webhook_ids": [webhook.pk]}]
    webhook.refresh_from_db()
    assert webhook.leased_until is None and webhook.wake_at is not None and webhook.rung_at is not None


def test_a_redelivery_sends_the_same_event_again_behind_the_queue(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 1)
    engine.webhook_drain(webhook_id=webhook.pk)
    original = Delivery.objects.get()

    again = resend.delivery_redeliver(delivery=original)
    engine.webhook_drain(webhook_id=webhook.pk)

    first, second = receiver.on("/hook")
    assert first.body == second.body
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    again.refresh_from_db()
    assert (again.kind, again.state, again.event_id) == ("redelivery", "success", original.event_id)


def test_a_test_event_is_sent_at_once_and_logged(db, receiver, make_webhook):
    webhook = make_webhook(receiver.url("/hook"))

    delivery = resend.webhook_send_test(webhook=webhook)

    (request,) = receiver.on("/hook")
    body = json.loads(request.body)
    assert (body["type"], body["event"], body["extraData"]["test"]) == ("COTTask", "test", True)
    StandardWebhook(webhook.secret).verify(request.body, request.headers)
    assert (delivery.kind, delivery.state, delivery.status_code, delivery.attempts) == (
        "test",
        "success",
        200,
        1,
    )


def test_during_a_rotation_both_secrets_sign_and_either_verifies(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    old_secret = webhook.secret
    webhook.rotate_secret()
    create_tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    (request,) = receiver.on("/hook")
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    StandardWebhook(old_secret).verify(request.body, request.headers)
    StandardWebhook(webhook.secret).verify(request.body, request.headers)


def test_a_hung_dns_lookup_fails_each_attempt_at_the_deadline_and_the_next_delivery_proceeds(
    db, receiver, make_webhook, workflow_a, fast_retries, monkeypatch
):
    fast_retries.WEBHOOK_TIMEOUT = 0.5
    released = threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "hangs.example.com":
            released.wait(60)  # the seam: a resolver that never answers
            raise socket.gaierror(socket.EAI_AGAIN, "released by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr("webhooks.engine.addresses.socket.getaddrinfo", getaddrinfo)
    webhook = make_webhook("http://hangs.example.com/hook")
    create_tasks(workflow_a, 2)
    try:
        started = time.monotonic()
        assert engine.webhook_drain(webhook_id=webhook.pk) == 6
        elapsed = time.monotonic() - started
    finally:
        released.set()

    first, second = Delivery.objects.order_by("id")
    assert (first.state, first.attempts, first.status_code) == ("failed", 3, None)
    assert (second.state, second.attempts) == ("failed", 3)
    errors = set(Attempt.objects.values_list("error", flat=True))
    assert errors == {"timed out after 0.5 s while resolving the host name"}
    # Six attempts, each ended at its deadline (plus the documented slack), none hung.
    assert 6 * 0.5 <= elapsed <= 6 * http.attempt_max_seconds() + 5


def test_a_configuration_save_never_writes_back_the_queue_state(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 1)
    loaded = Webhook.objects.get(pk=webhook.pk)  # e.g. the panel's form, before the drain starts
    lease = leasing.queue_lease(webhook_id=webhook.pk)

    services.webhook_update(webhook=loaded, name="Renamed")

    stored = Webhook.objects.get(pk=webhook.pk)
    assert (stored.name, stored.lease_token, stored.leased_until) == (
        "Renamed",
        lease.token,
        lease.webhook.leased_until,
    )
    assert leasing.queue_lease(webhook_id=webhook.pk) is None  # still held by the first drain


def test_a_drain_past_its_budget_rings_again_for_a_head_that_arrived_while_it_held_the_queue(
    db, make_webhook, workflow_a, settings, monkeypatch
):
    from django_q.models import OrmQ

    settings.WEBHOOK_DRAIN_BUDGET = 0
    webhook = make_webhook("http://127.0.0.1:9/hook")
    real_drain_leased = engine._drain_leased

    def a_delivery_arrives_meanwhile(lease, **kwargs):
        create_tasks(workflow_a, 1)  # its doorbell queues a drain...
        assert engine.webhook_drain(webhook_id=webhook.pk) == 0  # ...which finds the queue taken
        monkeypatch.setattr(engine, "_drain_leased", real_drain_leased)
        return engine.DrainOutcome()

    monkeypatch.setattr(engine, "_drain_leased", a_delivery_arrives_meanwhile)
    engine.webhook_drain(webhook_id=webhook.pk)

    assert Delivery.objects.filter(state="pending").count() == 1
    # The new delivery's own doorbell, then the ring of the drain that released the queue.
    assert [row.task["args"] for row in OrmQ.objects.order_by("id")] == [(webhook.pk,)] * 2


def test_a_deactivation_during_a_drain_stops_it_before_its_next_request(
    db, receiver, make_webhook, workflow_a, monkeypatch
):
    webhook = make_webhook(receiver.url("/hook"))
    tasks = create_tasks(workflow_a, 3)
    real_post = http.post_json

    def deactivated_while_sending(*args, **kwargs):
        Webhook.objects.filter(pk=webhook.pk).update(is_active=False)  # e.g. from the panel
        return real_post(*args, **kwargs)

    monkeypatch.setattr(http, "post_json", deactivated_while_sending)
    assert engine.webhook_drain(webhook_id=webhook.pk) == 1

    assert [json.loads(r.body)["data"]["_id"] for r in receiver.on("/hook")] == [tasks[0].pk]
    assert list(Delivery.objects.order_by("id").values_list("state", flat=True)) == [
        "success",
        "pending",
        "pending",
    ]
    assert Webhook.objects.get(pk=webhook.pk).leased_until is None  # released for the activation


def test_a_delivery_in_steady_state_costs_its_record_and_no_other_statement(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 4)

    with CaptureQueriesContext(connection) as queries:
        assert engine.webhook_drain(webhook_id=webhook.pk) == 4

    records = [
        q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"] and "webhooks_delivery" in q["sql"]
    ]
    assert len(records) == 4
    assert all("is_active" in sql for sql in records)  # read in the record's RETURNING
    # No separate look-up of the webhook between two attempts (the lease reads it once).
    webhook_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "webhooks_webhook"' in q["sql"]
    ]
    assert len(webhook_reads) == 1, webhook_reads
    assert len(receiver.on("/hook")) == 4
