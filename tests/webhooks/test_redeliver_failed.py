"""Redeliver failed: after an outage, the failed deliveries of a time range are queued again, in
their original order, behind what is queued, each linked to its original (service and API)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from webhooks import services
from webhooks.engine import resend
from webhooks.models import ApiToken, Delivery, Event, Webhook

BASE = "/api/v3/webhook/subscription"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def webhook(make_webhook) -> Webhook:
    return make_webhook("https://erp.example.com/hook")


def log(webhook, *, minutes: int, state: str = "failed", kind: str = "event", event=None) -> Delivery:
    event = event or Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")
    return Delivery.objects.create(
        company=webhook.company,
        webhook=webhook,
        event=event,
        state=state,
        kind=kind,
        attempts=3 if state == "failed" else 1,
        created_at=T0 + timedelta(minutes=minutes),
    )


def queued_again(webhook) -> list[Delivery]:
    return list(Delivery.objects.filter(webhook=webhook, kind="redelivery").order_by("id"))


def test_it_queues_the_failed_deliveries_of_the_range_in_order_behind_the_queue(webhook):
    already_queued = log(webhook, minutes=0, state="pending")
    failed = [log(webhook, minutes=m) for m in (5, 10, 15)]
    log(webhook, minutes=12, state="success")
    log(webhook, minutes=70)  # after the range

    queued = resend.deliveries_redeliver_failed(
        webhook=webhook, created_from=T0, created_to=T0 + timedelta(hours=1)
    )

    again = queued_again(webhook)
    assert queued == 3
    assert [d.event_id for d in again] == [d.event_id for d in failed]
    assert [d.redelivery_of for d in again] == [d.object_id for d in failed]
    assert all(d.state == "pending" and d.attempts == 0 for d in again)
    assert Delivery.objects.head_of(webhook.pk) == already_queued
    assert [d.pk for d in Delivery.objects.queue(webhook.pk)] == [already_queued.pk] + [d.pk for d in again]


def test_an_event_is_sent_once_even_if_it_failed_twice_and_never_if_it_got_through_since(webhook):
    twice = log(webhook, minutes=1)
    log(webhook, minutes=2, kind="redelivery", event=twice.event)
    recovered = log(webhook, minutes=3)
    log(webhook, minutes=4, state="success", kind="redelivery", event=recovered.event)
    still_queued = log(webhook, minutes=5)
    log(webhook, minutes=6, state="pending", kind="redelivery", event=still_queued.event)
    log(webhook, minutes=7, kind="test")

    queued = resend.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None)

    assert queued == 1
    (again,) = Delivery.objects.filter(webhook=webhook, kind="redelivery", state="pending").exclude(
        event=still_queued.event
    )
    assert again.event_id == twice.event_id and again.redelivery_of == twice.object_id


def test_it_touches_only_this_webhook(webhook, make_webhook):
    other = make_webhook("https://other.example.com/", code="other")
    log(other, minutes=1)

    assert resend.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None) == 0
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_a_thousand_failed_deliveries_are_written_in_batches_not_one_statement_each(webhook):
    events = Event.objects.bulk_create(
        [Event(company=webhook.company, type="COTTask", action="edit", body="{}") for _ in range(1000)]
    )
    Delivery.objects.bulk_create(
        [
            Delivery(company=webhook.company, webhook=webhook, event=e, state="failed", created_at=T0)
            for e in events
        ]
    )

    with CaptureQueriesContext(connection) as queries:
        queued = resend.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None)

    assert queued == 1000
    # The webhook row (locked on PostgreSQL), two reads, then multi-row INSERTs (SQLite caps a
    # statement's parameters: ~76 rows each).
    assert len(queries) <= 20, [q["sql"][:80] for q in queries]
    assert sum(q["sql"].startswith("SELECT") for q in queries) == 3


# --- API


def test_the_api_queues_them_and_answers_202_with_the_count(api, webhook):
    for minutes in (1, 2):
        log(webhook, minutes=minutes)

    response = api.post(
        f"{BASE}/logs/{webhook.pk}/redeliver-failed",
        {"createdAtFrom": "2026-12-01T10:00:00Z", "createdAtTo": "2026-12-01T11:00:00Z"},
        format="json",
    )

    assert response.status_code == 202 and response.json() == {"queued": 2, "remaining": 0}
    logs = api.get(f"{BASE}/logs/{webhook.pk}", {"result": "pending"}).json()
    assert [entry["kind"] for entry in logs] == ["redelivery", "redelivery"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "createdAtFrom"),
        ({"createdAtFrom": "yesterday"}, "createdAtFrom"),
        ({"createdAtFrom": "2026-12-01T11:00:00Z", "createdAtTo": "2026-12-01T10:00:00Z"}, "createdAtTo"),
        ({"createdAtFrom": "2026-12-01T10:00:00Z", "result": "failed"}, "result"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_field_and_queues_nothing(api, webhook, body, field):
    log(webhook, minutes=1)

    response = api.post(f"{BASE}/logs/{webhook.pk}/redeliver-failed", body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_another_companys_webhook_is_404(api, admin_b):
    theirs = Webhook.objects.create(company=admin_b.company, name="B", code="b", url="https://b.example/")
    log(theirs, minutes=1)

    response = api.post(
        f"{BASE}/logs/{theirs.pk}/redeliver-failed", {"createdAtFrom": "2026-12-01T10:00:00Z"}
    )

    assert response.status_code == 404
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_it_needs_a_token_and_a_post(client, api, webhook, admin_a):
    url = f"{BASE}/logs/{webhook.pk}/redeliver-failed"
    assert client.post(url, {"createdAtFrom": "2026-12-01T10:00:00Z"}).status_code == 401
    assert api.get(url).status_code == 405
    assert ApiToken.objects.filter(user=admin_a).exists()


@pytest.mark.django_db(transaction=True)
def test_two_bulk_redeliveries_at_once_queue_each_event_once(make_webhook):
    """A double click or a retried request: the second waits for the first and skips its events."""
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs write transactions one at a time (IMMEDIATE); this races PostgreSQL")
    webhook = make_webhook("https://erp.example.com/hook")
    for minutes in range(5):
        log(webhook, minutes=minutes)
    start = threading.Barrier(2)
    results = []

    def redeliver():
        start.wait()
        try:
            results.append(
                resend.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=redeliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == [0, 5]
    assert Delivery.objects.filter(kind="redelivery").count() == 5


# --- the cap on one bulk redelivery


def test_a_bulk_redelivery_queues_at_most_the_cap_and_says_how_many_are_left(webhook):
    failed = [log(webhook, minutes=m) for m in range(5)]

    batch = services.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None, limit=2)

    assert (batch.queued, batch.remaining) == (2, 3)
    assert [d.redelivery_of for d in queued_again(webhook)] == [d.object_id for d in failed[:2]]


def test_running_it_again_continues_where_it_stopped_and_queues_nothing_twice(webhook):
    failed = [log(webhook, minutes=m) for m in range(5)]

    batches = [
        services.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None, limit=2)
        for _ in range(4)
    ]

    assert [(b.queued, b.remaining) for b in batches] == [(2, 3), (2, 1), (1, 0), (0, 0)]
    assert [d.redelivery_of for d in queued_again(webhook)] == [d.object_id for d in failed]


def test_the_cap_comes_from_the_setting(webhook, settings):
    settings.WEBHOOK_REDELIVER_FAILED_MAX = 3
    for minutes in range(5):
        log(webhook, minutes=minutes)

    batch = services.deliveries_redeliver_failed(webhook=webhook, created_from=T0, created_to=None)

    assert (batch.queued, batch.remaining) == (3, 2)


def test_the_api_caps_a_bulk_redelivery_and_says_how_to_continue(api, webhook, settings):
    settings.WEBHOOK_REDELIVER_FAILED_MAX = 2
    for minutes in range(3):
        log(webhook, minutes=minutes)
    url, body = f"{BASE}/logs/{webhook.pk}/redeliver-failed", {"createdAtFrom": "2026-12-01T10:00:00Z"}

    first = api.post(url, body, format="json")
    second = api.post(url, body, format="json")

    assert first.status_code == 202 and first.json() == {"queued": 2, "remaining": 1}
    assert second.status_code == 202 and second.json() == {"queued": 1, "remaining": 0}
    assert Delivery.objects.filter(kind="redelivery").count() == 3


# --- one redelivery of a log at a time


def test_a_log_whose_redelivery_is_still_queued_is_not_queued_again(webhook):
    failed = log(webhook, minutes=1)
    services.delivery_redeliver(delivery=failed)

    with pytest.raises(ValidationError) as refused:
        services.delivery_redeliver(delivery=failed)

    assert refused.value.code == "queued"
    assert len(queued_again(webhook)) == 1


def test_a_log_may_be_redelivered_again_once_its_redelivery_finished(webhook):
    failed = log(webhook, minutes=1)
    again = services.delivery_redeliver(delivery=failed)
    Delivery.objects.filter(pk=again.pk).update(state="failed")

    services.delivery_redeliver(delivery=failed)

    assert len(queued_again(webhook)) == 2


def test_the_api_refuses_a_second_redelivery_of_a_log_with_409(api, webhook):
    failed = log(webhook, minutes=1)
    url = f"{BASE}/logs/{webhook.pk}/{failed.object_id}/redeliver"

    responses = [api.post(url) for _ in range(3)]

    assert [r.status_code for r in responses] == [202, 409, 409]
    assert responses[1].json() == {
        "detail": "This event is already queued to this webhook; redeliver it once that delivery "
        "has succeeded or failed."
    }
    assert len(queued_again(webhook)) == 1
