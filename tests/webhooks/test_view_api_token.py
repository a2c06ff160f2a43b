"""webhooks:token — SECURITY → API token: see or create one's DRF token."""

from django.urls import reverse
from rest_framework.authtoken.models import Token

URL = reverse("webhooks:token")


def test_no_token_yet(staff_client):
    response = staff_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "You have no token yet." in html and "Create token" in html


def test_creates_then_shows_it(staff_client, admin_a):
    response = staff_client.post(URL)
    assert response.status_code == 302 and response["Location"] == URL
    token = Token.objects.get(user=admin_a)
    assert token.key in staff_client.get(URL).content.decode()


def test_regenerates_in_a_fragment(staff_client, admin_a):
    old = Token.objects.create(user=admin_a).key
    response = staff_client.post(URL, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    new = Token.objects.get(user=admin_a).key
    assert new != old and new in html and old not in html
    assert "<html" not in html and 'id="token"' in html and "A new token was created" in html


def test_get_fragment_for_htmx(staff_client, admin_a):
    token = Token.objects.create(user=admin_a)
    html = staff_client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and token.key in html


def test_shows_only_ones_own_token(staff_client, admin_b):
    theirs = Token.objects.create(user=admin_b)
    assert theirs.key not in staff_client.get(URL).content.decode()


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a):
    client.force_login(member_a)
    assert client.get(URL).status_code == 403
    assert client.post(URL).status_code == 403
    assert not Token.objects.exists()


def test_wrong_method(staff_client):
    assert staff_client.delete(URL).status_code == 405
