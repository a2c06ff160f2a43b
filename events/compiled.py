"""The hot paths' SQL without the ORM's per-call cost: capture's reads, the outbox and records.

Building and compiling a queryset costs Django several times more than
SQLite or PostgreSQL take to run it; capture runs the same few queries on
every save. `compiled()` builds a queryset once, with `placeholder()` strings
where the values go, keeps its SQL and converters, and `Compiled.rows()`
runs that SQL with the real values. Only for string values (our ids).
`rows_insert()`, `row_and_children_insert()` and `row_insert_and_update()` write plain INSERT/UPDATE
statements, with the columns and value adaptation of the models' own fields.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

_MARK = "\x00compiled:"


def placeholder(name: str) -> str:
    return _MARK + name


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple
    alias: str
    compiler: SQLCompiler
    converters: dict
    columns: list[str]

    def bind(self, **values: Any) -> list:
        """The parameters of `sql` with these values in place of the placeholders."""
        return [
            values[p[len(_MARK) :]] if isinstance(p, str) and p.startswith(_MARK) else p for p in self.params
        ]

    def rows(self, **values: Any) -> list[tuple]:
        params = self.bind(**values)
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]
        return rows


_cache: dict[tuple[str, Any], Compiled] = {}


def compiled(key: Any, alias: str, build: Callable[[], QuerySet]) -> Compiled:
    """The queryset `build()` makes (with placeholders), compiled once per database and key."""
    if (alias, key) not in _cache:
        compiler = build().using(alias).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        expressions = [expression for expression, _, _ in compiler.select]
        columns = [getattr(getattr(e, "target", None), "attname", None) for e in expressions]
        converters = compiler.get_converters(expressions)
        _cache[alias, key] = Compiled(sql, params, alias, compiler, converters, columns)
    return _cache[alias, key]


_sql_cache: dict[tuple, tuple[str, list]] = {}


def _fields(model: type[Model], names) -> list:
    return [model._meta.get_field(name) for name in names]


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
            fields,
        )
    sql, fields = _sql_cache[key]
    own = fields[: len(rows[0])]
    alike = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields[len(own) :], shared.values(), strict=True)
    ]
    params = []
    for row in rows:
        params += [
            field.get_db_prep_save(value, connection) for field, value in zip(own, row.values(), strict=True)
        ]
        params += alike
    return sql, params


def prepared_values(connection, model: type[Model], row: dict[str, Any]) -> list:
    """The row's values as its fields would send them to this database."""
    return [model._meta.get_field(name).get_db_prep_save(value, connection) for name, value in row.items()]


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


def rows_insert(
    model: type[Model],
    rows: list[dict[str, Any]],
    *,
    shared: dict[str, Any] | None = None,
    returning: str | None = None,
) -> list:
    """One INSERT of these rows (all with the same keys, plus the `shared` ones, every column
    without a default given), values adapted by their fields as the ORM would; returns
    `returning` values."""
    connection = connections[router.db_for_write(model)]
    sql, params = insert_sql(connection, model, rows, shared)
    if returning:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.get_field(returning).column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if returning else []


def row_and_children_insert(
    parent: tuple[type[Model], dict[str, Any]],
    children: tuple[type[Model], list[dict[str, Any]]],
    *,
    link: str,
    shared: dict[str, Any] | None = None,
) -> int:
    """INSERT one parent row, then child rows (each with the `shared` columns too) whose
    `link` foreign key is the parent's new (auto) id; returns that id.

    On PostgreSQL it is one statement (the parent's INSERT in a WITH clause, each child
    reading its id from there); elsewhere two.
    """
    (parent_model, row), (child_model, rows) = parent, children
    connection = connections[router.db_for_write(child_model)]
    if connection.vendor != "postgresql" or not rows:
        (parent_id,) = rows_insert(parent_model, [row], returning="id")
        if rows:
            rows_insert(child_model, rows, shared={**(shared or {}), link: parent_id})
        return parent_id
    parent_sql, parent_params = insert_sql(connection, parent_model, [row])
    child_sql, child_params = insert_sql(connection, child_model, rows, shared)
    quote = connection.ops.quote_name
    parent_id = f"(SELECT {quote(parent_model._meta.pk.column)} FROM parent)"
    # Each child row's values end with the link column's, read from the parent's INSERT.
    child_sql = child_sql.replace(
        ") VALUES (", f", {quote(child_model._meta.get_field(link).column)}) VALUES (", 1
    )
    child_sql = child_sql.replace("%s)", f"%s, {parent_id})")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH parent AS ({parent_sql} RETURNING {quote(parent_model._meta.pk.column)}) {child_sql} "
            f"RETURNING {parent_id}",
            parent_params + child_params,
        )
        return cursor.fetchone()[0]


def row_insert_and_update(
    insert: tuple[type[Model], dict[str, Any]], update: tuple[type[Model], dict[str, Any]], **where: Any
) -> int:
    """INSERT one row and UPDATE ... SET changes WHERE every `where` field equals its value,
    atomically, in one commit; returns the UPDATE's row count.

    On PostgreSQL it is one statement (the INSERT in a WITH clause): one round trip, where
    BEGIN, INSERT, UPDATE, COMMIT would be four.
    """
    (insert_model, row), (update_model, changes) = insert, update
    connection = connections[router.db_for_write(update_model)]
    row_sql, row_params = insert_sql(connection, insert_model, [row])
    update_sql, update_params = _update_sql(connection, update_model, changes, where)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"WITH inserted AS ({row_sql}) {update_sql}", row_params + update_params)
            return cursor.rowcount
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(row_sql, row_params)
        cursor.execute(update_sql, update_params)
        return cursor.rowcount
