"""Deliveries a person asks for: redeliveries (one log, or a webhook's failed ones in bulk), queued
behind what the webhook's queue already holds, and the test event, sent at once outside the queue
and recorded like any attempt (webhooks.engine.delivery.delivery_record). See docs/delivery.md,
"Inactive webhooks, test events, redeliveries".
"""

import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from events.cot import iso
from webhooks.engine import doorbell, http
from webhooks.engine.delivery import delivery_record, request_headers, signed_headers
from webhooks.models import EVENT_TYPE_BY_TRIGGER, Delivery, Event, Trigger, Webhook


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Queue the same event to the same webhook again, behind what is already queued."""
    with transaction.atomic(savepoint=False):
        (again,) = redeliveries_insert(
            delivery.company_id, delivery.webhook_id, [(delivery.object_id, delivery.event_id)]
        )
    return again


def deliveries_redeliver_failed(
    *, webhook: Webhook, created_from: datetime, created_to: datetime | None
) -> int:
    """Queue again, in their original order and behind what is already queued, the failed
    deliveries created in [from, to) (Delivery.objects.failed_to_redeliver); each new one is a
    redelivery linked to its original. Returns how many were queued."""
    with transaction.atomic(savepoint=False):
        # One bulk redelivery of a webhook at a time (a double click, a retried request): the
        # second waits for the first's commit, then finds its events queued and skips them.
        # (On SQLite every write transaction is IMMEDIATE: they already run one at a time.)
        Webhook.objects.select_for_update().filter(pk=webhook.pk).values_list("pk").first()
        originals = Delivery.objects.failed_to_redeliver(webhook.pk, created_from, created_to)
        return len(redeliveries_insert(webhook.company_id, webhook.pk, originals))


def redeliveries_insert(company_id: str, webhook_id: str, originals: list[tuple[str, int]]) -> list[Delivery]:
    """A redelivery of each (original's ObjectId, event id), queued in this order; rings on commit."""
    now = timezone.now()
    again = [
        Delivery(
            company_id=company_id,
            webhook_id=webhook_id,
            event_id=event_id,
            kind=Delivery.Kind.REDELIVERY,
            redelivery_of=original_id,
            next_attempt_at=now,
            created_at=now,
        )
        for original_id, event_id in originals
    ]
    # One INSERT a batch: ids are handed out in list order, so the queue keeps the order.
    Delivery.objects.bulk_create(again, batch_size=500)
    if again:
        doorbell.ring_on_commit(webhook_ids=[webhook_id])
    return again


def test_event_payload(*, webhook: Webhook) -> dict[str, Any]:
    return {
        "company": webhook.company_id,
        "type": EVENT_TYPE_BY_TRIGGER[Trigger(webhook.trigger)],
        "event": "test",
        "data": None,
        "diff": {},
        "extraData": {"test": True, "webhook": webhook.pk},
        "createdAt": iso(timezone.now()),
    }


def webhook_send_test(*, webhook: Webhook) -> Delivery:
    """Send a test event now, outside the queue, and log it like any delivery (one attempt)."""
    payload = test_event_payload(webhook=webhook)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    delivery = Delivery(company_id=webhook.company_id, webhook=webhook, kind=Delivery.Kind.TEST)
    signed = signed_headers(webhook.signing_secrets(), delivery.object_id, body.encode())
    sent, headers = request_headers(webhook.receiver_headers(), signed)
    started_at = timezone.now()
    result = http.post_json(webhook.url, body.encode(), sent)
    # Written pending and recorded in one transaction: no drain ever sees it in the queue.
    with transaction.atomic():
        delivery.event = Event.objects.create(
            company_id=webhook.company_id,
            type=payload["type"],
            action="test",
            body=body,
            created_at=started_at,
        )
        delivery.created_at = started_at
        delivery.save()
        delivery_record(
            delivery=delivery, started_at=started_at, result=result, headers=headers, max_attempts=1
        )
    return delivery
