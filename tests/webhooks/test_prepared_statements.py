"""On PostgreSQL the delivery engine's statements are prepared once per connection and then only
executed: planning them cost the server about as much as running them (DATABASE_PREPARED_STATEMENTS,
docs/performance.md)."""

import pytest
from django.db import connection

from tests.webhooks.test_delivery_engine import create_tasks
from webhooks.engine import delivery as engine

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: CI's PostgreSQL run"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_prepared_statements_are_on_by_default():
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5


def test_the_attempt_record_is_a_prepared_statement_after_a_few_deliveries(
    db, receiver, make_webhook, workflow_a
):
    webhook = make_webhook(receiver.url("/hook"))
    create_tasks(workflow_a, 8)

    engine.webhook_drain(webhook_id=webhook.pk)

    assert len(receiver.on("/hook")) == 8
    records = [s for s in prepared_statements() if 'INSERT INTO "webhooks_attempt"' in s]
    assert len(records) == 1, prepared_statements()
