"""What is left of events.compiled (the delivery engine's record of an attempt): what it sends."""

import sqlite3
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from events.compiled import _keeps_text, adapted, hot_cursor
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
def test_a_literal_percent_sign_in_the_sql_reaches_sqlite_as_one(db):
    with hot_cursor(connection) as cursor:
        cursor.execute("SELECT '100%%', %s", ["x"])
        assert cursor.fetchall() == [("100%", "x")]
    assert sqlite3.sqlite_version_info >= (3, 35)  # RETURNING, which the outbox uses
