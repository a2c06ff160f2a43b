"""POST /{id}/test (synchronous, signed) and POST /logs/{id}/{log_id}/redeliver (queued)."""

import json
import re
import socket

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook as StandardWebhook

from webhooks.models import ApiToken, Delivery, Event, Trigger, Webhook

BASE = "/api/v3/webhook/subscription"
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture
def private_networks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_CONNECT_TIMEOUT = 2.0
    settings.WEBHOOK_TIMEOUT = 5.0
    return settings


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on, so a send fails fast with "connection refused"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_hook(company, url: str, code: str = "users") -> Webhook:
    return Webhook.objects.create(company=company, name="Users", code=code, url=url, trigger=Trigger.USER)


def test_send_test_posts_a_signed_event_and_returns_its_successful_log(
    api, company_a, httpserver, private_networks
):
    httpserver.expect_request("/hook", method="POST").respond_with_data('{"received": true}', status=200)
    hook = make_hook(company_a, httpserver.url_for("/hook"))

    response = api.post(f"{BASE}/{hook.pk}/test")

    assert response.status_code == 201
    log = response.json()
    assert response["Location"] == f"http://testserver{BASE}/logs/{hook.pk}/{log['_id']}"
    assert log["status"] == 200
    assert log["result"] == "SUCCESS"
    assert log["retry"] == 1
    assert log["kind"] == "test"
    assert log["response"] == '{"received": true}'
    assert log["event"]["event"] == "test" and log["event"]["type"] == "COTUser"
    assert ISO_MS_Z.match(log["createdAt"])

    [(request, _)] = httpserver.log
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["webhook-id"] == log["_id"]
    verified = StandardWebhook(hook.secret).verify(request.get_data(), dict(request.headers))
    assert verified == log["event"]
    assert json.loads(request.get_data()) == log["event"]

    listed = api.get(f"{BASE}/logs/{hook.pk}").json()
    assert [item["_id"] for item in listed] == [log["_id"]]


def test_send_test_to_an_endpoint_that_is_down_logs_a_failure_without_a_status(
    api, company_a, closed_port, private_networks
):
    hook = make_hook(company_a, f"http://127.0.0.1:{closed_port}/")

    response = api.post(f"{BASE}/{hook.pk}/test")

    assert response.status_code == 201
    log = response.json()
    assert log["result"] == "FAILED"
    assert log["status"] is None
    assert log["response"]
    assert Delivery.objects.filter(webhook=hook, kind=Delivery.Kind.TEST).count() == 1


def test_send_test_reports_the_receivers_error_status(api, company_a, httpserver, private_networks):
    httpserver.expect_request("/hook").respond_with_data("nope", status=409)
    hook = make_hook(company_a, httpserver.url_for("/hook"))

    log = api.post(f"{BASE}/{hook.pk}/test").json()

    assert (log["status"], log["result"], log["response"]) == (409, "FAILED", "nope")


@pytest.fixture
def failed_log(company_a) -> Delivery:
    hook = make_hook(company_a, "https://u.example.com/")
    event = Event.objects.create(
        company=company_a, type="COTUser", action="create", body='{"type":"COTUser","event":"create"}'
    )
    return Delivery.objects.create(
        company=company_a, webhook=hook, event=event, state=Delivery.State.FAILED, attempts=3, status_code=500
    )


def test_redeliver_queues_the_same_event_again_as_a_new_pending_log(api, failed_log):
    hook = failed_log.webhook

    response = api.post(f"{BASE}/logs/{hook.pk}/{failed_log.object_id}/redeliver")

    assert response.status_code == 202
    log = response.json()
    assert log["_id"] != failed_log.object_id
    assert (log["result"], log["retry"], log["status"], log["kind"]) == ("PENDING", 0, None, "redelivery")
    assert log["event"] == {"type": "COTUser", "event": "create"}
    assert response["Location"].endswith(f"/logs/{hook.pk}/{log['_id']}")
    again = Delivery.objects.get(object_id=log["_id"])
    assert again.event_id == failed_log.event_id
    assert [item["_id"] for item in api.get(f"{BASE}/logs/{hook.pk}").json()] == [
        log["_id"],
        failed_log.object_id,
    ]


def test_a_pending_log_cannot_be_redelivered(api, failed_log):
    Delivery.objects.filter(pk=failed_log.pk).update(state=Delivery.State.PENDING)

    response = api.post(f"{BASE}/logs/{failed_log.webhook_id}/{failed_log.object_id}/redeliver")

    assert response.status_code == 409
    assert "pending" in response.json()["detail"]
    assert Delivery.objects.count() == 1


def test_an_unknown_log_cannot_be_redelivered(api, failed_log):
    response = api.post(f"{BASE}/logs/{failed_log.webhook_id}/{'0' * 24}/redeliver")

    assert response.status_code == 404
    assert Delivery.objects.count() == 1


def test_send_test_is_limited_per_webhook_with_429_and_retry_after(
    api, company_a, httpserver, private_networks, settings
):
    settings.WEBHOOK_SEND_TEST_PER_WEBHOOK = 2
    httpserver.expect_request("/limited").respond_with_json({"ok": True})
    hook = make_hook(company_a, httpserver.url_for("/limited"))
    other = make_hook(company_a, httpserver.url_for("/limited"), code="other")
    statuses = [api.post(f"{BASE}/{hook.pk}/test").status_code for _ in range(3)]

    limited = api.post(f"{BASE}/{hook.pk}/test")

    assert statuses == [201, 201, 429]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["detail"].startswith("Too many test events: try again in ")
    assert api.post(f"{BASE}/{other.pk}/test").status_code == 201  # another webhook is not held back
    assert len(httpserver.log) == 3


def test_send_test_is_limited_per_company_too(
    api, admin_b, company_a, httpserver, private_networks, settings
):
    settings.WEBHOOK_SEND_TEST_PER_COMPANY = 3
    httpserver.expect_request("/limited").respond_with_json({"ok": True})
    hooks = [make_hook(company_a, httpserver.url_for("/limited"), code=f"hook_{i}") for i in range(4)]

    statuses = [api.post(f"{BASE}/{hook.pk}/test").status_code for hook in hooks]

    assert statuses == [201, 201, 201, 429]
    other_company = make_hook(admin_b.company, httpserver.url_for("/limited"))
    api_b = APIClient()
    api_b.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=admin_b, name='test')[1]}")
    assert api_b.post(f"{BASE}/{other_company.pk}/test").status_code == 201
