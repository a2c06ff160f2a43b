"""webhooks.engine.record: the attempt's record, written by hand, matches the models and keeps
its fence."""

import re

from django.utils import timezone

from tests.webhooks.test_delivery_engine import create_tasks
from webhooks.engine import record
from webhooks.models import Attempt, Delivery


def columns_of(model, names) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def test_the_statements_name_the_models_tables_and_columns_in_the_order_the_values_go():
    insert = re.fullmatch(r'INSERT INTO "(\w+)" \((.*)\) VALUES \((.*)\)', record.ATTEMPT_INSERT)
    assert insert.group(1) == Attempt._meta.db_table
    assert re.findall(r'"(\w+)"', insert.group(2)) == columns_of(Attempt, record.ATTEMPT_FIELDS)
    assert insert.group(3).count("%s") == len(record.ATTEMPT_FIELDS)

    update = re.fullmatch(r'UPDATE "(\w+)" SET (.*) WHERE (.*) RETURNING .*', record.DELIVERY_UPDATE)
    assert update.group(1) == Delivery._meta.db_table
    assert re.findall(r'"(\w+)" = %s', update.group(2)) == columns_of(Delivery, record.DELIVERY_FIELDS)
    assert re.findall(r'"(\w+)" = %s', update.group(3)) == columns_of(Delivery, record.FENCE_FIELDS)
    assert f"WITH inserted AS ({record.ATTEMPT_INSERT}) {record.DELIVERY_UPDATE}" == record.RECORD_POSTGRESQL


def attempt_row(delivery: Delivery, number: int) -> dict:
    return {
        "delivery": delivery.pk, "number": number, "started_at": timezone.now(), "duration_ms": 12,
        "status_code": 200, "response_body": "ok", "response_truncated": False, "error": "",
        "request_headers": {"webhook-id": delivery.object_id}, "after_lost_lease": False,
        "retry_after": None,
    }  # fmt: skip


def success(number: int) -> dict:
    now = timezone.now()
    return {
        "state": Delivery.State.SUCCESS, "attempts": number, "status_code": 200, "response": "ok",
        "response_truncated": False, "next_attempt_at": now, "completed_at": now,
    }  # fmt: skip


def test_a_record_writes_the_attempt_moves_the_delivery_on_and_reads_the_webhook_active(
    db, make_webhook, workflow_a
):
    make_webhook("http://127.0.0.1:9/hook")
    (task,) = create_tasks(workflow_a, 1)
    delivery = Delivery.objects.get()

    active = record.attempt_record_write(
        attempt=attempt_row(delivery, 1),
        changes=success(1),
        fence={"id": delivery.pk, "state": Delivery.State.PENDING, "attempts": 0},
    )

    assert active == [True]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("success", 1, 200)
    attempt = Attempt.objects.get()
    assert (attempt.delivery_id, attempt.number, attempt.duration_ms) == (delivery.pk, 1, 12)
    assert attempt.request_headers == {"webhook-id": delivery.object_id}


def test_a_record_whose_fence_fails_keeps_the_attempt_and_leaves_the_delivery_alone(
    db, make_webhook, workflow_a
):
    make_webhook("http://127.0.0.1:9/hook")
    create_tasks(workflow_a, 1)
    delivery = Delivery.objects.get()

    active = record.attempt_record_write(
        attempt=attempt_row(delivery, 1),
        changes=success(1),
        fence={"id": delivery.pk, "state": Delivery.State.PENDING, "attempts": 1},  # already recorded
    )

    assert active == []
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert Attempt.objects.filter(delivery=delivery).count() == 1
