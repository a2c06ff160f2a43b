"""Routing: which webhooks want an event, and the outbox rows that deliver it.

`router` is the `events` subscriber (events.subscribers) that webhooks registers
when it starts. For every change of a tracked model, capture asks
`router.interest()` first: one indexed query, whose SQL is compiled once per
trigger, returns the ids of the matching active webhooks (none: capture stops
there). `router.receive()` then writes the Event and one Delivery per webhook
in the caller's transaction, and rings the doorbell (webhooks.engine.doorbell),
which costs the caller nothing after its commit.
"""

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from events.compiled import compiled, placeholder, rows_insert
from events.ids import new_object_id
from webhooks.engine import doorbell
from webhooks.models import CONTEXT_KEYS, Delivery, Event, Webhook


def matching_webhook_ids(*, company_id: str, type: str, context: dict[str, Any]) -> list[str]:
    """The active webhooks of the company whose trigger and context match such an event:
    `Webhook.objects.matching()`, compiled once per event type."""
    keys = CONTEXT_KEYS.get(type, ())
    if any(context.get(key) is None for key in keys):
        return []  # e.g. an unsaved task with no workflow: nothing can match
    stub = {"company": placeholder("company"), "type": type, "data": {k: placeholder(k) for k in keys}}
    query = compiled(
        ("matching", type),
        transaction.get_connection(Webhook.objects.db).alias,
        lambda: Webhook.objects.matching(stub).order_by().values_list("pk"),
    )
    return [row[0] for row in query.rows(company=company_id, **{k: context[k] for k in keys})]


def event_store(*, event: dict[str, Any], webhook_ids: list[str]) -> Event:
    """Write the event and a delivery per webhook in the caller's transaction, and ring."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        return _event_store(event=event, webhook_ids=webhook_ids, now=now)


def _event_store(*, event: dict[str, Any], webhook_ids: list[str], now) -> Event:
    stored = Event(
        company_id=event["company"],
        type=event["type"],
        action=event["event"],
        body=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        created_at=now,
    )
    stored.pk = outbox_insert(event=stored, webhook_ids=webhook_ids)
    stored._state.adding, stored._state.db = False, Event.objects.db
    doorbell.ring_on_commit(webhook_ids=webhook_ids)
    return stored


def outbox_insert(*, event: Event, webhook_ids: list[str]) -> int:
    """Two plain INSERTs: the event, then its deliveries as `Delivery()` would default them.

    The hottest write of the product (every wanted change pays it): the ORM's create() and
    bulk_create() cost several times the statements themselves.
    """
    columns = ("object_id", "company", "type", "action", "body", "created_at")
    row = {name: getattr(event, event._meta.get_field(name).attname) for name in columns}
    (event_id,) = rows_insert(Event, [row], returning="id")
    pending = Delivery(company_id=event.company_id, event_id=event_id, next_attempt_at=event.created_at)
    pending.created_at = event.created_at
    columns = (
        "company", "event", "kind", "state", "attempts", "next_attempt_at", "status_code", "response",
        "response_truncated", "created_at", "completed_at",
    )  # fmt: skip
    row = {name: getattr(pending, pending._meta.get_field(name).attname) for name in columns}
    rows_insert(Delivery, [{**row, "object_id": new_object_id(), "webhook": pk} for pk in webhook_ids])
    return event_id


class Router:
    """The `events` subscriber of webhooks (see the module docstring)."""

    def interest(self, *, company_id: str, type: str, context: dict[str, Any]) -> list[str]:
        return matching_webhook_ids(company_id=company_id, type=type, context=context)

    def receive(self, *, event: dict[str, Any], interest: list[str]) -> None:
        event_store(event=event, webhook_ids=interest)


router = Router()
