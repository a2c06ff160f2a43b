"""webhooks:alerts — AUTOMATIONS -> Operational alerts: set, change or remove the company's alerts
URL (webhooks.alerts.alerts_webhook_set); a URL a webhook could not have is a form error."""

import pytest
from django.test import Client
from django.urls import reverse

from webhooks import alerts
from webhooks.models import InactiveReason, Trigger, Webhook

URL = "https://ops.example.com/alerts"


def url() -> str:
    return reverse("webhooks:alerts")


def test_the_page_has_an_empty_form_when_no_url_is_set(staff_client):
    response = staff_client.get(url())

    html = response.content.decode()
    assert response.status_code == 200 and "<h1>Operational alerts</h1>" in html
    assert 'name="url"' in html and 'id="alerts-clear"' not in html and 'id="alerts-secret"' not in html
    assert f'<a href="{url()}" aria-current="page">Alerts</a>' in html


def test_saving_a_url_creates_the_operational_webhook(staff_client, company_a):
    response = staff_client.post(url(), {"url": URL})

    assert response.status_code == 302 and response["Location"] == url()
    webhook = alerts.alerts_webhook(company_id=company_a.pk)
    assert (webhook.url, webhook.trigger, webhook.is_active) == (URL, Trigger.ALERTS, True)
    html = staff_client.get(url()).content.decode()
    assert "Alerts URL saved." in html and f'value="{URL}"' in html
    assert 'id="alerts-status">Active<' in html and 'id="alerts-clear"' in html
    assert webhook.secret not in html  # hidden until revealed
    assert webhook.secret in staff_client.get(url() + "?reveal=1").content.decode()


def test_remove_deletes_it(staff_client, company_a):
    alerts.alerts_webhook_set(company=company_a, url=URL)

    response = staff_client.post(url(), {"url": URL, "clear": "1"})

    assert response.status_code == 302
    assert not Webhook.objects.filter(trigger=Trigger.ALERTS).exists()
    assert "Alerts URL removed." in staff_client.get(url()).content.decode()


@pytest.mark.parametrize("bad", ["ftp://ops.example.com/", "not a url", "https://user:pw@ops.example.com/"])
def test_a_url_a_webhook_could_not_have_is_a_form_error(staff_client, bad):
    response = staff_client.post(url(), {"url": bad})

    html = response.content.decode()
    assert response.status_code == 200 and 'id="form-errors" role="alert"' in html
    assert 'class="field wide has-error"' in html and 'aria-invalid="true"' in html
    assert not Webhook.objects.filter(trigger=Trigger.ALERTS).exists()


def test_a_url_too_long_is_a_form_error(staff_client):
    response = staff_client.post(url(), {"url": "https://x.com/" + "a" * 2000})
    assert response.status_code == 200 and "has-error" in response.content.decode()


def test_saving_the_url_again_resumes_a_paused_operational_webhook(staff_client, company_a):
    webhook = alerts.alerts_webhook_set(company=company_a, url=URL)
    Webhook.objects.filter(pk=webhook.pk).update(
        is_active=False, inactive_reason=InactiveReason.PAUSED_FAILING, failed_in_a_row=20,
        last_error="connection refused",
    )  # fmt: skip
    html = staff_client.get(url()).content.decode()
    assert 'id="alerts-status">Paused<' in html and 'id="alerts-health" role="status"' in html
    assert "The last 20 deliveries failed; connection refused." in html

    staff_client.post(url(), {"url": URL})

    assert Webhook.objects.get(pk=webhook.pk).is_active


def test_each_company_has_its_own(client, admin_b, company_a, company_b):
    alerts.alerts_webhook_set(company=company_a, url=URL)
    client.force_login(admin_b)

    html = client.get(url()).content.decode()
    assert URL not in html and 'id="alerts-secret"' not in html
    client.post(url(), {"url": "https://b.example.com/ops"})
    assert alerts.alerts_webhook(company_id=company_a.pk).url == URL
    assert alerts.alerts_webhook(company_id=company_b.pk).url == "https://b.example.com/ops"


def test_requires_login(client):
    response = client.get(url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a):
    client.force_login(member_a)
    assert client.post(url(), {"url": URL}).status_code == 403
    assert not Webhook.objects.filter(trigger=Trigger.ALERTS).exists()


def test_wrong_method(staff_client):
    assert staff_client.put(url()).status_code == 405


def test_csrf_is_required(admin_a):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_a)
    assert csrf_client.post(url(), {"url": URL}).status_code == 403
