"""Routing: which webhooks want an event, and the outbox rows that deliver it.

`router` is the `events` subscriber (events.subscribers) that webhooks registers
when it starts. For every change of a tracked model, capture asks
`router.interest()` first. On PostgreSQL the route table (webhooks.engine.routes)
answers without a query: no webhook has the change's route (capture stops there), or
these candidates do. Otherwise (SQLite, or a table that cannot tell) one indexed query,
whose SQL is compiled once per event type, returns the matching active webhooks.
`router.receive()` then writes the Event and one Delivery per webhook in the caller's
transaction, in one statement on PostgreSQL (for candidates, the statement keeps only
those that still match), and rings the doorbell (webhooks.engine.doorbell), which costs
the caller nothing after its commit.
"""

import json
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from events.compiled import Compiled, compiled, placeholder, prepared_values, row_and_children_insert
from events.ids import new_object_id
from webhooks.engine import doorbell, routes
from webhooks.models import CONTEXT_KEYS, Delivery, Event, Webhook, event_subject_id
from webhooks.subscription import ACTIONS, EDIT, diff_prefixes, wants, wants_everything


def _matching_query(type: str, alias: str) -> Compiled:
    """`Webhook.objects.matching()` for an event type, compiled once, its context as placeholders."""
    keys = CONTEXT_KEYS.get(type, ())
    stub = {"company": placeholder("company"), "type": type, "data": {k: placeholder(k) for k in keys}}
    return compiled(
        ("matching", type), alias, lambda: Webhook.objects.matching(stub).order_by().values_list("pk")
    )


def _match_values(company_id: str, type: str, context: dict[str, Any]) -> dict[str, Any] | None:
    values = {"company": company_id, **{k: context.get(k) for k in CONTEXT_KEYS.get(type, ())}}
    if any(value is None for value in values.values()):
        return None  # e.g. an unsaved task with no workflow: nothing can match
    return values


def _subscribed_query(type: str, alias: str) -> Compiled:
    """`_matching_query()` with each webhook's `events` and `fields` as their JSON text."""
    keys = CONTEXT_KEYS.get(type, ())
    stub = {"company": placeholder("company"), "type": type, "data": {k: placeholder(k) for k in keys}}
    return compiled(
        ("subscribed", type),
        alias,
        lambda: (
            Webhook.objects.matching(stub)
            .order_by()
            .annotate(e=Cast("events", TextField()), f=Cast("fields", TextField()))
            .values_list("pk", "e", "f")
        ),
    )


ALL_ACTIONS = frozenset({*ACTIONS, "logout"})
NEVER_FILTERED = frozenset({"logout"})  # a logout webhook gets every logout
# `events` and `fields` as both databases return the defaults' JSON: no parsing needed.
EVERYTHING = (json.dumps(list(ACTIONS)), "[]")


def matching_interest(*, company_id: str, type: str, context: dict[str, Any]) -> "list[str] | Selective":
    """The active webhooks of the company whose trigger and context match such an event (one
    query), with the subscriptions of those that want only some changes."""
    values = _match_values(company_id, type, context)
    if values is None:
        return []
    query = _subscribed_query(type, transaction.get_connection(Webhook.objects.db).alias)
    rows = query.rows(**values)
    selective = {}
    for pk, events, fields in rows:
        if (events, fields) != EVERYTHING:
            subscription = (json.loads(events), json.loads(fields))
            if not wants_everything(*subscription):
                selective[pk] = subscription
    ids = [row[0] for row in rows]
    return Selective(ids, selective) if selective else ids


@dataclass(frozen=True)
class Candidates:
    """The route table's answer (webhooks.engine.routes): the outbox INSERT keeps the
    candidates that still match this company, type and context."""

    webhook_ids: tuple[str, ...]
    company_id: str
    type: str
    context: dict[str, Any]


