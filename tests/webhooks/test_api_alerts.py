"""GET/PUT /api/v3/webhook/alerts: the company's alerts URL (its operational webhook)."""

import pytest
from rest_framework.test import APIClient

from events.models import User
from webhooks import alerts
from webhooks.models import ApiToken, Trigger, Webhook

ALERTS = "/api/v3/webhook/alerts"
BASE = "/api/v3/webhook/subscription"


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=user, name='test')[1]}")
    return client


def test_a_company_without_an_alerts_url_reads_nulls(api):
    response = api.get(ALERTS)

    assert response.status_code == 200
    assert response.json() == {"url": None, "subscription": None, "isActive": None}


def test_a_put_sets_the_url_and_names_the_operational_webhook_for_its_logs_and_secret(api, company_a):
    response = api.put(ALERTS, {"url": "https://ops.example.com/alerts"}, format="json")

    assert response.status_code == 200
    webhook = Webhook.objects.get(company=company_a, trigger=Trigger.ALERTS)
    assert response.json() == {
        "url": "https://ops.example.com/alerts",
        "subscription": webhook.pk,
        "isActive": True,
    }
    assert api.get(ALERTS).json() == response.json()
    secret = api.get(f"{BASE}/{webhook.pk}/secret")
    assert secret.status_code == 200 and secret.json()["secret"] == webhook.secret
    rotated = api.post(f"{BASE}/{webhook.pk}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != webhook.secret
    assert api.get(f"{BASE}/logs/{webhook.pk}").json() == []


def test_a_second_put_changes_the_url_of_the_same_webhook_and_null_or_empty_removes_it(api, company_a):
    first = api.put(ALERTS, {"url": "https://ops.example.com/alerts"}, format="json").json()
    second = api.put(ALERTS, {"url": "https://other.example.com/ops"}, format="json").json()

    assert second == {
        "url": "https://other.example.com/ops",
        "subscription": first["subscription"],
        "isActive": True,
    }
    for cleared in (None, ""):
        api.put(ALERTS, {"url": "https://ops.example.com/alerts"}, format="json")
        response = api.put(ALERTS, {"url": cleared}, format="json")
        assert (response.status_code, response.json()) == (
            200,
            {"url": None, "subscription": None, "isActive": None},
        )
        assert not Webhook.objects.filter(company=company_a, trigger=Trigger.ALERTS).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://ops.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@ops.example.com/"}, "url"),
        ({"url": "https://ops.example.com/" + "a" * 2000}, "url"),
        ({"url": 42}, "url"),
        ({}, "url"),
        ({"url": "https://ops.example.com/", "secret": "whsec_x"}, "secret"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field_and_changes_nothing(api, body, field):
    response = api.put(ALERTS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Webhook.objects.filter(trigger=Trigger.ALERTS).exists()


def test_a_body_that_is_not_an_object_is_a_400(api):
    response = api.put(ALERTS, ["https://ops.example.com/"], format="json")

    assert response.status_code == 400
    assert not Webhook.objects.filter(trigger=Trigger.ALERTS).exists()


def test_the_operational_webhook_is_not_listed_edited_or_switched_as_a_webhook(api, company_a, hook):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/alerts")

    assert [webhook["_id"] for webhook in api.get(BASE).json()] == [hook.pk]
    assert api.get(BASE, {"trigger": "alerts"}).status_code == 400
    for method, path in [
        ("get", f"{BASE}/{own.pk}"),
        ("put", f"{BASE}/{own.pk}"),
        ("patch", f"{BASE}/{own.pk}"),
        ("post", f"{BASE}/{own.pk}/activate"),
        ("post", f"{BASE}/{own.pk}/deactivate"),
    ]:
        assert getattr(api, method)(path, {"name": "Mine now"}, format="json").status_code == 404, path
    own.refresh_from_db()
    assert (own.name, own.is_active, own.trigger) == ("Operational alerts", True, Trigger.ALERTS)


def test_a_webhook_cannot_be_created_with_the_alerts_trigger(api):
    response = api.post(
        BASE,
        {"name": "Sneaky", "code": "sneaky", "url": "https://x.example.com/", "trigger": "alerts"},
        format="json",
    )

    assert response.status_code == 400 and "trigger" in response.json()
    assert not Webhook.objects.exists()


def test_each_company_sees_and_sets_only_its_own(api, admin_b, company_a):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")
    theirs = client_for(admin_b)

    assert theirs.get(ALERTS).json() == {"url": None, "subscription": None, "isActive": None}
    assert theirs.get(f"{BASE}/{own.pk}/secret").status_code == 404
    assert theirs.get(f"{BASE}/logs/{own.pk}").status_code == 404
    theirs.put(ALERTS, {"url": "https://ops.example.com/b"}, format="json")
    assert api.get(ALERTS).json() == {
        "url": "https://ops.example.com/a",
        "subscription": own.pk,
        "isActive": True,
    }
    assert Webhook.objects.filter(trigger=Trigger.ALERTS).count() == 2


def test_without_a_token_it_is_401_and_for_a_non_staff_user_403(db, member_a):
    assert APIClient().get(ALERTS).status_code == 401
    assert APIClient().put(ALERTS, {"url": "https://x.example.com/"}, format="json").status_code == 401
    assert client_for(member_a).get(ALERTS).status_code == 403
    assert (
        client_for(member_a).put(ALERTS, {"url": "https://x.example.com/"}, format="json").status_code == 403
    )
    assert not Webhook.objects.exists()


def test_errors_follow_the_requests_language(api):
    response = api.put(ALERTS, {"url": "ftp://ops.example.com/"}, format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["url"] == ["Ingrese una URL http(s)."]


def test_putting_the_url_again_activates_an_operational_webhook_the_engine_paused(api, company_a):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")
    Webhook.objects.filter(pk=own.pk).update(is_active=False)  # as the engine pauses it
    assert api.get(ALERTS).json()["isActive"] is False

    response = api.put(ALERTS, {"url": "https://ops.example.com/a"}, format="json")

    assert response.json() == {"url": "https://ops.example.com/a", "subscription": own.pk, "isActive": True}
    assert Webhook.objects.get(pk=own.pk).is_active
