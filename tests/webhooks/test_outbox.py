"""The outbox (webhooks.engine.routing.event_store, webhooks.engine.outbox): what a wanted change
writes, in how many statements, and that every statement is seen by Django's query log."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from events.models import Task
from webhooks.engine import routes, routing
from webhooks.models import Delivery, Event, Trigger, Webhook

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL statement")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ORM outbox")


@pytest.fixture
def task_webhooks(db, company_a, workflow_a) -> list[Webhook]:
    return [
        Webhook.objects.create(
            company=company_a,
            name=f"tasks {i}",
            code=f"tasks_{i}",
            url="https://example.com/",
            trigger=Trigger.TASK,
            workflow=workflow_a,
        )
        for i in range(3)
    ]


def webhook_statements(queries) -> list[str]:
    return [q["sql"].strip() for q in queries.captured_queries if "webhooks_" in q["sql"]]


def test_a_query_log_sees_every_statement_of_the_outbox(task_webhooks, workflow_a):
    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Fix pump")

    statements = webhook_statements(queries)
    assert any("INSERT INTO" in sql and "webhooks_event" in sql for sql in statements)
    assert any("INSERT INTO" in sql and "webhooks_delivery" in sql for sql in statements)
    assert Delivery.objects.count() == 3


@sqlite_only
def test_on_sqlite_a_wanted_change_costs_four_statements_whatever_the_number_of_webhooks(
    task_webhooks, workflow_a
):
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Warm the table")

    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Fix pump")

    statements = webhook_statements(queries)
    assert statements[0] == routes.ROUTES_VERSION_READ  # the route table's answer
    words = [sql.split() for sql in statements[1:]]
    assert [f"{w[0]} {(w[2] if w[0] == 'INSERT' else w[1]).strip(chr(34))}" for w in words] == [
        "INSERT webhooks_event",
        "INSERT webhooks_delivery",  # one multi-row INSERT (bulk_create)
        "UPDATE webhooks_webhook",  # the ORM broker's doorbell
    ]


@postgresql_only
def test_on_postgresql_the_event_and_its_deliveries_are_one_statement(task_webhooks, workflow_a):
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Warm the table")

    with CaptureQueriesContext(connection) as queries:
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Fix pump")

    inserts = [sql for sql in webhook_statements(queries) if "INSERT INTO" in sql]
    assert len(inserts) == 1 and inserts[0].startswith("WITH kept AS")  # OUTBOX_INSERT
    assert Delivery.objects.filter(event__body__contains="Fix pump").count() == 3


def test_a_rolled_back_change_leaves_neither_event_nor_delivery(task_webhooks, workflow_a):
    with transaction.atomic():
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Fix pump")
        transaction.set_rollback(True)

    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_an_event_no_webhook_wants_is_not_stored(task_webhooks, company_a, workflow_a):
    nobody = routing.Interest(
        (task_webhooks[0].pk,), {task_webhooks[0].pk: (["create"], [])}, company_a.pk, "COTTask", {}
    )
    edit = {"company": company_a.pk, "type": "COTTask", "event": "edit", "data": {"_id": "t1"}, "diff": {}}

    assert routing.event_store(event=edit, interest=nobody) == []
    assert not Event.objects.exists()
