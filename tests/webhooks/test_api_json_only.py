"""The REST API answers JSON only, and never lets a shared cache keep a response."""

import pytest
from rest_framework.test import APIClient

from webhooks.models import Trigger, Webhook

BASE = "/api/v3/webhook/subscription"


@pytest.fixture
def webhook(company_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Users", code="users", url="https://a.example.com/", trigger=Trigger.USER
    )


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (BASE, {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}),
        (f"{BASE}?format=api", {}),
        (f"{BASE}?format=json", {"HTTP_ACCEPT": "text/html"}),
    ],
)
def test_a_browsers_accept_header_or_format_still_gets_json(api, webhook, path, headers):
    response = api.get(path, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [hook["_id"] for hook in response.json()] == [webhook.pk]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", [f"{BASE}/", "/api/v3/nothing-here", "/api/", "/api/v2/webhook"])
def test_an_unknown_api_path_is_a_json_404_for_every_method(api, path, method):
    response = getattr(api, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_api_path_is_a_json_404_without_a_token_too(db):
    response = APIClient().get("/api/v3/nothing-here", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_wrong_method_is_a_json_405(api):
    response = api.put(BASE, {}, format="json")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "/{id}"), ("get", "/{id}/secret"), ("post", "/{id}/rotate-secret")],
)
def test_every_api_response_says_no_store(api, webhook, method, suffix):
    response = getattr(api, method)(BASE + suffix.format(id=webhook.pk))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_errors_say_no_store_too(db):
    assert APIClient().get(BASE)["Cache-Control"] == "no-store"  # 401
    assert APIClient().get("/api/nothing")["Cache-Control"] == "no-store"  # 404


@pytest.mark.parametrize("path", [BASE, BASE + "/logs/{id}"])
def test_too_many_query_parameters_is_a_json_400(api, webhook, settings, path):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"p{n}=1" for n in range(11))

    response = api.get(f"{path.format(id=webhook.pk)}?{query}")

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Too many query parameters: at most 10."}
    assert response["Cache-Control"] == "no-store"


def test_too_many_query_parameters_without_a_token_is_a_json_400_too(db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = APIClient().get(BASE + "?" + "&".join(f"p{n}=1" for n in range(11)))

    assert response.status_code in (400, 401) and response["Content-Type"] == "application/json"
