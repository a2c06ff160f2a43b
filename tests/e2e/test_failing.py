"""A webhook that keeps failing, through a real qcluster: failing, then paused with its events
queuing and no request made; resumed, everything that waited arrives in order, none twice. A 410
pauses at once; a Retry-After is honoured."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from tests.e2e.conftest import wait_until
from tests.e2e.test_delivery import create_tasks, make_webhook, sent_task_ids
from tests.receiver import Reply
from webhooks.models import ApiToken, Delivery, Webhook

# Small thresholds, so that an outage runs its course in seconds: each delivery fails after two
# attempts; two failed deliveries make it failing; four spanning at least 1.2 s pause it.
FAILING = {
    "WEBHOOK_RETRY_DELAY": "0.2",
    "WEBHOOK_MAX_ATTEMPTS": "2",
    "WEBHOOK_FAILING_AFTER": "2",
    "WEBHOOK_PAUSE_AFTER_FAILURES": "4",
    "WEBHOOK_PAUSE_AFTER_MINUTES": "0.02",
}


def api_for(admin) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=admin, name='ops')[1]}")
    return api


def webhook_row(webhook: Webhook) -> Webhook:
    return Webhook.objects.get(pk=webhook.pk)


def test_a_receiver_down_makes_the_webhook_failing_then_paused_and_the_resume_delivers_what_waited(
    start_cluster, receiver, admin_a, company_a, workflow_a
):
    webhook = make_webhook(company_a, workflow_a, receiver.url("/erp"))
    receiver.script("/erp", then=Reply(503, b"down for maintenance"))
    start_cluster(**FAILING)

    task_ids = create_tasks(workflow_a, 10)

    wait_until(lambda: webhook_row(webhook).health_state == "failing", message="the webhook to be failing")
    wait_until(lambda: webhook_row(webhook).is_paused, timeout=120, message="the webhook to pause")
    paused = webhook_row(webhook)
    assert paused.inactive_reason == "paused_failing"
    assert paused.failed_in_a_row >= 4 and paused.last_status_code == 503
    assert (timezone.now() - paused.failing_since).total_seconds() >= 1.2
    failed = list(
        Delivery.objects.filter(state="failed").order_by("id").values_list("event__subject_id", flat=True)
    )
    assert failed == task_ids[: len(failed)] and len(failed) == paused.failed_in_a_row
    requests_at_pause = len(receiver.on("/erp"))
    assert requests_at_pause == 2 * len(failed)

    # Paused: new events queue behind the old ones; the clock keeps ticking, nothing is sent.
    later_ids = create_tasks(workflow_a, 5, prefix="Later")
    waited = task_ids[len(failed) :] + later_ids
    assert list(Delivery.objects.queue(webhook.pk).values_list("event__subject_id", flat=True)) == waited
    horizon = timezone.now() + timedelta(seconds=2)  # past every retry and several ticks
    wait_until(lambda: timezone.now() > horizon, message="two seconds of clock ticks")
    assert len(receiver.on("/erp")) == requests_at_pause

    # The receiver is back; a test event says so; the administrator resumes.
    receiver.script("/erp", then=Reply(200))
    api = api_for(admin_a)
    assert api.post(f"/api/v3/webhook/subscription/{webhook.pk}/test").json()["result"] == "SUCCESS"
    response = api.post(
        f"/api/v3/webhook/subscription/{webhook.pk}/resume", {"backlog": "deliver"}, format="json"
    )
    assert response.status_code == 200 and response.json()["isActive"] is True

    requests = receiver.wait_for("/erp", requests_at_pause + 1 + len(waited))
    resumed = requests[requests_at_pause + 1 :]
    assert sent_task_ids(resumed) == waited  # in their original order, none twice
    wait_until(lambda: webhook_row(webhook).health_state == "healthy", message="the recovery")
    assert Delivery.objects.filter(state="pending").count() == 0
    assert receiver.overlaps == []


def test_a_410_gone_pauses_at_once_and_the_resume_sends_that_event_first(
    start_cluster, receiver, admin_a, company_a, workflow_a
):
    webhook = make_webhook(company_a, workflow_a, receiver.url("/gone"))
    receiver.script("/gone", Reply(410, b"gone"))
    start_cluster(WEBHOOK_RETRY_DELAY="0.2")

    task_ids = create_tasks(workflow_a, 4)

    wait_until(lambda: webhook_row(webhook).is_paused, message="the 410 to pause the webhook")
    assert webhook_row(webhook).inactive_reason == "paused_gone"
    assert len(receiver.on("/gone")) == 1
    assert Delivery.objects.filter(state="pending").count() == 4

    response = api_for(admin_a).post(f"/api/v3/webhook/subscription/{webhook.pk}/resume", format="json")

    assert response.status_code == 200
    requests = receiver.wait_for("/gone", 5)
    assert sent_task_ids(requests) == [task_ids[0], *task_ids]
    wait_until(lambda: Delivery.objects.filter(state="success").count() == 4, message="every delivery")


def test_a_retry_after_delays_the_retry_as_the_receiver_asked(start_cluster, receiver, company_a, workflow_a):
    make_webhook(company_a, workflow_a, receiver.url("/busy"))
    receiver.script("/busy", Reply(429, b"slow down", headers={"Retry-After": "3"}))
    start_cluster(WEBHOOK_RETRY_DELAY="0.2")

    create_tasks(workflow_a, 2)

    first, second, third = receiver.wait_for("/busy", 3)
    assert 3.0 <= second.at - first.at < 6.0
    assert sent_task_ids([first, second]) == sent_task_ids([first, first])  # the same event, retried
    assert third.at >= second.at
    retried = Delivery.objects.order_by("id").first()
    assert list(retried.attempt_set.order_by("number").values_list("status_code", "retry_after")) == [
        (429, 3),
        (200, None),
    ]
