"""The outbox: an event and its deliveries, written in the changing transaction.

Every wanted change pays it, so its statements are written by hand and run through Django's
cursor (the query log and `execute_wrapper()`s see them), with values adapted by the models'
fields. On PostgreSQL it is one statement, `OUTBOX_INSERT` (INSERT ... WITH): one round trip where
the ORM needs two (the event's INSERT, then the deliveries' `bulk_create()`, which needs the
event's id). On SQLite, which has no INSERT in a WITH clause, it is `OUTBOX_EVENT_INSERT` then
`OUTBOX_DELIVERIES_INSERT`: the ORM's `save()` and `bulk_create()` of the same rows cost a wanted
change about 600 µs more, a third of what it costs in all (docs/performance.md, "Capture").

It also re-checks the webhooks on their rows when asked to (`route`): the route table
(webhooks.engine.routes) may be a little behind another process's change of a webhook, so the
statement keeps only the webhooks that still have the event's route and still want the change
— the rule of `webhooks.engine.routing.routed_webhooks()`, written here in SQL, and tested
against the same table of cases (tests/webhooks/test_routing_rule.py). No webhook kept: neither
event nor delivery is written.
"""

from typing import Any

from django.db import connections

from events.ids import new_object_id
from webhooks.models import PAUSED_REASONS, Delivery, Event, Trigger, Webhook
from webhooks.subscription import ACTIONS, EDIT

OUTBOX_INSERT = """
WITH kept AS (
    SELECT v.object_id, w.id AS webhook_id
    FROM unnest(%(delivery_ids)s::text[], %(webhook_ids)s::text[]) WITH ORDINALITY
        AS v(object_id, webhook_id, position)
    JOIN webhooks_webhook w ON w.id = v.webhook_id
    WHERE NOT %(recheck)s OR (
        w.company_id = %(company)s
        AND (w.is_active OR w.inactive_reason = ANY(%(paused)s::text[]))
        AND w.trigger = %(trigger)s
        AND (w.trigger <> %(task)s OR w.workflow_id = %(workflow)s)
        AND (w.trigger <> %(survey)s OR (w.survey_id = %(survey_id)s AND w.group_id = %(group)s))
        AND (
            %(action)s <> ALL(%(actions)s::text[])
            OR (
                w.events ? %(action)s
                AND (%(action)s <> %(edit)s OR w.fields = '[]'::jsonb OR w.fields ?| %(prefixes)s::text[])
            )
        )
    )
    ORDER BY v.position
),
parent AS (
    INSERT INTO webhooks_event (object_id, company_id, type, action, subject_id, body, created_at)
    SELECT %(event_object_id)s, %(company)s, %(type)s, %(action)s, %(subject_id)s, %(body)s, %(created_at)s
    WHERE EXISTS (SELECT 1 FROM kept)
    RETURNING id
)
INSERT INTO webhooks_delivery (object_id, company_id, webhook_id, event_id, kind, state, attempts,
                               response, response_truncated, next_attempt_at, created_at)
SELECT kept.object_id, %(company)s, kept.webhook_id, parent.id, %(kind)s, %(state)s, 0,
       '', false, %(created_at)s, %(created_at)s
FROM kept, parent
RETURNING webhook_id
"""
"""The event and a delivery for each of `webhook_ids` (in that order) that, with `recheck`,
still has the route (company, trigger, active or paused, workflow or survey and group) and
still wants the action (for an edit: no fields, or one of `prefixes`). Returns the webhooks
that got a delivery."""


def outbox_insert(
    *,
    event: Event,
    webhook_ids: tuple[str, ...] | list[str],
    route: tuple[Any, ...] | None,
    prefixes: set[str],
) -> list[str]:
    """Run OUTBOX_INSERT for this unsaved event (`route`: the event's route key, to re-check the
    webhooks against; None: they are known to match, as read in this transaction)."""
    key = route or (None,)
    params: dict[str, Any] = {
        "delivery_ids": [new_object_id() for _ in webhook_ids],
        "webhook_ids": list(webhook_ids),
        "recheck": route is not None,
        "company": event.company_id,
        "paused": [str(reason) for reason in PAUSED_REASONS],
        "trigger": key[0],
        "task": Trigger.TASK.value,
        "survey": Trigger.SURVEY.value,
        "workflow": key[1] if key[0] == Trigger.TASK else None,
        "survey_id": key[1] if key[0] == Trigger.SURVEY else None,
        "group": key[2] if key[0] == Trigger.SURVEY else None,
        "action": event.action,
        "actions": list(ACTIONS),
        "edit": EDIT,
        "prefixes": sorted(prefixes),
        "event_object_id": event.object_id,
        "type": event.type,
        "subject_id": event.subject_id,
        "body": event.body,
        "created_at": event.created_at,
        "kind": Delivery.Kind.EVENT.value,
        "state": Delivery.State.PENDING.value,
    }
    with connections[Webhook.objects.db].cursor() as cursor:
        cursor.execute(OUTBOX_INSERT, params)
        return [row[0] for row in cursor.fetchall()]


OUTBOX_EVENT_INSERT = (
    'INSERT INTO "webhooks_event" ("object_id", "company_id", "type", "action", "subject_id", "body", '
    '"created_at") VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING "id"'
)
# Followed by one OUTBOX_DELIVERY_VALUES per delivery, joined by ", ".
OUTBOX_DELIVERIES_INSERT = (
    'INSERT INTO "webhooks_delivery" ("object_id", "company_id", "webhook_id", "event_id", "kind", '
    '"state", "attempts", "response", "response_truncated", "next_attempt_at", "created_at") VALUES '
)
OUTBOX_DELIVERY_VALUES = "(%s, %s, %s, %s, %s, %s, 0, '', %s, %s, %s)"


def outbox_insert_two_statements(*, event: Event, webhook_ids: tuple[str, ...] | list[str]) -> list[str]:
    """OUTBOX_EVENT_INSERT, then OUTBOX_DELIVERIES_INSERT with a delivery for each of
    `webhook_ids`, in that order (ids are handed out in that order: the queue keeps it). Sets
    the event's id; returns `webhook_ids`."""
    connection = connections[Webhook.objects.db]
    created_at = Event._meta.get_field("created_at").get_db_prep_save(event.created_at, connection)
    false = Delivery._meta.get_field("response_truncated").get_db_prep_save(False, connection)
    kind, state = Delivery.Kind.EVENT.value, Delivery.State.PENDING.value
    with connection.cursor() as cursor:
        cursor.execute(
            OUTBOX_EVENT_INSERT,
            [event.object_id, event.company_id, event.type, event.action, event.subject_id, event.body,
             created_at],
        )  # fmt: skip
        event.pk = cursor.fetchone()[0]
        params: list[Any] = []
        for webhook_id in webhook_ids:
            params += [new_object_id(), event.company_id, webhook_id, event.pk, kind, state, false,
                       created_at, created_at]  # fmt: skip
        cursor.execute(
            OUTBOX_DELIVERIES_INSERT + ", ".join([OUTBOX_DELIVERY_VALUES] * len(webhook_ids)), params
        )
    return list(webhook_ids)
