"""The hot paths' SQL without the ORM's per-call cost: capture's reads, the outbox and records.

Building and compiling a queryset costs Django several times more than
SQLite or PostgreSQL take to run it; capture runs the same few queries on
every save. `compiled()` builds a queryset once, with `placeholder()` strings
where the values go, keeps its SQL and converters, and `Compiled.rows()`
runs that SQL with the real values. Only for string values (our ids).
`rows_insert()` and `rows_update()` write plain INSERT/UPDATE statements, with
the columns and value adaptation of the models' own fields.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
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

    def rows(self, **values: Any) -> list[tuple]:
        params = [
            values[p[len(_MARK) :]] if isinstance(p, str) and p.startswith(_MARK) else p for p in self.params
        ]
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


def _column(model: type[Model], name: str) -> tuple[str, Any]:
    field = model._meta.get_field(name)
    return field.column, field


def rows_insert(model: type[Model], rows: list[dict[str, Any]], *, returning: str | None = None) -> list:
    """One INSERT of these rows (all with the same keys, every column without a default
    given), values adapted by their fields as the ORM would; returns `returning` values."""
    connection = connections[router.db_for_write(model)]
    columns = [_column(model, name) for name in rows[0]]
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = [
        field.get_db_prep_save(row[name], connection)
        for row in rows
        for name, (_, field) in zip(row, columns, strict=True)
    ]
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
        f"({', '.join(connection.ops.quote_name(column) for column, _ in columns)}) "
        f"VALUES {', '.join([marks] * len(rows))}"
    )
    if returning:
        sql += f" RETURNING {connection.ops.quote_name(_column(model, returning)[0])}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if returning else []


def rows_update(model: type[Model], changes: dict[str, Any], **where: Any) -> int:
    """UPDATE ... SET changes WHERE every `where` field equals its value; returns the row count."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sets = [(*_column(model, name), value) for name, value in changes.items()]
    conditions = [(*_column(model, name), value) for name, value in where.items()]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET "
        + ", ".join(f"{quote(column)} = %s" for column, _, _ in sets)
        + " WHERE "
        + " AND ".join(f"{quote(column)} = %s" for column, _, _ in conditions)
    )
    params = [field.get_db_prep_save(value, connection) for _, field, value in (*sets, *conditions)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
