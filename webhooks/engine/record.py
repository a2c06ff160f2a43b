"""The attempt's record: the `Attempt` row and the delivery's new state, fenced, in one commit.

Every delivery takes this path once per attempt, so it is written by hand rather than through
`Attempt.objects.create()` and a queryset `update()` (whose building costs more than the
statements: docs/performance.md). On PostgreSQL it is one statement, `RECORD_POSTGRESQL`: the
INSERT in a WITH clause, then the fenced UPDATE, which also returns whether the delivery's webhook
is still active — one round trip where BEGIN, INSERT, UPDATE, COMMIT would be four. Elsewhere
(SQLite) the same INSERT and UPDATE run one after the other in the caller's transaction. Both run
through Django's cursor, with each value adapted by its model field as the ORM would.
"""

import functools
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from webhooks.models import Attempt, Delivery

# The columns written, in order: the attempt's, the delivery's changes, and the fence (the
# delivery's id, and the state and attempt count its drain read).
ATTEMPT_FIELDS = (
    "delivery", "number", "started_at", "duration_ms", "status_code", "response_body",
    "response_truncated", "error", "request_headers", "after_lost_lease", "retry_after",
)  # fmt: skip
DELIVERY_FIELDS = (
    "state", "attempts", "status_code", "response", "response_truncated", "next_attempt_at", "completed_at",
)  # fmt: skip
FENCE_FIELDS = ("id", "state", "attempts")


# The statements, written out (the quoting is standard SQL, which PostgreSQL and SQLite share).
# tests/webhooks/test_record.py checks their columns against the models'.
ATTEMPT_INSERT = (
    'INSERT INTO "webhooks_attempt" ("delivery_id", "number", "started_at", "duration_ms", '
    '"status_code", "response_body", "response_truncated", "error", "request_headers", '
    '"after_lost_lease", "retry_after") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)'
)
DELIVERY_UPDATE = (
    'UPDATE "webhooks_delivery" SET "state" = %s, "attempts" = %s, "status_code" = %s, '
    '"response" = %s, "response_truncated" = %s, "next_attempt_at" = %s, "completed_at" = %s '
    'WHERE "id" = %s AND "state" = %s AND "attempts" = %s RETURNING '
    '(SELECT w."is_active" FROM "webhooks_webhook" w WHERE w."id" = "webhooks_delivery"."webhook_id")'
)
# PostgreSQL: both in one statement, the INSERT in a WITH clause.
RECORD_POSTGRESQL = f"WITH inserted AS ({ATTEMPT_INSERT}) {DELIVERY_UPDATE}"


@functools.cache
def _fields(model: type[Model], names: tuple[str, ...]) -> list[Field[Any, Any]]:
    fields = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)  # a column of the model, not the reverse side of a relation
        fields.append(field)
    return fields


def _values(
    model: type[Model], names: tuple[str, ...], row: dict[str, Any], connection: BaseDatabaseWrapper
) -> list[Any]:
    """The row's values as their fields would send them to this database."""
    return [field.get_db_prep_save(row[field.name], connection) for field in _fields(model, names)]


def attempt_record_write(
    *, attempt: dict[str, Any], changes: dict[str, Any], fence: dict[str, Any]
) -> list[bool]:
    """Insert the attempt and update its delivery where the fence still holds, atomically;
    returns the webhook's `is_active` for the updated delivery ([] when the fence failed: another
    drain recorded this attempt first)."""
    connection = connections[router.db_for_write(Delivery)]
    params = [
        *_values(Attempt, ATTEMPT_FIELDS, attempt, connection),
        *_values(Delivery, DELIVERY_FIELDS, changes, connection),
        *_values(Delivery, FENCE_FIELDS, fence, connection),
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(RECORD_POSTGRESQL, params)
            return [bool(row[0]) for row in cursor.fetchall()]
    split = len(ATTEMPT_FIELDS)
    # No savepoint: inside a transaction of grouped records (webhooks.engine.dispatcher) it only joins.
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.execute(ATTEMPT_INSERT, params[:split])
        cursor.execute(DELIVERY_UPDATE, params[split:])
        return [bool(row[0]) for row in cursor.fetchall()]
