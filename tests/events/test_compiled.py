"""The hot paths' plain SQL (events.compiled): what it sends, and who can see it."""

import sqlite3
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.test.utils import CaptureQueriesContext

from events.compiled import _keeps_text, adapted, hot_cursor, rows_insert
from events.models import Task
from webhooks.models import Delivery, Event, Trigger, Webhook

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite cursor")


@pytest.fixture
def task_webhook(db, company_a, workflow_a):
    return Webhook.objects.create(
        company=company_a,
        name="tasks",
        code="tasks",
        url="https://example.com/",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


def test_a_str_is_sent_as_django_would_send_it_for_every_outbox_column(db):
    samples = ["", "6b0ef8785b0dad83ec0f20b7", "tarea ñandú", "{}", "100%", "%s"]
    for model in (Event, Delivery):
        for field in model._meta.concrete_fields:
            for value in samples:
                try:
                    expected = field.get_db_prep_save(value, connection)
                except (TypeError, ValueError, ValidationError):
                    continue  # not a value this column takes
                assert adapted(field, value, connection, _keeps_text(field)) == expected, field


def test_only_plain_text_columns_and_keys_to_them_pass_a_str_through(db):
    assert _keeps_text(Event._meta.get_field("body"))
    assert _keeps_text(Delivery._meta.get_field("webhook"))  # a key to a char primary key
    assert not _keeps_text(Delivery._meta.get_field("created_at"))
    assert not _keeps_text(Delivery._meta.get_field("attempts"))
    # A subclass may transform what it stores (the signing secret is encrypted).
    assert not _keeps_text(Webhook._meta.get_field("secret"))
    moment = datetime(2026, 12, 1, 2, 47, 2, 123000, tzinfo=UTC)
    field = Delivery._meta.get_field("created_at")
    assert adapted(field, moment, connection, False) == field.get_db_prep_save(moment, connection)


@sqlite_only
def test_on_sqlite_capture_runs_on_the_connection_itself_when_nobody_watches(
    task_webhook, workflow_a, monkeypatch
):
    seen_by_sqlite: list[str] = []
    seen_by_django: list[str] = []
    djangos_execute = CursorWrapper.execute

    def spy_execute(self, sql, params=None):  # records, changes nothing
        seen_by_django.append(sql)
        return djangos_execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", spy_execute)
    connection.ensure_connection()
    connection.connection.set_trace_callback(seen_by_sqlite.append)
    try:
        Task.objects.create(company=task_webhook.company, workflow=workflow_a, name="Fix pump")
        assert not [sql for sql in seen_by_django if "webhooks_" in sql]  # none through Django's
        with connection.execute_wrapper(lambda execute, *args: execute(*args)):
            Task.objects.create(company=task_webhook.company, workflow=workflow_a, name="Fix valve")
    finally:
        connection.connection.set_trace_callback(None)

    event_inserts = [sql for sql in seen_by_sqlite if sql.startswith('INSERT INTO "webhooks_event"')]
    assert len(event_inserts) == 2  # both ran, on the same connection
    # With a wrapper installed (as with DEBUG or CaptureQueriesContext), Django's cursor runs
    # every statement, so the wrapper sees the outbox's too.
    assert [sql for sql in seen_by_django if sql.startswith('INSERT INTO "webhooks_event"')]
    assert Delivery.objects.filter(webhook=task_webhook).count() == 2


def test_a_query_log_sees_the_outbox_statements(task_webhook, workflow_a):
    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=task_webhook.company, workflow=workflow_a, name="Fix pump")
    sql = [query["sql"] for query in queries.captured_queries]
    assert any('INSERT INTO "webhooks_event"' in statement for statement in sql)
    assert any('INSERT INTO "webhooks_delivery"' in statement for statement in sql)


def test_a_database_error_is_djangos_and_rolls_the_transaction_back(task_webhook, workflow_a):
    Task.objects.create(company=task_webhook.company, workflow=workflow_a, name="Fix pump")
    taken = Delivery.objects.get()
    row = {"object_id": taken.object_id, "webhook": task_webhook.pk}
    shared = {
        "company": taken.company_id,
        "event": taken.event_id,
        "next_attempt_at": taken.created_at,
        "created_at": taken.created_at,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(Delivery, [row], shared=shared)
    assert Delivery.objects.count() == 1
    with hot_cursor(connection) as cursor:  # the connection is usable again
        cursor.execute("SELECT COUNT(*) FROM webhooks_delivery WHERE object_id = %s", [taken.object_id])
        assert cursor.fetchone() == (1,)


@sqlite_only
def test_a_literal_percent_sign_in_the_sql_reaches_sqlite_as_one(db):
    with hot_cursor(connection) as cursor:
        cursor.execute("SELECT '100%%', %s", ["x"])
        assert cursor.fetchall() == [("100%", "x")]
    assert sqlite3.sqlite_version_info >= (3, 35)  # RETURNING, which the outbox uses
