"""When a webhook keeps failing: its run of failed deliveries, failing, the auto-pause, 410 Gone,
the queue that keeps filling while paused, the resume (deliver or skip) and the alert signals.
Drains in-process against a real loopback receiver; time is moved by moving the run's start."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Task
from tests.receiver import Reply
from webhooks import services
from webhooks.alert_signals import (
    DELIVERY_EXHAUSTED,
    WEBHOOK_FAILING,
    WEBHOOK_PAUSED,
    WEBHOOK_RECOVERED,
    webhook_alert,
)
from webhooks.engine import delivery as engine
from webhooks.engine import failing, leasing, resend
from webhooks.models import Delivery, DeliveryPolicy, InactiveReason, Webhook


@pytest.fixture
def one_attempt(settings):
    """Each delivery ends at its first failure: a run of N failed deliveries is N requests."""
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_RETRY_DELAY = 0
    settings.WEBHOOK_FAILING_AFTER = 3
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 5
    settings.WEBHOOK_PAUSE_AFTER_MINUTES = 60
    return settings


@pytest.fixture
def alerts():
    """The alerts sent, in order: (webhook id, kind, details). Sent on commit: the tests that
    read them run on transactional_db."""
    sent = []

    def receive(sender, webhook_id, kind, details, **kwargs):
        sent.append((webhook_id, kind, details))

    webhook_alert.connect(receive, dispatch_uid="test-alerts")
    yield sent
    webhook_alert.disconnect(dispatch_uid="test-alerts")


def tasks(workflow, count: int, start: int = 0) -> list[str]:
    return [
        Task.objects.create(company=workflow.company, workflow=workflow, name=f"Task {n}").pk
        for n in range(start, start + count)
    ]


def sent_ids(receiver, path: str = "/hook") -> list[str]:
    return [json.loads(r.body)["data"]["_id"] for r in receiver.on(path)]


def run_started(webhook: Webhook, minutes_ago: float) -> None:
    """Time control: the open run of failures began this long ago."""
    Webhook.objects.filter(pk=webhook.pk).update(
        failing_since=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_a_run_of_failed_deliveries_makes_the_webhook_failing_at_the_threshold_and_says_why(
    transactional_db, receiver, make_webhook, workflow_a, one_attempt, alerts
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", then=Reply(503, b"down"))
    tasks(workflow_a, 2)
    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.failed_in_a_row, webhook.health_state) == (2, "healthy")
    assert [kind for _, kind, _ in alerts] == [DELIVERY_EXHAUSTED, DELIVERY_EXHAUSTED]

    tasks(workflow_a, 1, start=2)
    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.failed_in_a_row, webhook.health_state, webhook.is_active) == (3, "failing", True)
    assert webhook.last_error == "the receiver answered HTTP 503" and webhook.last_status_code == 503
    first = Delivery.objects.order_by("id").first()
    assert webhook.failing_since == first.completed_at
    kinds = [kind for _, kind, _ in alerts]
    assert kinds == [DELIVERY_EXHAUSTED] * 3 + [WEBHOOK_FAILING]
    _, _, details = alerts[-1]
    assert details["failures"] == 3 and details["status_code"] == 503
    assert details["last_error"] == "the receiver answered HTTP 503" and details["delivery_id"] is None
    exhausted_ids = [details["delivery_id"] for _, kind, details in alerts if kind == DELIVERY_EXHAUSTED]
    assert exhausted_ids == list(Delivery.objects.order_by("id").values_list("object_id", flat=True))


def test_a_success_ends_the_run_and_is_a_recovery_only_after_failing(
    transactional_db, receiver, make_webhook, workflow_a, one_attempt, alerts
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(500), Reply(500))  # two failures: under the threshold
    tasks(workflow_a, 3)
    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.failed_in_a_row, webhook.failing_since, webhook.last_error) == (0, None, "")
    assert WEBHOOK_RECOVERED not in [kind for _, kind, _ in alerts]

    receiver.script("/hook", Reply(500), Reply(500), Reply(500))
    tasks(workflow_a, 4, start=3)
    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert webhook.health_state == "healthy" and webhook.failed_in_a_row == 0
    kinds = [kind for _, kind, _ in alerts if kind != DELIVERY_EXHAUSTED]
    assert kinds == [WEBHOOK_FAILING, WEBHOOK_RECOVERED]
    assert alerts[-1][2]["failures"] == 3  # the recovery says what the run was


def test_a_successful_delivery_of_a_healthy_webhook_costs_no_statement_more(
    db, receiver, make_webhook, workflow_a, one_attempt
):
    webhook = make_webhook(receiver.url("/hook"))
    tasks(workflow_a, 1)
    lease = leasing.queue_lease(webhook_id=webhook.pk)
    (delivery,) = engine._next_batch(webhook.pk)
    sent = engine.attempt_send(lease=lease, delivery=delivery)

    with CaptureQueriesContext(connection) as queries:
        engine.attempt_record(lease=lease, delivery=delivery, sent=sent)

    # The record alone: INSERT the attempt and UPDATE the delivery (one statement on PostgreSQL).
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    expected = ["WITH"] if connection.vendor == "postgresql" else ["INSERT", "UPDATE"]
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == expected
    assert not any("webhooks_webhook" in q["sql"].split("RETURNING")[0] for q in queries.captured_queries)


def test_a_success_that_ends_a_run_costs_one_conditional_update(
    db, receiver, make_webhook, workflow_a, one_attempt
):
    webhook = make_webhook(receiver.url("/hook"))
    tasks(workflow_a, 1)
    run_started(webhook, 5)
    Webhook.objects.filter(pk=webhook.pk).update(failed_in_a_row=1)
    lease = leasing.queue_lease(webhook_id=webhook.pk)
    (delivery,) = engine._next_batch(webhook.pk)
    sent = engine.attempt_send(lease=lease, delivery=delivery)

    with CaptureQueriesContext(connection) as queries:
        engine.attempt_record(lease=lease, delivery=delivery, sent=sent)

    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "webhooks_webhook"')]
    assert len(updates) == 1 and 'failing_since" IS NOT NULL' in updates[0]
    webhook.refresh_from_db()
    assert (webhook.failed_in_a_row, webhook.failing_since) == (0, None)


def test_it_pauses_after_n_failed_deliveries_only_once_they_span_the_minimum_time(
    transactional_db, receiver, make_webhook, workflow_a, one_attempt, alerts
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", then=Reply(500))
    tasks(workflow_a, 6)
    engine.webhook_drain(webhook_id=webhook.pk)

    # Six failures in a few milliseconds: over the count, under the hour.
    webhook.refresh_from_db()
    assert (webhook.failed_in_a_row, webhook.is_active, webhook.health_state) == (6, True, "failing")

    run_started(webhook, 61)
    tasks(workflow_a, 3, start=6)
    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.inactive_reason) == (False, InactiveReason.PAUSED_FAILING)
    assert (webhook.health_state, webhook.failed_in_a_row) == ("paused", 7)
    # The drain stopped at the pause: the two events behind it wait, untried.
    assert len(receiver.on("/hook")) == 7
    assert list(Delivery.objects.pending().values_list("attempts", flat=True)) == [0, 0]
    kinds = [kind for _, kind, _ in alerts if kind != DELIVERY_EXHAUSTED]
    assert kinds == [WEBHOOK_FAILING, WEBHOOK_PAUSED]


def test_a_companys_delivery_policy_overrides_the_pause_thresholds(
    db, receiver, make_webhook, workflow_a, one_attempt, company_a
):
    DeliveryPolicy.objects.create(company=company_a, pause_after_failures=2, pause_after_minutes=0)
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", then=Reply(500))
    tasks(workflow_a, 4)

    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.inactive_reason, webhook.failed_in_a_row) == (
        False,
        InactiveReason.PAUSED_FAILING,
        2,
    )
    assert len(receiver.on("/hook")) == 2


def test_a_policy_of_zero_failures_never_pauses(
    db, receiver, make_webhook, workflow_a, one_attempt, company_a
):
    DeliveryPolicy.objects.create(company=company_a, pause_after_failures=0)
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", then=Reply(500))
    tasks(workflow_a, 7)
    run_started(webhook, 600)

    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert webhook.is_active and webhook.failed_in_a_row == 7


def test_a_410_gone_pauses_at_once_and_its_delivery_waits_first_in_line(
    transactional_db, receiver, make_webhook, workflow_a, fast_retries, alerts
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(410, b"gone"))
    ids = tasks(workflow_a, 3)

    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.inactive_reason, webhook.health_state) == (
        False,
        InactiveReason.PAUSED_GONE,
        "paused",
    )
    assert (webhook.last_status_code, webhook.failed_in_a_row) == (410, 0)
    assert len(receiver.on("/hook")) == 1
    first = Delivery.objects.order_by("id").first()
    assert (first.state, first.attempts, first.status_code) == ("pending", 1, 410)
    assert [kind for _, kind, _ in alerts] == [WEBHOOK_PAUSED]

    services.webhook_resume(webhook=webhook)
    engine.webhook_drain(webhook_id=webhook.pk)

    assert sent_ids(receiver) == [ids[0], *ids]
    webhook.refresh_from_db()
    assert webhook.health_state == "healthy" and webhook.failing_since is None
    assert [kind for _, kind, _ in alerts] == [WEBHOOK_PAUSED, WEBHOOK_RECOVERED]


def pause(webhook: Webhook, reason: str = InactiveReason.PAUSED_FAILING) -> None:
    Webhook.objects.filter(pk=webhook.pk).update(
        is_active=False,
        inactive_reason=reason,
        failed_in_a_row=20,
        failing_since=timezone.now(),
        run_alerted=True,
    )


def test_a_paused_webhook_keeps_queuing_every_event_and_sends_nothing(
    db, receiver, make_webhook, workflow_a, one_attempt
):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)

    ids = tasks(workflow_a, 5)

    assert engine.webhook_drain(webhook_id=webhook.pk) == 0
    assert receiver.on("/hook") == []
    queued = Delivery.objects.queue(webhook.pk)
    assert [d.event.subject_id for d in queued] == ids
    assert not Delivery.objects.due().exists()
    assert not Webhook.objects.wakeable(timezone.now() + timedelta(hours=1)).exists()


def test_a_retry_scheduled_before_the_pause_does_not_fire_while_paused(
    db, receiver, make_webhook, workflow_a, fast_retries
):
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(500))
    fast_retries.WEBHOOK_RETRY_DELAY = 30
    tasks(workflow_a, 1)
    engine.webhook_drain(webhook_id=webhook.pk)
    pause(webhook)

    later = timezone.now() + timedelta(minutes=5)
    assert not Webhook.objects.wakeable(later).exists()
    assert not Delivery.objects.due(later).exists()
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert engine.webhook_drain(webhook_id=webhook.pk) == 0
    assert len(receiver.on("/hook")) == 1


def test_resume_delivers_the_backlog_in_its_original_order_none_twice(
    transactional_db, receiver, make_webhook, workflow_a, one_attempt, alerts
):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)
    ids = tasks(workflow_a, 12)

    skipped = services.webhook_resume(webhook=webhook, backlog="deliver")
    engine.webhook_drain(webhook_id=webhook.pk)

    assert skipped == 0
    assert sent_ids(receiver) == ids
    assert set(Delivery.objects.values_list("state", flat=True)) == {"success"}
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.inactive_reason, webhook.health_state) == (True, "", "healthy")
    assert [kind for _, kind, _ in alerts] == [WEBHOOK_RECOVERED]


def test_resume_skip_marks_the_backlog_skipped_and_each_stays_redeliverable(
    db, receiver, make_webhook, workflow_a, one_attempt
):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)
    ids = tasks(workflow_a, 3)

    assert services.webhook_resume(webhook=webhook, backlog="skip") == 3
    engine.webhook_drain(webhook_id=webhook.pk)

    assert receiver.on("/hook") == []
    assert list(Delivery.objects.order_by("id").values_list("state", flat=True)) == ["skipped"] * 3
    later = tasks(workflow_a, 1, start=3)
    engine.webhook_drain(webhook_id=webhook.pk)
    assert sent_ids(receiver) == later

    again = services.delivery_redeliver(delivery=Delivery.objects.order_by("id").first())
    engine.webhook_drain(webhook_id=webhook.pk)
    again.refresh_from_db()
    assert (again.kind, again.state) == ("redelivery", "success")
    assert sent_ids(receiver) == [*later, ids[0]]


def test_resume_refuses_an_unknown_backlog_and_an_active_webhook(db, make_webhook, receiver):
    from django.core.exceptions import ValidationError

    webhook = make_webhook(receiver.url("/hook"))
    with pytest.raises(ValidationError) as unknown:
        services.webhook_resume(webhook=webhook, backlog="later")
    assert "backlog" in unknown.value.message_dict
    with pytest.raises(ValidationError) as active:
        services.webhook_resume(webhook=webhook)
    assert active.value.code == "active"


def test_a_resumed_webhook_that_fails_again_pauses_again_at_once(
    transactional_db, receiver, make_webhook, workflow_a, one_attempt, alerts
):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)
    run_started(webhook, 120)
    receiver.script("/hook", then=Reply(500))
    tasks(workflow_a, 3)

    services.webhook_resume(webhook=webhook)
    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.inactive_reason, webhook.failed_in_a_row) == (
        False,
        InactiveReason.PAUSED_FAILING,
        21,
    )
    assert len(receiver.on("/hook")) == 1
    assert [kind for _, kind, _ in alerts] == [DELIVERY_EXHAUSTED, WEBHOOK_PAUSED]


def test_activating_a_paused_webhook_delivers_its_backlog(
    db, receiver, make_webhook, workflow_a, one_attempt
):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)
    ids = tasks(workflow_a, 2)
    webhook.refresh_from_db()

    services.webhook_set_active(webhook=webhook, active=True)
    engine.webhook_drain(webhook_id=webhook.pk)

    assert sent_ids(receiver) == ids


def test_a_manually_deactivated_webhook_still_gets_no_new_deliveries(db, make_webhook, workflow_a, receiver):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)
    webhook.refresh_from_db()
    services.webhook_set_active(webhook=webhook, active=False)

    tasks(workflow_a, 2)

    assert not Delivery.objects.exists()


def test_a_test_event_goes_out_from_a_paused_webhook_and_leaves_its_health_alone(
    db, receiver, make_webhook, workflow_a, one_attempt
):
    webhook = make_webhook(receiver.url("/hook"))
    pause(webhook)
    webhook.refresh_from_db()

    delivery = resend.webhook_send_test(webhook=webhook)

    assert delivery.state == "success" and len(receiver.on("/hook")) == 1
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.failed_in_a_row) == (False, 20)


def test_no_alert_is_sent_about_a_webhook_alerts_do_not_apply_to(
    transactional_db, receiver, make_webhook, workflow_a, one_attempt, alerts, monkeypatch
):
    monkeypatch.setattr(failing, "alerts_apply_to", lambda webhook: False)
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", then=Reply(500))
    tasks(workflow_a, 4)

    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert webhook.health_state == "failing" and alerts == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_in_seconds_delays_the_retry_and_the_attempt_says_so(
    db, receiver, make_webhook, workflow_a, fast_retries, status
):
    fast_retries.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(status, headers={"Retry-After": "120"}))
    tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    delivery = Delivery.objects.get()
    attempt = delivery.attempt_set.get()
    assert attempt.retry_after == 120
    waited = (delivery.next_attempt_at - attempt.started_at).total_seconds()
    assert 120 <= waited < 125
    webhook.refresh_from_db()
    assert webhook.wake_at == delivery.next_attempt_at


def test_a_retry_after_shorter_than_the_retry_delay_keeps_the_delay(
    db, receiver, make_webhook, workflow_a, fast_retries
):
    fast_retries.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script("/hook", Reply(429, headers={"Retry-After": "2"}))
    tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    delivery = Delivery.objects.get()
    attempt = delivery.attempt_set.get()
    assert attempt.retry_after == 30
    assert 30 <= (delivery.next_attempt_at - attempt.started_at).total_seconds() < 35


def test_a_retry_after_date_is_honoured_and_capped(db, receiver, make_webhook, workflow_a, fast_retries):
    from email.utils import format_datetime

    fast_retries.WEBHOOK_RETRY_AFTER_MAX = 600
    webhook = make_webhook(receiver.url("/hook"))
    in_a_day = format_datetime(timezone.now() + timedelta(days=1), usegmt=True)
    receiver.script("/hook", Reply(503, headers={"Retry-After": in_a_day}))
    tasks(workflow_a, 1)

    engine.webhook_drain(webhook_id=webhook.pk)

    delivery = Delivery.objects.get()
    attempt = delivery.attempt_set.get()
    assert attempt.retry_after == 600
    assert 600 <= (delivery.next_attempt_at - attempt.started_at).total_seconds() < 605


def test_a_retry_after_on_another_status_or_malformed_is_ignored(
    db, receiver, make_webhook, workflow_a, fast_retries
):
    fast_retries.WEBHOOK_RETRY_DELAY = 30
    webhook = make_webhook(receiver.url("/hook"))
    receiver.script(
        "/hook",
        Reply(500, headers={"Retry-After": "300"}),
        then=Reply(429, headers={"Retry-After": "soon"}),
    )
    tasks(workflow_a, 1)
    engine.webhook_drain(webhook_id=webhook.pk)
    Delivery.objects.update(next_attempt_at=timezone.now())
    engine.webhook_drain(webhook_id=webhook.pk)

    attempts = Delivery.objects.get().attempt_set.order_by("number")
    assert [(a.status_code, a.retry_after) for a in attempts] == [(500, None), (429, None)]


def test_an_object_mode_webhook_pauses_and_resumes_in_order_per_object(
    db, receiver, make_webhook, workflow_a, one_attempt, company_a
):
    DeliveryPolicy.objects.create(company=company_a, pause_after_failures=3, pause_after_minutes=0)
    webhook = make_webhook(receiver.url("/hook"), ordering="object", max_in_flight=4)
    receiver.script("/hook", then=Reply(500))
    ids = tasks(workflow_a, 10)

    engine.webhook_drain(webhook_id=webhook.pk)

    webhook.refresh_from_db()
    assert webhook.is_paused and webhook.failed_in_a_row >= 3
    tried = len(receiver.on("/hook"))
    assert tried < 10  # it stopped: the in-flight ones were recorded, nothing new was sent
    assert Delivery.objects.filter(state="failed").count() == tried

    receiver.script("/hook", then=Reply(200))
    services.webhook_resume(webhook=webhook)
    engine.webhook_drain(webhook_id=webhook.pk)

    assert sorted(sent_ids(receiver)[tried:]) == sorted(ids[tried:]) and receiver.object_overlaps == []
    assert Delivery.objects.filter(state="success").count() == 10 - tried
