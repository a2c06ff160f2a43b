"""Routing: which webhooks want an event — the one place that says so — and the outbox rows
that deliver it (docs/delivery.md, "Capture without a query").

The rule, written once for each of the two ways it is asked:

- `routed_webhooks(queryset, event)` (`Webhook.objects.routed(event)`): the webhooks of the
  event's company whose trigger and context match it, active or paused (a pause stops the
  requests, never the queue), and whose subscription wants it (its action; for an edit, its
  fields). A QuerySet: for the panel, the API, scripts and tests.
- `webhook_routed(webhook, event)`: the same question about one webhook, in Python.

Both are tested against one table of cases (tests/webhooks/test_routing_rule.py), and so is the
PostgreSQL outbox statement's re-check (webhooks.engine.outbox), the one hand-written copy.

Capture asks the hot path's version of the same rule: `router.interest()` takes the company's
routes from the route table (webhooks.engine.routes: an in-process cache that stays correct, read
through `company_routes()`) and returns one `Interest`; `router.receive()` keeps the webhooks whose
subscription wants the event (`subscription.wants`, as `webhook_routed()` does) and stores the
event with their deliveries in the caller's transaction, then rings the doorbell.
"""

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from events.ids import new_object_id
from webhooks.engine import doorbell, outbox, routes
from webhooks.models import (
    CONTEXT_KEYS,
    TRIGGER_BY_EVENT_TYPE,
    Event,
    Trigger,
    Webhook,
    event_subject_id,
)
from webhooks.models import routed as active_or_paused
from webhooks.subscription import ACTIONS, EDIT, diff_prefixes, wants, wants_everything

if TYPE_CHECKING:
    from webhooks.models import WebhookQuerySet

ALL_ACTIONS = frozenset({*ACTIONS, "logout"})
NEVER_FILTERED = frozenset({"logout"})  # a logout webhook gets every logout

# Each webhook's subscription, when it wants only some changes: id -> (events, fields).
Subscriptions = dict[str, tuple[list[str], list[str]]]


# --- The rule -------------------------------------------------------------------------------


def route_key(trigger: str | None, workflow_id: Any, survey_id: Any, group_id: Any) -> tuple[Any, ...]:
    """What routing compares, for a webhook (its columns) or an event (`event_route_key()`)."""
    if trigger == Trigger.TASK:
        return (trigger, workflow_id)
    if trigger == Trigger.SURVEY:
        return (trigger, survey_id, group_id)
    return (trigger,)


def event_route_key(type: str, context: dict[str, Any]) -> tuple[Any, ...] | None:
    """The route an event of this type and context takes; None when nothing can match it (an
    unknown type, or a task with no workflow yet)."""
    trigger = TRIGGER_BY_EVENT_TYPE.get(type)
    if trigger is None or any(context.get(key) is None for key in CONTEXT_KEYS.get(type, ())):
        return None
    return route_key(trigger, context.get("taskGroup"), context.get("surveyId"), context.get("group"))


def _route_q(company_id: str | None, type: str, context: dict[str, Any]) -> Q | None:
    key = event_route_key(type, context)
    if key is None or not company_id:
        return None
    match = active_or_paused() & Q(company_id=company_id, trigger=key[0])
    if key[0] == Trigger.TASK:
        match &= Q(workflow_id=key[1])
    elif key[0] == Trigger.SURVEY:
        match &= Q(survey_id=key[1], group_id=key[2])
    return match


def _subscription_q(action: str, prefixes: set[str]) -> Q:
    """The webhooks whose `events` and `fields` want such a change. On the JSON text, which both
    databases write as `json.dumps()` does for these ASCII values: `"edit"` with its quotes is one
    whole element of the list, never part of another."""
    if action not in ACTIONS:
        return Q()  # a logout (and an alert) is never filtered
    wanted = Q(events_text__contains=json.dumps(action))
    if action != EDIT:
        return wanted
    any_field = Q(fields_text="[]")
    for prefix in sorted(prefixes):
        any_field |= Q(fields_text__contains=json.dumps(prefix))
    return wanted & any_field


def routed_webhooks(queryset: "WebhookQuerySet", event: dict[str, Any]) -> "WebhookQuerySet":
    """The webhooks of `queryset` this event goes to (`Webhook.objects.routed(event)`)."""
    match = _route_q(event.get("company"), event["type"], event.get("data") or {})
    if match is None:
        return queryset.none()
    action = event["event"]
    prefixes = diff_prefixes(event.get("diff")) if action == EDIT else set()
    routed: WebhookQuerySet = (
        queryset.filter(match)
        .alias(events_text=Cast("events", TextField()), fields_text=Cast("fields", TextField()))
        .filter(_subscription_q(action, prefixes))
    )
    return routed


def webhook_routed(webhook: Webhook, event: dict[str, Any]) -> bool:
    """Whether this event goes to this webhook: `routed_webhooks()` for one webhook, in Python."""
    key = event_route_key(event["type"], event.get("data") or {})
    routed = (
        key is not None
        and webhook.company_id == event.get("company")
        and (webhook.is_active or webhook.is_paused)
        and route_key(webhook.trigger, webhook.workflow_id, webhook.survey_id, webhook.group_id) == key
    )
    if not routed:
        return False
    action = event["event"]
    prefixes = diff_prefixes(event.get("diff")) if action == EDIT else set()
    return wants(webhook.events, webhook.fields, action=action, prefixes=prefixes)


