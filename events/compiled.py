"""What is left of the hot paths' plain SQL: `row_insert_and_update()`, the delivery engine's
record of an attempt (webhooks.engine.delivery), until that statement moves into the engine.

Capture no longer uses this module (webhooks.engine.routing, webhooks.engine.outbox); it goes
once the record does.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models import CharField, Field, ForeignKey, Model, TextField

# Our few statements in SQLite's qmark style, converted once (Django converts each time).
_qmark: dict[str, str] = {}
_QMARK_MAX = 1024


class _SQLiteCursor:
    """The parts of a DB-API cursor the hot paths use, on the sqlite3 connection itself."""

    def __init__(self, raw) -> None:
        self._cursor = raw.cursor()

    def execute(self, sql: str, params: list) -> None:
        query = _qmark.get(sql)
        if query is None:
            if len(_qmark) >= _QMARK_MAX:
                _qmark.clear()
            query = _qmark[sql] = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        self._cursor.execute(query, params)

    def fetchall(self) -> list:
        return self._cursor.fetchall()

    def fetchone(self):
        return self._cursor.fetchone()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


@contextlib.contextmanager
def hot_cursor(connection: BaseDatabaseWrapper) -> Iterator[Any]:
    """A cursor for the attempt record's statements: Django's own, except on SQLite when
    nobody watches the queries.

    On SQLite Django's cursor layers cost four times a short statement itself (16 us against
    3.4 us for an indexed read); there the statement runs on
    the sqlite3 connection of the same transaction, with Django's error mapping. Query
    logging (DEBUG, `CaptureQueriesContext`) and `execute_wrapper()`s see every statement:
    with either in use, Django's cursor runs it.
    """
    if connection.vendor != "sqlite" or connection.queries_logged or connection.execute_wrappers:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = _SQLiteCursor(connection.connection)
        try:
            yield cursor
        finally:
            cursor._cursor.close()


_sql_cache: dict[tuple, tuple[str, list]] = {}


def _fields(model: type[Model], names) -> list:
    return [model._meta.get_field(name) for name in names]


_TEXT_FIELDS = (CharField, TextField)


def _keeps_text(field: Field) -> bool:
    """True when the field sends a str to the database as it is (a plain char or text column,
    or a foreign key to one): Django's adaptation of such a value is the value itself."""
    target = field.target_field if isinstance(field, ForeignKey) else field
    return type(target) in _TEXT_FIELDS


def adapted(field: Field, value: Any, connection, keeps_text: bool) -> Any:
    """`field.get_db_prep_save(value, connection)`, without its calls for a str that a text
    field (`keeps_text`, from `_keeps_text()`) sends as it is."""
    if keeps_text and type(value) is str:
        return value
    return field.get_db_prep_save(value, connection)


def insert_sql(
    connection, model: type[Model], rows: list[dict[str, Any]], shared: dict[str, Any] | None = None
) -> tuple[str, list]:
    """The INSERT of these rows, each followed by the `shared` columns: values every row has
    alike, adapted once (adapting a value costs more than sending it)."""
    shared = shared or {}
    key = ("insert", connection.alias, model, tuple(rows[0]), tuple(shared), len(rows))
    if key not in _sql_cache:
        fields = _fields(model, [*rows[0], *shared])
        quote = connection.ops.quote_name
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        _sql_cache[key] = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([marks] * len(rows))}",
            [(field, _keeps_text(field)) for field in fields],
        )
    sql, fields = _sql_cache[key]
    own = fields[: len(rows[0])]
    alike = [
        adapted(field, value, connection, text)
        for (field, text), value in zip(fields[len(own) :], shared.values(), strict=True)
    ]
    params = []
    for row in rows:
        params += [
            adapted(field, value, connection, text)
            for (field, text), value in zip(own, row.values(), strict=True)
        ]
        params += alike
    return sql, params


def _update_sql(connection, model: type[Model], changes: dict[str, Any], where: dict[str, Any]):
    key = ("update", connection.alias, model, tuple(changes), tuple(where))
    if key not in _sql_cache:
        quote = connection.ops.quote_name
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET "
            + ", ".join(f"{quote(f.column)} = %s" for f in _fields(model, changes))
            + " WHERE "
            + " AND ".join(f"{quote(f.column)} = %s" for f in _fields(model, where))
        )
        _sql_cache[key] = (sql, _fields(model, [*changes, *where]))
    sql, fields = _sql_cache[key]
    values = [*changes.values(), *where.values()]
    return sql, [
        field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)
    ]


def row_insert_and_update(
    insert: tuple[type[Model], dict[str, Any]],
    update: tuple[type[Model], dict[str, Any]],
    *,
    returning: str,
    **where: Any,
) -> list[Any]:
    """INSERT one row and UPDATE ... SET changes WHERE every `where` field equals its value,
    atomically, in one commit; returns the `returning` SQL expression's value for each
    updated row (it may read other tables: a scalar subquery).

    On PostgreSQL it is one statement (the INSERT in a WITH clause): one round trip, where
    BEGIN, INSERT, UPDATE, COMMIT would be four.
    """
    (insert_model, row), (update_model, changes) = insert, update
    connection = connections[router.db_for_write(update_model)]
    row_sql, row_params = insert_sql(connection, insert_model, [row])
    update_sql, update_params = _update_sql(connection, update_model, changes, where)
    update_sql = f"{update_sql} RETURNING {returning}"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"WITH inserted AS ({row_sql}) {update_sql}", row_params + update_params)
            return [found[0] for found in cursor.fetchall()]
    # No savepoint: inside a transaction of grouped records (webhooks.engine.dispatcher) it only joins.
    with transaction.atomic(using=connection.alias, savepoint=False), hot_cursor(connection) as cursor:
        cursor.execute(row_sql, row_params)
        cursor.execute(update_sql, update_params)
        return [found[0] for found in cursor.fetchall()]