@dataclass(frozen=True)
class Selective:
    """Matching webhooks (ids, or the route table's candidates) of which some want only some
    changes: `subscriptions` maps those to their (events, fields). The others want everything."""

    webhooks: "list[str] | Candidates"
    subscriptions: dict[str, tuple[list[str], list[str]]]

    @property
    def actions(self) -> frozenset[str]:
        """The actions any of them wants (capture skips its work for the others)."""
        ids = self.webhooks.webhook_ids if isinstance(self.webhooks, Candidates) else self.webhooks
        if any(pk not in self.subscriptions for pk in ids):
            return ALL_ACTIONS
        return (
            frozenset(action for events, _ in self.subscriptions.values() for action in events)
            | NEVER_FILTERED
        )

    def wanting(self, event: dict[str, Any]) -> "list[str] | Candidates":
        """The webhooks that want this event (empty: none does, store nothing)."""
        action = event["event"]
        prefixes = diff_prefixes(event.get("diff")) if action == EDIT else set()
        candidates = self.webhooks if isinstance(self.webhooks, Candidates) else None
        ids = candidates.webhook_ids if candidates else self.webhooks
        subscriptions = self.subscriptions
        kept = [
            pk
            for pk in ids
            if pk not in subscriptions or wants(*subscriptions[pk], action=action, prefixes=prefixes)
        ]
        if candidates is None or not kept:
            return kept
        return replace(candidates, webhook_ids=tuple(kept))


def event_store(*, event: dict[str, Any], webhooks: "list[str] | Candidates") -> list[str]:
    """Write the event and a delivery per webhook in the caller's transaction, and ring;
    returns the webhooks that got a delivery."""
    # Joins the caller's transaction, with no savepoint: a tracked model's change always runs in
    # one (events.models.SavedWithItsEvent; Django's delete() and many-to-many changes), so the
    # outbox commits with the change. Its own transaction only for an event with no row change
    # of its own in autocommit (a logout, an `object_event_emit()` outside atomic()).
    with transaction.atomic(savepoint=False):
        # The Event row as a dict: an `Event()` built only to read its fields back would be
        # one more model instance per save on the hottest path.
        stored = {
            "object_id": new_object_id(),
            "company": event["company"],
            "type": event["type"],
            "action": event["event"],
            "subject_id": event_subject_id(event),
            "body": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
            "created_at": timezone.now(),
        }
        if isinstance(webhooks, Candidates):
            webhook_ids = outbox_insert_matching(
                event_row=stored, candidates=webhooks, prefixes=diff_prefixes(event.get("diff"))
            )
        else:
            outbox_insert(event_row=stored, webhook_ids=webhooks)
            webhook_ids = webhooks
        doorbell.ring_on_commit(webhook_ids=webhook_ids)
        return webhook_ids


# A delivery's columns whose value every new delivery starts with (`Delivery()`'s constant
# defaults), read from the model once.
_PENDING_COLUMNS = (
    "kind",
    "state",
    "attempts",
    "status_code",
    "response",
    "response_truncated",
    "completed_at",
)
_pending: dict[str, Any] = {}


def _delivery_row(event_row: dict[str, Any]) -> dict[str, Any]:
    """The row every delivery of this event starts as (`Delivery()`'s defaults), less the
    delivery's own id, webhook and event."""
    if not _pending:
        fields = {name: Delivery._meta.get_field(name) for name in _PENDING_COLUMNS}
        _pending.update({name: field.get_default() for name, field in fields.items()})
    return {
        "company": event_row["company"],
        "next_attempt_at": event_row["created_at"],
        "created_at": event_row["created_at"],
        **_pending,
    }


def outbox_insert(*, event_row: dict[str, Any], webhook_ids: list[str]) -> int:
    """Plain INSERTs (one statement on PostgreSQL): the event, then its deliveries; returns
    the event's id.

    The hottest write of the product (every wanted change pays it): the ORM's create() and
    bulk_create() cost several times the statements themselves. What the deliveries have
    alike is adapted once, not once per delivery.
    """
    deliveries = [{"object_id": new_object_id(), "webhook": pk} for pk in webhook_ids]
    return row_and_children_insert(
        (Event, event_row), (Delivery, deliveries), link="event", shared=_delivery_row(event_row)
    )


