"""webhooks:secret — reveal (or hide again) the signing secret."""

import pytest
from django.urls import reverse

from webhooks.models import Webhook


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


def url(webhook):
    return reverse("webhooks:secret", args=[webhook.pk])


def test_reveals_in_a_fragment(staff_client, webhook):
    response = staff_client.get(url(webhook), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert webhook.secret.startswith("whsec_") and webhook.secret in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_hides_again(staff_client, webhook):
    html = staff_client.get(url(webhook), {"reveal": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert webhook.secret not in html and "Reveal" in html


def test_full_page_otherwise(staff_client, webhook):
    html = staff_client.get(url(webhook)).content.decode()
    assert "<html" in html and webhook.secret in html and "General information" in html


def test_another_company_webhook_is_404(client, admin_b, webhook):
    client.force_login(admin_b)
    assert client.get(url(webhook)).status_code == 404


def test_requires_login(client, webhook):
    response = client.get(url(webhook))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.get(url(webhook)).status_code == 403


def test_wrong_method(staff_client, webhook):
    assert staff_client.post(url(webhook)).status_code == 405
