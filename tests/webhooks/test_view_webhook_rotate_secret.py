"""webhooks:rotate_secret — the Rotate button of the signing secret."""

import pytest
from django.urls import reverse

from webhooks.models import Webhook


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


def url(webhook):
    return reverse("webhooks:rotate_secret", args=[webhook.pk])


def test_rotates_and_redirects_to_the_revealed_secret(staff_client, webhook):
    old = webhook.secret
    response = staff_client.post(url(webhook))
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:secret", args=[webhook.pk]) + "#secret"
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.previous_secret == old


def test_htmx_returns_the_new_secret_fragment(staff_client, webhook):
    response = staff_client.post(url(webhook), HTTP_HX_REQUEST="true")
    webhook.refresh_from_db()
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert webhook.secret in html and "Secret rotated" in html


def test_another_company_webhook_is_404(client, admin_b, webhook):
    old = webhook.secret
    client.force_login(admin_b)
    assert client.post(url(webhook)).status_code == 404
    webhook.refresh_from_db()
    assert webhook.secret == old


def test_requires_login(client, webhook):
    response = client.post(url(webhook))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.post(url(webhook)).status_code == 403


def test_wrong_method(staff_client, webhook):
    assert staff_client.get(url(webhook)).status_code == 405
