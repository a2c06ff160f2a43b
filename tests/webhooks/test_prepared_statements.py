"""On PostgreSQL the delivery engine's database threads prepare their statements once per connection
and then only execute them: planning them cost the server about as much as running them
(DATABASE_PREPARED_STATEMENTS, docs/performance.md). No other connection prepares: PostgreSQL may
then use one generic plan for every parameter, and a small company's filtered Logs, planned for a
large company's, took 266 ms instead of 17 (bench panel)."""

import pytest
from django.db import connection

from tests.waiting import wait_until
from tests.webhooks.test_delivery_engine import create_tasks
from webhooks.engine import delivery as engine
from webhooks.engine.dispatcher import DatabaseThread, Dispatcher
from webhooks.models import Delivery

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: CI's PostgreSQL run"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_connections_bind_parameters_on_the_server_by_default(settings):
    assert settings.DATABASE_PREPARED_STATEMENTS is True
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True


@pytest.mark.django_db(transaction=True)
def test_the_attempt_record_is_a_prepared_statement_on_a_database_thread(
    settings, receiver, make_webhook, workflow_a
):
    settings.WEBHOOK_DATABASE_THREADS = 1  # so that the statement count below is one connection's
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 8)
    dispatcher = Dispatcher(concurrency=1, per_host=10, drain=lambda pk: engine.webhook_drain(webhook_id=pk))
    dispatcher.database.start()
    try:
        dispatcher.accept(webhook.pk)
        receiver.wait_for("/hook", 8, timeout=30)
        # Asked on the database thread's own connection: a prepared statement is its session's.
        statements = dispatcher.database.call(prepared_statements)
    finally:
        dispatcher.stopping.set()
        wait_until(lambda: not dispatcher.running, message="the drain to end")
        dispatcher.database.stop()

    assert len([s for s in statements if 'INSERT INTO "webhooks_attempt"' in s]) == 1, statements


@pytest.mark.django_db(transaction=True)
def test_with_the_setting_off_a_database_thread_prepares_nothing(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    database = DatabaseThread().start()
    try:
        for _ in range(8):
            database.call(lambda: Delivery.objects.filter(webhook_id="x").exists())
        statements = database.call(prepared_statements)
    finally:
        database.stop()

    assert statements == []


def test_web_requests_prepare_nothing(staff_client, webhook):
    for _ in range(8):  # past psycopg's threshold of 5 runs
        response = staff_client.get(f"/webhooks/{webhook.pk}/logs/?result=failed")
        assert response.status_code == 200

    assert prepared_statements() == []
