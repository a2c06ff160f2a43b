"""webhooks:redeliver — queue a log's event to the webhook again."""

import pytest
from django.urls import reverse

from webhooks.models import Delivery, Event, Webhook


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


@pytest.fixture
def delivery(webhook, company_a):
    event = Event.objects.create(company=company_a, type="COTUser", action="edit", body="{}")
    return Delivery.objects.create(
        company=company_a, webhook=webhook, event=event, state="failed", status_code=500, attempts=3
    )


def url(delivery):
    return reverse("webhooks:redeliver", args=[delivery.webhook_id, delivery.object_id])


def test_queues_the_same_event_again(staff_client, delivery):
    response = staff_client.post(url(delivery))
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:edit", args=[delivery.webhook_id]) + "#logs"
    again = Delivery.objects.exclude(pk=delivery.pk).get()
    assert (again.event_id, again.webhook_id, again.kind, again.state) == (
        delivery.event_id,
        delivery.webhook_id,
        Delivery.Kind.REDELIVERY,
        Delivery.State.PENDING,
    )


def test_htmx_returns_the_logs_fragment_with_the_new_row_polling(staff_client, delivery):
    response = staff_client.post(url(delivery), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="logs"' in html
    assert html.count("data-delivery=") == 2 and ">PENDING<" in html and 'hx-trigger="every 2s"' in html


def test_another_company_webhook_is_404(client, admin_b, delivery):
    client.force_login(admin_b)
    assert client.post(url(delivery)).status_code == 404
    assert Delivery.objects.count() == 1


def test_requires_login(client, delivery):
    response = client.post(url(delivery))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Delivery.objects.count() == 1


def test_non_staff_refused(client, member_a, delivery):
    client.force_login(member_a)
    assert client.post(url(delivery)).status_code == 403


def test_wrong_method(staff_client, delivery):
    assert staff_client.get(url(delivery)).status_code == 405


def test_a_malformed_current_url_header_is_ignored(staff_client, delivery):
    response = staff_client.post(url(delivery), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://[")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="logs"' in html and html.count("data-delivery=") == 2
    assert Delivery.objects.count() == 2


def test_a_second_redelivery_while_the_first_is_queued_is_refused_with_a_message(staff_client, delivery):
    staff_client.post(url(delivery))

    response = staff_client.post(url(delivery), follow=True)

    assert response.status_code == 200
    assert "This event is already queued to this webhook" in response.content.decode()
    assert Delivery.objects.count() == 2


def test_htmx_shows_the_refusal_in_the_logs(staff_client, delivery):
    staff_client.post(url(delivery), HTTP_HX_REQUEST="true")

    response = staff_client.post(url(delivery), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and 'id="logs"' in html and 'id="logs-error"' in html
    assert "This event is already queued to this webhook" in html and html.count("data-delivery=") == 2
    assert Delivery.objects.count() == 2
