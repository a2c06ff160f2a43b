"""webhooks:delivery — the Logs panel of one log row: event sent, response, attempts."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from webhooks.models import Attempt, Delivery, Event, Webhook


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


@pytest.fixture
def delivery(webhook, company_a):
    body = json.dumps(
        {"company": company_a.pk, "type": "COTUser", "event": "edit", "data": {"n": "<b>x</b>"}}
    )
    event = Event.objects.create(company=company_a, type="COTUser", action="edit", body=body)
    delivery = Delivery.objects.create(
        company=company_a,
        webhook=webhook,
        event=event,
        state="failed",
        status_code=409,
        attempts=2,
        response='{"error": "conflict"}',
    )
    now = timezone.now()
    Attempt.objects.create(
        delivery=delivery, number=1, started_at=now, duration_ms=12, error="connect ETIMEDOUT"
    )
    Attempt.objects.create(delivery=delivery, number=2, started_at=now, duration_ms=8, status_code=409)
    return delivery


def url(delivery):
    return reverse("webhooks:delivery", args=[delivery.webhook_id, delivery.object_id])


def test_fragment_shows_pretty_event_response_and_attempts(staff_client, delivery):
    response = staff_client.get(url(delivery), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "&quot;type&quot;: &quot;COTUser&quot;" in html  # pretty-printed, escaped
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html  # escaped
    assert "&quot;error&quot;: &quot;conflict&quot;" in html
    assert "connect ETIMEDOUT" in html and "12 ms" in html
    assert html.count('data-copy="#log-') == 2
    assert 'method="dialog"' in html
    assert ">FAILED<" in html


def test_an_attempt_resent_after_a_lost_lease_says_so(staff_client, delivery):
    RESENT = "Resent: the worker of the previous attempt stopped answering"
    assert RESENT not in staff_client.get(url(delivery)).content.decode()
    Attempt.objects.filter(delivery=delivery, number=2).update(after_lost_lease=True)

    html = staff_client.get(url(delivery)).content.decode()

    assert html.count(RESENT) == 1


def test_full_page_otherwise(staff_client, delivery):
    html = staff_client.get(url(delivery)).content.decode()
    assert (
        "<html" in html and "&quot;type&quot;: &quot;COTUser&quot;" in html and 'method="dialog"' not in html
    )


def test_non_json_response_is_shown_as_text(staff_client, delivery):
    delivery.response = "certificate has expired"
    delivery.save()
    assert "certificate has expired" in staff_client.get(url(delivery)).content.decode()


def test_delivery_of_another_webhook_is_404(staff_client, delivery, company_a):
    other = Webhook.objects.create(company=company_a, name="Other", code="other", url="https://b.example/")
    wrong = reverse("webhooks:delivery", args=[other.pk, delivery.object_id])
    assert staff_client.get(wrong).status_code == 404


def test_another_company_webhook_is_404(client, admin_b, delivery):
    client.force_login(admin_b)
    assert client.get(url(delivery)).status_code == 404


def test_requires_login(client, delivery):
    response = client.get(url(delivery))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, delivery):
    client.force_login(member_a)
    assert client.get(url(delivery)).status_code == 403


def test_wrong_method(staff_client, delivery):
    assert staff_client.post(url(delivery)).status_code == 405
