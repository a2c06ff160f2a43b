"""webhooks:send_test — send a test event now and show the response."""

import json

import pytest
from django.urls import reverse

from webhooks.models import Delivery, Webhook


@pytest.fixture
def webhook(company_a, httpserver):
    return Webhook.objects.create(
        company=company_a, name="Hook", code="hook", url=httpserver.url_for("/hook")
    )


def url(webhook):
    return reverse("webhooks:send_test", args=[webhook.pk])


def test_sends_and_redirects_to_the_log(staff_client, webhook, httpserver):
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_json({"pong": True}, status=202)
    response = staff_client.post(url(webhook))
    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:delivery", args=[webhook.pk, delivery.object_id])
    assert (delivery.kind, delivery.state, delivery.status_code) == ("test", "success", 202)
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent["event"] == "test" and sent["company"] == webhook.company_id


def test_htmx_shows_the_response_and_refreshes_the_logs(staff_client, webhook, httpserver):
    httpserver.expect_oneshot_request("/hook").respond_with_data("<i>nope</i>", status=500)
    response = staff_client.post(url(webhook), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="test-result"' in html and ">FAILED<" in html and "500" in html
    assert "&lt;i&gt;nope&lt;/i&gt;" in html and "<i>nope</i>" not in html
    assert 'id="logs"' in html and 'hx-swap-oob="true"' in html and html.count("data-delivery=") == 1


def test_another_company_webhook_is_404(client, admin_b, webhook, httpserver):
    client.force_login(admin_b)
    assert client.post(url(webhook)).status_code == 404
    assert not httpserver.log


def test_requires_login(client, webhook):
    response = client.post(url(webhook))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.post(url(webhook)).status_code == 403


def test_wrong_method(staff_client, webhook):
    assert staff_client.get(url(webhook)).status_code == 405


def test_too_many_test_events_get_a_clear_message_and_send_nothing_more(
    staff_client, webhook, httpserver, settings
):
    settings.WEBHOOK_SEND_TEST_PER_WEBHOOK = 2
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    for _ in range(2):
        assert staff_client.post(url(webhook), HTTP_HX_REQUEST="true").status_code == 200

    response = staff_client.post(url(webhook), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200  # swapped in by htmx
    assert 1 <= int(response["Retry-After"]) <= 60
    assert 'role="alert"' in html and "Too many test events for now. Try again in" in html
    assert len(httpserver.log) == 2 and Delivery.objects.count() == 2


def test_too_many_test_events_without_htmx_redirect_with_the_message(
    staff_client, webhook, httpserver, settings
):
    settings.WEBHOOK_SEND_TEST_PER_WEBHOOK = 1
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    staff_client.post(url(webhook))

    response = staff_client.post(url(webhook), follow=True)

    assert response.redirect_chain[-1][0] == reverse("webhooks:edit", args=[webhook.pk])
    assert "Too many test events for now." in response.content.decode()
    assert len(httpserver.log) == 1


def test_a_malformed_current_url_header_is_ignored(staff_client, webhook, httpserver):
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    response = staff_client.post(url(webhook), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://[")
    html = response.content.decode()
    assert response.status_code == 200 and ">SUCCESS<" in html  # the unfiltered Logs
    assert 'id="logs"' in html and html.count("data-delivery=") == 1
