"""webhooks:token — SECURITY → API tokens: named tokens, shown once, with expiry, last use, revoke."""

import hashlib
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from webhooks.models import ApiToken

URL = reverse("webhooks:token")


def revoke_url(token: ApiToken) -> str:
    return reverse("webhooks:token-revoke", args=[token.token_key])


def test_no_token_yet(staff_client):
    response = staff_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "You have no token yet." in html and "Create token" in html
    assert "no-store" in response["Cache-Control"]


def test_creating_shows_the_token_once_and_stores_only_its_digest(staff_client, admin_a):
    response = staff_client.post(URL, {"name": "ERP sync", "expires_in": ""})
    html = response.content.decode()

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=admin_a)
    shown = html.split('id="token-value">')[1].split("<")[0]
    assert hashlib.sha512(shown.encode()).hexdigest() == token.digest
    assert token.name == "ERP sync" and token.expiry is None
    again = staff_client.get(URL).content.decode()
    assert shown not in again and "ERP sync" in again and f"{token.token_key}…" in again


def test_the_shown_token_opens_the_api_and_its_use_is_remembered(staff_client, admin_a):
    html = staff_client.post(URL, {"name": "script"}).content.decode()
    shown = html.split('id="token-value">')[1].split("<")[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {shown}")

    assert api.get("/api/v3/webhook/subscription").status_code == 200
    token = ApiToken.objects.get(user=admin_a)
    assert token.last_used_at is not None
    assert "Never" not in staff_client.get(URL).content.decode().split(token.name)[1].split("</tr>")[0]


def test_an_expiry_can_be_chosen(staff_client, admin_a):
    staff_client.post(URL, {"name": "quarterly", "expires_in": "90"})

    token = ApiToken.objects.get(user=admin_a)
    assert timedelta(days=89, hours=23) < token.expiry - timezone.now() <= timedelta(days=90)


def test_a_user_can_hold_several_tokens(staff_client, admin_a):
    for name in ("one", "two", "three"):
        staff_client.post(URL, {"name": name})

    html = staff_client.get(URL).content.decode()
    assert ApiToken.objects.filter(user=admin_a).count() == 3
    assert all(name in html for name in ("one", "two", "three"))


def test_a_token_needs_a_name_and_a_known_expiry(staff_client, admin_a):
    html = staff_client.post(URL, {"name": "", "expires_in": "12345"}).content.decode()

    assert not ApiToken.objects.exists()
    assert "This field is required." in html and "Select a valid choice" in html


def test_creates_in_a_fragment(staff_client, admin_a):
    response = staff_client.post(URL, {"name": "htmx"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()

    assert "<html" not in html and 'id="tokens"' in html and 'id="token-value"' in html
    assert "it will not be shown again" in html


def test_revoking_stops_the_token(staff_client, admin_a):
    _, key = ApiToken.objects.create(user=admin_a, name="old")
    token = ApiToken.objects.get(user=admin_a)

    response = staff_client.post(revoke_url(token))

    assert response.status_code == 302 and response["Location"] == URL
    assert not ApiToken.objects.exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v3/webhook/subscription").status_code == 401


def test_revokes_in_a_fragment(staff_client, admin_a):
    ApiToken.objects.create(user=admin_a, name="old")
    token = ApiToken.objects.get(user=admin_a)

    html = staff_client.post(revoke_url(token), HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in html and "You have no token yet." in html


def test_an_expired_token_is_shown_as_expired_and_refused(staff_client, admin_a):
    _, key = ApiToken.objects.create(user=admin_a, name="short", expiry=timedelta(days=1))
    ApiToken.objects.filter(user=admin_a).update(expiry=timezone.now() - timedelta(seconds=1))

    assert "Expired" in staff_client.get(URL).content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v3/webhook/subscription").status_code == 401


def test_get_fragment_for_htmx(staff_client, admin_a):
    ApiToken.objects.create(user=admin_a, name="mine")
    html = staff_client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and "mine" in html


def test_shows_and_revokes_only_ones_own_tokens(staff_client, admin_b):
    ApiToken.objects.create(user=admin_b, name="theirs")
    theirs = ApiToken.objects.get(user=admin_b)

    assert "theirs" not in staff_client.get(URL).content.decode()
    assert staff_client.post(revoke_url(theirs)).status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a):
    client.force_login(member_a)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_wrong_method(staff_client, admin_a):
    ApiToken.objects.create(user=admin_a, name="x")
    token = ApiToken.objects.get(user=admin_a)
    assert staff_client.delete(URL).status_code == 405
    assert staff_client.get(revoke_url(token)).status_code == 405


def test_the_django_admin_has_no_token_pages(db):
    from django.contrib import admin

    assert not any("token" in model._meta.model_name for model in admin.site._registry)
