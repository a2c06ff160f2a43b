"""Recovery after an outage through a real qcluster: the receiver is down while five events fail
their three attempts; once it is back, one bulk redelivery brings all five, in their order."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from tests.e2e.conftest import wait_until
from tests.e2e.test_delivery import create_tasks, make_webhook, sent_task_ids
from tests.receiver import Reply
from webhooks.models import ApiToken, Delivery

EVENTS = 5


def test_one_bulk_redelivery_brings_every_failed_event_back_in_order(
    start_cluster, receiver, admin_a, company_a, workflow_a
):
    webhook = make_webhook(company_a, workflow_a, receiver.url("/erp"))
    receiver.script("/erp", *[Reply(503)] * (3 * EVENTS))  # down: every attempt of the outage
    start_cluster(WEBHOOK_RETRY_DELAY="0.2")
    outage_start = timezone.now() - timedelta(seconds=1)

    task_ids = create_tasks(workflow_a, EVENTS)

    wait_until(
        lambda: Delivery.objects.filter(state="failed").count() == EVENTS,
        timeout=120,
        message="every event of the outage to fail",
    )
    assert len(receiver.on("/erp")) == 3 * EVENTS
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=admin_a, name='ops')[1]}")

    response = api.post(
        f"/api/v3/webhook/subscription/logs/{webhook.pk}/redeliver-failed",
        {"createdAtFrom": outage_start.isoformat(), "createdAtTo": timezone.now().isoformat()},
        format="json",
    )

    assert response.status_code == 202 and response.json() == {"queued": EVENTS, "remaining": 0}
    requests = receiver.wait_for("/erp", 4 * EVENTS)
    assert sent_task_ids(requests[3 * EVENTS :]) == task_ids
    wait_until(
        lambda: Delivery.objects.filter(kind="redelivery", state="success").count() == EVENTS,
        message="the redeliveries to succeed",
    )
    originals = dict(Delivery.objects.filter(kind="event").values_list("object_id", "event_id"))
    for again in Delivery.objects.filter(kind="redelivery"):
        assert originals[again.redelivery_of] == again.event_id
    assert receiver.overlaps == []
