"""The API's view of a webhook that keeps failing: `health`, `inactiveReason`, the resume action,
SKIPPED logs and an attempt's `retryAfter`."""

import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from events.models import Task
from webhooks.engine import delivery as engine
from webhooks.models import Attempt, Delivery, InactiveReason, Webhook

BASE = "/api/v3/webhook/subscription"


def paused(webhook: Webhook, reason: str = InactiveReason.PAUSED_FAILING) -> Webhook:
    since = timezone.now().replace(microsecond=0)
    Webhook.objects.filter(pk=webhook.pk).update(
        is_active=False,
        inactive_reason=reason,
        failed_in_a_row=12,
        failing_since=since,
        last_error="the receiver answered HTTP 503",
        last_status_code=503,
        run_alerted=True,
    )
    webhook.refresh_from_db()
    return webhook


def queue(workflow, count: int) -> list[str]:
    return [
        Task.objects.create(company=workflow.company, workflow=workflow, name=f"T{n}").pk
        for n in range(count)
    ]


def test_a_healthy_webhook_reads_healthy_with_no_error(api, hook):
    body = api.get(f"{BASE}/{hook.pk}").json()

    assert body["health"] == {
        "state": "healthy",
        "failedInARow": 0,
        "since": None,
        "lastError": None,
        "lastStatus": None,
    }


def test_a_paused_webhook_reads_inactive_with_its_reason_and_its_run(api, hook, settings):
    settings.LANGUAGE_CODE = "en"
    paused(hook)

    body = api.get(f"{BASE}/{hook.pk}").json()

    assert body["isActive"] is False
    assert body["inactiveReason"] == "Paused: its deliveries kept failing."
    assert body["health"]["state"] == "paused"
    assert body["health"]["failedInARow"] == 12
    assert body["health"]["since"] == hook.failing_since.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert (body["health"]["lastError"], body["health"]["lastStatus"]) == (
        "the receiver answered HTTP 503",
        503,
    )


def test_a_webhook_past_the_failing_threshold_reads_failing_and_stays_active(api, hook):
    Webhook.objects.filter(pk=hook.pk).update(
        failed_in_a_row=3, failing_since=timezone.now(), last_error="connection refused"
    )

    body = api.get(f"{BASE}/{hook.pk}").json()

    assert body["isActive"] is True and body["inactiveReason"] == ""
    assert body["health"]["state"] == "failing" and body["health"]["lastError"] == "connection refused"
    assert body["health"]["lastStatus"] is None


def test_the_list_filters_a_paused_webhook_as_inactive(api, hook, company_a):
    paused(hook)

    active = api.get(BASE, {"isActive": "true"}).json()
    inactive = api.get(BASE, {"isActive": "false"}).json()

    assert active == [] and [w["_id"] for w in inactive] == [hook.pk]


def test_resume_delivers_the_backlog_in_order_by_default(api, hook, workflow_a, receiver):
    Webhook.objects.filter(pk=hook.pk).update(url=receiver.url("/hook"))
    paused(hook)
    ids = queue(workflow_a, 3)

    response = api.post(f"{BASE}/{hook.pk}/resume", format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["isActive"] is True and body["inactiveReason"] == ""
    # The run stays until a delivery succeeds: failing, no longer paused.
    assert body["health"]["state"] == "failing"
    engine.webhook_drain(webhook_id=hook.pk)
    assert [json.loads(r.body)["data"]["_id"] for r in receiver.on("/hook")] == ids
    assert api.get(f"{BASE}/{hook.pk}").json()["health"]["state"] == "healthy"


def test_resume_with_skip_leaves_skipped_logs_that_can_be_redelivered(api, hook, workflow_a):
    paused(hook)
    queue(workflow_a, 2)

    response = api.post(f"{BASE}/{hook.pk}/resume", {"backlog": "skip"}, format="json")

    assert response.status_code == 200 and response.json()["isActive"] is True
    logs = api.get(f"/api/v3/webhook/subscription/logs/{hook.pk}").json()
    assert [log["result"] for log in logs] == ["SKIPPED", "SKIPPED"]
    filtered = api.get(f"/api/v3/webhook/subscription/logs/{hook.pk}", {"result": "SKIPPED"}).json()
    assert len(filtered) == 2
    again = api.post(f"/api/v3/webhook/subscription/logs/{hook.pk}/{logs[-1]['_id']}/redeliver")
    assert again.status_code == 202 and again.json()["result"] == "PENDING"


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"backlog": "later"}, {"backlog": ['"later" is not a valid choice.']}),
        ({"backlog": 1}, {"backlog": ['"1" is not a valid choice.']}),
        ({"backlog": "deliver", "when": "now"}, {"when": ["Unknown field."]}),
        ([], {"non_field_errors": ["Send a JSON object."]}),
    ],
)
def test_resume_refuses_unknown_values_with_field_errors_and_changes_nothing(api, hook, body, errors):
    paused(hook)

    response = api.post(f"{BASE}/{hook.pk}/resume", body, format="json")

    assert response.status_code == 400 and response.json() == errors
    hook.refresh_from_db()
    assert hook.is_paused