# --- What capture asks: a company's routes ---------------------------------------------------

# A company's routes: route key -> (its webhooks' ids, the subscriptions of those that want only
# some changes).
Routes = dict[tuple[Any, ...], tuple[tuple[str, ...], Subscriptions]]


def company_routes(company_id: str) -> Routes:
    """Every route of the company's active and paused webhooks, in one indexed query (the
    route table keeps the answer until a webhook of the company changes)."""
    rows = (
        Webhook.objects.filter(active_or_paused(), company_id=company_id)
        .order_by()
        .values_list("pk", "trigger", "workflow_id", "survey_id", "group_id", "events", "fields")
    )
    found: Routes = {}
    for pk, trigger, workflow_id, survey_id, group_id, events, fields in rows:
        key = route_key(trigger, workflow_id, survey_id, group_id)
        ids, subscriptions = found.get(key, ((), {}))
        if not wants_everything(events, fields):
            subscriptions = {**subscriptions, pk: (events, fields)}
        found[key] = ((*ids, pk), subscriptions)
    return found


@dataclass(frozen=True)
class Interest:
    """The router's answer for one change: the webhooks whose route matches it, with the
    subscriptions of those that want only some changes (the others want everything). Empty
    (falsy): capture does no more work.

    `recheck`: the route table may be a little behind (PostgreSQL: another process's webhook
    changes reach it by NOTIFY), so the outbox statement keeps only the webhooks that still
    match and still want the change, read on their rows in that statement.
    """

    webhook_ids: tuple[str, ...] = ()
    subscriptions: Subscriptions = field(default_factory=dict)
    company_id: str = ""
    type: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    recheck: bool = False

    def __bool__(self) -> bool:
        return bool(self.webhook_ids)

    @property
    def actions(self) -> frozenset[str]:
        """The actions any of them wants (capture skips its work for the others)."""
        if any(pk not in self.subscriptions for pk in self.webhook_ids):
            return ALL_ACTIONS
        return frozenset(a for events, _ in self.subscriptions.values() for a in events) | NEVER_FILTERED

    def wanting(self, event: dict[str, Any]) -> tuple[str, ...]:
        """The webhooks that want this event (`subscription.wants`, as `webhook_routed()`)."""
        if not self.subscriptions:
            return self.webhook_ids
        action = event["event"]
        prefixes = diff_prefixes(event.get("diff")) if action == EDIT else set()
        return tuple(
            pk
            for pk in self.webhook_ids
            if pk not in self.subscriptions
            or wants(*self.subscriptions[pk], action=action, prefixes=prefixes)
        )


NOBODY = Interest()


# --- Storing an event -------------------------------------------------------------------------


def event_store(*, event: dict[str, Any], interest: Interest) -> list[str]:
    """Write the event and a delivery per webhook that wants it, in the caller's transaction,
    and ring; returns the webhooks that got a delivery (none: nothing is written)."""
    webhook_ids = interest.wanting(event)
    if not webhook_ids:
        return []
    # Joins the caller's transaction, with no savepoint: a tracked model's change always runs in
    # one (events.models.SavedWithItsEvent; Django's delete() and many-to-many changes), so the
    # outbox commits with the change. Its own transaction only for an event with no row change
    # of its own in autocommit (a logout, an `object_event_emit()` outside atomic()).
    with transaction.atomic(using=Webhook.objects.db, savepoint=False):
        row = Event(
            object_id=new_object_id(),
            company_id=event["company"],
            type=event["type"],
            action=event["event"],
            subject_id=event_subject_id(event),
            body=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
            created_at=timezone.now(),
        )
        route = event_route_key(interest.type, interest.context) if interest.recheck else None
        if interest.recheck and route is None:
            return []  # nothing can match such an event any more
        if connections[Webhook.objects.db].vendor == "postgresql":
            # One statement: the event, and a delivery for each webhook that still matches.
            stored = outbox.outbox_insert(
                event=row,
                webhook_ids=webhook_ids,
                route=route,
                prefixes=diff_prefixes(event.get("diff")) if event["event"] == EDIT else set(),
            )
        else:
            stored = outbox.outbox_insert_two_statements(event=row, webhook_ids=webhook_ids)
        doorbell.ring_on_commit(webhook_ids=stored)
        return stored


# --- The events subscriber ---------------------------------------------------------------------


class Router:
    """The `events` subscriber of webhooks (events.subscribers; see the module docstring)."""

    def interest(self, *, company_id: str, type: str, context: dict[str, Any]) -> Interest:
        key = event_route_key(type, context)
        if key is None:
            return NOBODY
        known = routes.routes_of(company_id, company_routes)
        if known is None:  # the route table cannot tell: one indexed query for this company
            known, recheck = company_routes(company_id), False
        else:
            recheck = routes.behind_possible()
        ids, subscriptions = known.get(key, ((), {}))
        if not ids:
            return NOBODY
        return Interest(ids, subscriptions, company_id, type, dict(context), recheck)

    def receive(self, *, event: dict[str, Any], interest: Interest) -> None:
        event_store(event=event, interest=interest)


router = Router()