def _subscription_check(action: str, prefixes: set[str]) -> tuple[str, list]:
    """SQL on the webhook row `w`: it still wants such a change (its events and fields)."""
    if action not in ACTIONS:
        return "", []
    if action != EDIT:
        return " AND w.events ? %s", [action]
    return " AND w.events ? 'edit' AND (w.fields = '[]'::jsonb OR w.fields ?| %s::text[])", [sorted(prefixes)]


def outbox_insert_matching(
    *, event_row: dict[str, Any], candidates: Candidates, prefixes: set[str] = frozenset()
) -> list[str]:
    """One PostgreSQL statement: a delivery for each candidate webhook that still matches
    (the interest query, folded in) and still wants the change (its events and fields, read
    in that statement), and the event if any does; returns those webhooks. `prefixes`: the
    edit's `diff_prefixes()`."""
    values = _match_values(candidates.company_id, candidates.type, candidates.context)
    if values is None:
        return []
    connection = transaction.get_connection(Webhook.objects.db)
    match = _matching_query(candidates.type, connection.alias)
    delivery_row = _delivery_row(event_row)
    quote = connection.ops.quote_name
    event_columns = ", ".join(quote(Event._meta.get_field(name).column) for name in event_row)
    delivery_columns = ", ".join(quote(Delivery._meta.get_field(name).column) for name in delivery_row)
    pairs = ", ".join(["(%s, %s)"] * len(candidates.webhook_ids))
    wanted, wanted_params = _subscription_check(event_row["action"], prefixes)
    sql = (
        f"WITH kept AS (SELECT v.object_id, v.webhook_id FROM (VALUES {pairs}) AS v(object_id, webhook_id)"
        f" JOIN {quote(Webhook._meta.db_table)} w ON w.id = v.webhook_id"
        f" WHERE v.webhook_id IN ({match.sql}){wanted}),"
        f" parent AS (INSERT INTO {quote(Event._meta.db_table)} ({event_columns})"
        f" SELECT {', '.join(['%s'] * len(event_row))} WHERE EXISTS (SELECT 1 FROM kept) RETURNING id)"
        f" INSERT INTO {quote(Delivery._meta.db_table)} ({delivery_columns}, object_id, webhook_id, event_id)"
        f" SELECT {', '.join(['%s'] * len(delivery_row))}, kept.object_id, kept.webhook_id, parent.id"
        " FROM kept, parent RETURNING webhook_id"
    )
    params = [value for pk in candidates.webhook_ids for value in (new_object_id(), pk)]
    params += match.bind(**values) + wanted_params
    params += prepared_values(connection, Event, event_row) + prepared_values(
        connection, Delivery, delivery_row
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


class Router:
    """The `events` subscriber of webhooks (see the module docstring)."""

    def interest(
        self, *, company_id: str, type: str, context: dict[str, Any]
    ) -> "list[str] | Candidates | Selective":
        known = routes.routed(company_id=company_id, type=type, context=context)
        if known is None:  # no route table (SQLite), or it cannot tell: one query
            return matching_interest(company_id=company_id, type=type, context=context)
        ids, selective = known
        if not ids:
            return []
        candidates = Candidates(ids, company_id, type, dict(context))
        return Selective(candidates, selective) if selective else candidates

    def receive(self, *, event: dict[str, Any], interest: "list[str] | Candidates | Selective") -> None:
        if isinstance(interest, Selective):  # some webhooks want only some changes
            interest = interest.wanting(event)
            if not interest:
                return  # none wants this one: no event, no delivery
        event_store(event=event, webhooks=interest)


router = Router()
