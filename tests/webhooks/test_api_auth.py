"""REST API access: Bearer tokens of company staff only, and every query scoped to the company."""

import pytest
from rest_framework.test import APIClient

from events.models import User
from webhooks.models import ApiToken, Delivery, Event, Trigger, Webhook

BASE = "/api/v3/webhook/subscription"


def client_for(user: User, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {ApiToken.objects.create(user=user, name='test')[1]}")
    return client


@pytest.fixture
def webhook_b(company_b) -> Webhook:
    return Webhook.objects.create(
        company=company_b, name="B hook", code="b_hook", url="https://b.example.com/", trigger=Trigger.USER
    )


@pytest.fixture
def log_b(webhook_b) -> Delivery:
    event = Event.objects.create(company=webhook_b.company, type="COTUser", action="create", body="{}")
    return Delivery.objects.create(
        company=webhook_b.company, webhook=webhook_b, event=event, state=Delivery.State.FAILED, attempts=3
    )


def test_a_request_without_a_token_is_refused_with_401_and_a_bearer_challenge(db):
    response = APIClient().get(BASE)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "header",
    ["Bearer 0123456789abcdef0123456789abcdef01234567", "Bearer", "Bearer a b", "Bearer ../../etc/passwd"],
)
def test_an_unknown_or_malformed_token_is_refused_with_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(BASE).status_code == 401


def test_a_non_staff_users_token_is_refused_with_403(member_a):
    response = client_for(member_a).get(BASE)

    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


def test_a_staff_user_without_a_company_is_refused_with_403(db):
    orphan = User.objects.create_user("orphan@example.com", "pw-orphan-1", is_staff=True)

    assert client_for(orphan).get(BASE).status_code == 403


def test_an_inactive_users_token_is_refused_with_401(admin_a):
    client = client_for(admin_a)
    admin_a.is_active = False
    admin_a.save()

    assert client.get(BASE).status_code == 401


@pytest.mark.parametrize("keyword", ["Bearer", "bearer", "Token"])
def test_a_staff_users_token_is_accepted_with_the_bearer_or_token_keyword(admin_a, keyword):
    response = client_for(admin_a, keyword).get(BASE)

    assert response.status_code == 200
    assert response.json() == []


def test_the_list_shows_only_the_callers_company_webhooks(admin_a, webhook_b):
    mine = Webhook.objects.create(
        company=admin_a.company, name="Mine", code="mine", url="https://a.example.com/", trigger=Trigger.USER
    )

    body = client_for(admin_a).get(BASE).json()

    assert [item["_id"] for item in body] == [mine.pk]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "{id}"),
        ("put", "{id}"),
        ("patch", "{id}"),
        ("post", "{id}/activate"),
        ("post", "{id}/deactivate"),
        ("post", "{id}/test"),
        ("get", "{id}/secret"),
        ("post", "{id}/rotate-secret"),
        ("get", "logs/{id}"),
        ("get", "logs/{id}/{log}"),
        ("post", "logs/{id}/{log}/redeliver"),
    ],
)
def test_another_companys_webhook_and_logs_are_404_and_left_untouched(
    admin_a, webhook_b, log_b, method, path
):
    before = Webhook.objects.values().get(pk=webhook_b.pk)
    url = f"{BASE}/" + path.format(id=webhook_b.pk, log=log_b.object_id)
    body = {"name": "Taken over", "url": "https://evil.example.com/", "trigger": "create-edit-delete-user"}

    response = getattr(client_for(admin_a), method)(url, body, format="json")

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert Webhook.objects.values().get(pk=webhook_b.pk) == before
    assert list(Delivery.objects.values_list("object_id", flat=True)) == [log_b.object_id]


def test_a_log_is_404_under_a_webhook_it_does_not_belong_to(admin_b, webhook_b, log_b):
    other = Webhook.objects.create(
        company=webhook_b.company,
        name="Other",
        code="other",
        url="https://b.example.com/x",
        trigger="logout-user",
    )

    response = client_for(admin_b).get(f"{BASE}/logs/{other.pk}/{log_b.object_id}")

    assert response.status_code == 404


@pytest.mark.parametrize("bad_id", ["nope", "0" * 23, "G" * 24, "%00", "6261612a8f1e99002e5c8cc%C3%A9"])
def test_malformed_ids_are_404_not_errors(admin_a, bad_id):
    client = client_for(admin_a)

    assert client.get(f"{BASE}/{bad_id}").status_code == 404
    assert client.get(f"{BASE}/logs/{bad_id}").status_code == 404
    assert client.post(f"{BASE}/{bad_id}/test").status_code == 404
