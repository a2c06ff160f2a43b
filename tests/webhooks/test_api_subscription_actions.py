"""POST /{id}/activate, /{id}/deactivate, /{id}/rotate-secret and GET /{id}/secret."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

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
