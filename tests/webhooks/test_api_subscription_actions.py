"""POST /{id}/activate, /{id}/deactivate, /{id}/rotate-secret and GET /{id}/secret."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Workflow
from webhooks.models import Trigger, Webhook

BASE = "/api/v3/webhook/subscription"
SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{32,}={0,2}$")
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture
def hook(company_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Users", code="users", url="https://u.example.com/", trigger=Trigger.USER
    )


def test_deactivate_then_activate_flip_is_active_and_return_the_webhook(api, hook):
    off = api.post(f"{BASE}/{hook.pk}/deactivate")

    assert off.status_code == 200
    assert off.json()["isActive"] is False and off.json()["_id"] == hook.pk
    hook.refresh_from_db()
    assert hook.is_active is False

    on = api.post(f"{BASE}/{hook.pk}/activate")

    assert on.status_code == 200
    assert on.json()["isActive"] is True
    hook.refresh_from_db()
    assert hook.is_active is True


def test_activating_an_active_webhook_is_harmless(api, hook):
    response = api.post(f"{BASE}/{hook.pk}/activate")

    assert response.status_code == 200
    assert response.json()["isActive"] is True


def test_activate_is_post_only(api, hook):
    assert api.get(f"{BASE}/{hook.pk}/activate").status_code == 405
    hook.refresh_from_db()
    assert hook.is_active is True


def test_the_secret_is_only_shown_by_its_own_endpoint(api, hook):
    response = api.get(f"{BASE}/{hook.pk}/secret")

    assert response.status_code == 200
    assert response.json() == {"secret": hook.secret, "previousSecretExpiresAt": None}
    assert SECRET.match(response.json()["secret"])
    assert hook.secret not in api.get(f"{BASE}/{hook.pk}").content.decode()


def test_rotating_returns_a_new_secret_and_keeps_the_old_one_signing_for_the_grace_period(
    api, hook, settings
):
    settings.WEBHOOK_SECRET_ROTATION_GRACE = 3600
    old = hook.secret

    response = api.post(f"{BASE}/{hook.pk}/rotate-secret")

    assert response.status_code == 200
    body = response.json()
    assert SECRET.match(body["secret"]) and body["secret"] != old
    assert ISO_MS_Z.match(body["previousSecretExpiresAt"])
    hook.refresh_from_db()
    assert hook.secret == body["secret"]
    assert hook.signing_secrets() == [body["secret"], old]
    assert api.get(f"{BASE}/{hook.pk}/secret").json() == body


def test_once_the_grace_period_is_over_no_previous_secret_is_reported(api, hook):
    api.post(f"{BASE}/{hook.pk}/rotate-secret")
    Webhook.objects.filter(pk=hook.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert api.get(f"{BASE}/{hook.pk}/secret").json()["previousSecretExpiresAt"] is None


# --- a webhook whose workflow, survey or group is deleted


@pytest.fixture
def task_hook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://o.example.com/",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


def test_deleting_its_workflow_deactivates_it_with_a_reason_and_it_stays_editable(api, task_hook, workflow_a):
    workflow_a.delete()

    body = api.get(f"{BASE}/{task_hook.pk}").json()
    assert body["isActive"] is False
    assert body["inactiveReason"] == "Its workflow was deleted."
    assert body["context"]["taskGroup"] == ""

    renamed = api.patch(f"{BASE}/{task_hook.pk}", {"name": "Orders (old)"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Orders (old)"
    assert renamed.json()["inactiveReason"] == "Its workflow was deleted."


def test_it_cannot_be_activated_until_it_points_elsewhere(api, task_hook, workflow_a, company_a):
    workflow_a.delete()

    refused = api.post(f"{BASE}/{task_hook.pk}/activate")
    assert refused.status_code == 400
    assert refused.json() == {"context": {"taskGroup": ["A workflow is required for this trigger."]}}
    assert api.patch(f"{BASE}/{task_hook.pk}", {"isActive": True}, format="json").status_code == 400

    other = Workflow.objects.create(company=company_a, name="Other", code="other")
    moved = api.patch(f"{BASE}/{task_hook.pk}", {"context": {"taskGroup": other.pk}}, format="json")
    assert moved.status_code == 200
    activated = api.post(f"{BASE}/{task_hook.pk}/activate")
    assert activated.status_code == 200
    assert activated.json()["isActive"] is True and activated.json()["inactiveReason"] == ""


def test_a_manual_deactivation_gives_no_reason(api, hook):
    assert api.post(f"{BASE}/{hook.pk}/deactivate").json()["inactiveReason"] == ""
