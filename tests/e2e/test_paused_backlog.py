"""Nothing lost: a paused webhook's queue filled with 10,000 events, then resumed through a real
qcluster: every one arrives, in order, once.

The events go through the routing service (webhooks.engine.routing.router: the interest query that
must still find the paused webhook, then the outbox INSERT), 1,000 to a transaction. Through the
full capture path (10,000 `Task.objects.create()`, each its own transaction) the fill took 275 s
on the shared 2-core test machine, over this test's 60 s budget; this way it takes a few seconds."""

import time
import uuid

from django.db import transaction

from tests.e2e.conftest import wait_until
from tests.e2e.test_delivery import make_webhook, sent_task_ids
from webhooks import services
from webhooks.engine.routing import router
from webhooks.models import Delivery, InactiveReason, Webhook

EVENTS = 10_000
PER_TRANSACTION = 1_000


def events_route(workflow, count: int) -> list[str]:
    """`count` task-creation events routed and stored as capture would; their task ids, in order."""
    ids = [uuid.uuid4().hex[:24] for _ in range(count)]
    context = {"taskGroup": workflow.pk}
    for start in range(0, count, PER_TRANSACTION):
        with transaction.atomic():
            for task_id in ids[start : start + PER_TRANSACTION]:
                interest = router.interest(company_id=workflow.company_id, type="COTTask", context=context)
                event = {
                    "company": workflow.company_id,
                    "type": "COTTask",
                    "event": "create",
                    "data": {"_id": task_id, "taskGroup": workflow.pk},
                    "diff": {},
                }
                router.receive(event=event, interest=interest)
    return ids


def test_ten_thousand_events_queued_while_paused_all_arrive_in_order_after_the_resume(
    start_cluster, receiver, company_a, workflow_a
):
    webhook = make_webhook(company_a, workflow_a, receiver.url("/erp"))
    Webhook.objects.filter(pk=webhook.pk).update(is_active=False, inactive_reason=InactiveReason.PAUSED_GONE)
    start_cluster(WEBHOOK_RETRY_DELAY="0.2")

    started = time.monotonic()
    task_ids = events_route(workflow_a, EVENTS)
    captured = time.monotonic() - started

    assert Delivery.objects.filter(webhook=webhook, state="pending").count() == EVENTS
    assert receiver.on("/erp") == []
    webhook.refresh_from_db()
    services.webhook_resume(webhook=webhook)
    resumed = time.monotonic()

    requests = receiver.wait_for("/erp", EVENTS, timeout=600)
    delivered = time.monotonic() - resumed
    assert sent_task_ids(requests) == task_ids
    wait_until(
        lambda: Delivery.objects.filter(webhook=webhook, state="success").count() == EVENTS,
        timeout=120,
        message="every delivery recorded",
    )
    assert len(receiver.on("/erp")) == EVENTS  # none twice
    assert receiver.overlaps == []
    print(
        f"\n{EVENTS} events: captured while paused in {captured:.1f} s, "
        f"delivered after the resume in {delivered:.1f} s"
    )
