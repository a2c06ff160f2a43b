"""The logs' FAILED filter within dates reads the failed deliveries' partial index
(`delivery_failed`, webhooks/models/delivery.py): the capped count from the index alone
(docs/performance.md, benchmark 4, prints the plans at a million rows; the order of the page is
tested in tests/webhooks/test_api_logs.py)."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.webhooks.test_api_logs import make_log
from webhooks.models import Delivery, Trigger, Webhook
from webhooks.panel.queries import CappedPaginator, deliveries_for


def failed_within_a_week(webhook):
    return deliveries_for(webhook).log_filter(
        company_id=webhook.company_id,
        result=Delivery.State.FAILED,
        status=500,
        created_from=timezone.now() - timedelta(days=7),
    )


def count_plan(paginator: CappedPaginator) -> str:
    """The plan of the statement the panel's pager counts with."""
    with CaptureQueriesContext(connection) as captured:
        assert paginator.count == 2
    (count,) = captured.captured_queries
    explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test's table is a few rows, which PostgreSQL would rather read whole.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(explain + count["sql"])
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())


@pytest.fixture
def logs(company_a, workflow_a):
    hook = Webhook.objects.create(
        company=company_a,
        name="Orders",
        code="orders",
        url="https://www.server.com",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )
    now = timezone.now()
    for days in (10, 3, 1):
        make_log(hook, statuses=(500,), at=now - timedelta(days=days))
    make_log(hook, state=Delivery.State.SUCCESS, statuses=(200,), at=now)
    Delivery.objects.filter(webhook=hook).update(status_code=500)
    return hook


def test_the_failed_logs_within_dates_are_counted_from_the_failed_deliveries_index_alone(logs):
    plan = count_plan(CappedPaginator(failed_within_a_week(logs), 10))

    if connection.vendor == "postgresql":
        assert "Index Only Scan using delivery_failed" in plan, plan
    else:
        assert "COVERING INDEX delivery_failed" in plan, plan
