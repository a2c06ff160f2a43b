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

from webhooks.engine import doorbell
from webhooks.models import CONTEXT_KEYS, Delivery, Event, Webhook

_SQL_CACHE: dict[tuple[str, str], tuple[str, tuple]] = {}


def _placeholder(name: str) -> str:
    """A stand-in value of a query compiled once, replaced by the real one at each call."""
    return f"\x00routing:{name}"


def matching_webhook_ids(*, company_id: str, type: str, context: dict[str, Any]) -> list[str]:
    """The active webhooks of the company whose trigger and context match such an event.

    The same query as `Webhook.objects.matching()`, compiled once per event type
    (building and compiling it each time cost more than running it).
    """
    keys = CONTEXT_KEYS.get(type, ())
    if any(context.get(key) is None for key in keys):
        return []  # e.g. an unsaved task with no workflow: nothing can match
    connection = transaction.get_connection(Webhook.objects.db)
    cache_key = (connection.alias, type)
    if cache_key not in _SQL_CACHE:
        stub = {"company": _placeholder("company"), "type": type, "data": {k: _placeholder(k) for k in keys}}
        query = Webhook.objects.matching(stub).values_list("pk", flat=True).query
        _SQL_CACHE[cache_key] = query.get_compiler(connection=connection).as_sql()
    sql, stub_params = _SQL_CACHE[cache_key]
    values = {_placeholder("company"): company_id, **{_placeholder(k): context[k] for k in keys}}
    params = [values.get(p, p) if isinstance(p, str) else p for p in stub_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def event_store(*, event: dict[str, Any], webhook_ids: list[str]) -> Event:
    """Write the event and a delivery per webhook in the caller's transaction, and ring."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        return _event_store(event=event, webhook_ids=webhook_ids, now=now)


def _event_store(*, event: dict[str, Any], webhook_ids: list[str], now) -> Event:
    stored = Event.objects.create(
        company_id=event["company"],
        type=event["type"],
        action=event["event"],
        body=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        created_at=now,
    )
    Delivery.objects.bulk_create(
        Delivery(
            company_id=stored.company_id,
            webhook_id=webhook_id,
            event=stored,
            next_attempt_at=now,
            created_at=now,
        )
        for webhook_id in webhook_ids
    )
    doorbell.ring_on_commit(webhook_ids=webhook_ids)
    return stored


def event_route(*, event: dict[str, Any]) -> Event | None:
    """Store an event for every webhook that wants it (for callers outside capture)."""
    webhook_ids = matching_webhook_ids(
        company_id=event["company"], type=event["type"], context=event.get("data") or {}
    )
    return event_store(event=event, webhook_ids=webhook_ids) if webhook_ids else None


class Router:
    """The `events` subscriber of webhooks (see the module docstring)."""

    def interest(self, *, company_id: str, type: str, context: dict[str, Any]) -> list[str]:
        return matching_webhook_ids(company_id=company_id, type=type, context=context)

    def receive(self, *, event: dict[str, Any], interest: list[str]) -> None:
        event_store(event=event, webhook_ids=interest)


router = Router()