def test_resume_of_an_active_webhook_is_a_conflict(api, hook):
    response = api.post(f"{BASE}/{hook.pk}/resume", {"backlog": "deliver"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "This webhook is active: there is nothing to resume."}


def test_resume_of_another_companys_webhook_is_a_404(api, company_b):
    other = paused(Webhook.objects.create(company=company_b, name="B", code="b", url="https://b.example/"))

    response = api.post(f"{BASE}/{other.pk}/resume", format="json")

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_paused


def test_resume_needs_a_staff_token(hook, member_a):
    paused(hook)

    response = APIClient().post(f"{BASE}/{hook.pk}/resume", format="json")

    assert response.status_code == 401
    hook.refresh_from_db()
    assert hook.is_paused


def test_patching_is_active_true_on_a_paused_webhook_resumes_it_delivering_the_backlog(api, hook, workflow_a):
    paused(hook)
    queue(workflow_a, 2)

    response = api.patch(f"{BASE}/{hook.pk}", {"isActive": True}, format="json")

    assert response.status_code == 200 and response.json()["isActive"] is True
    assert list(Delivery.objects.values_list("state", flat=True)) == ["pending", "pending"]


def test_a_paused_webhook_can_send_a_test_event(api, hook, receiver):
    Webhook.objects.filter(pk=hook.pk).update(url=receiver.url("/hook"))
    paused(hook)

    response = api.post(f"{BASE}/{hook.pk}/test")

    assert response.status_code == 201 and response.json()["result"] == "SUCCESS"
    assert len(receiver.on("/hook")) == 1
    hook.refresh_from_db()
    assert hook.is_paused


def test_an_attempt_delayed_by_retry_after_says_so_in_the_log(api, hook, workflow_a):
    queue(workflow_a, 1)
    delivery = Delivery.objects.get()
    Attempt.objects.create(
        delivery=delivery,
        number=1,
        started_at=timezone.now(),
        duration_ms=5,
        status_code=429,
        retry_after=120,
    )

    body = api.get(f"/api/v3/webhook/subscription/logs/{hook.pk}/{delivery.object_id}").json()

    assert body["attempts"][0]["retryAfter"] == 120 and body["attempts"][0]["status"] == 429


def test_deactivating_a_paused_webhook_makes_it_a_manual_deactivation_that_stops_queuing(
    api, hook, workflow_a
):
    paused(hook)

    response = api.post(f"{BASE}/{hook.pk}/deactivate")

    assert response.status_code == 200
    assert (response.json()["isActive"], response.json()["inactiveReason"]) == (False, "")
    queue(workflow_a, 1)
    assert not Delivery.objects.exists()


def test_a_paused_webhooks_get_body_put_back_leaves_it_paused_and_queuing(api, hook, workflow_a):
    paused(hook)
    body = api.get(f"{BASE}/{hook.pk}").json()

    response = api.put(f"{BASE}/{hook.pk}", body, format="json")

    assert response.status_code == 200 and response.json()["health"]["state"] == "paused"
    queue(workflow_a, 1)
    assert Delivery.objects.filter(webhook=hook, state="pending").count() == 1
