"""login / logout / the root redirect of the panel."""

from django.urls import reverse


def test_root_redirects_to_the_panel(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("webhooks:list")


def test_login_page(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_goes_to_the_panel(client, admin_a):
    response = client.post(reverse("login"), {"username": "admin-a@example.com", "password": "pw-admin-a-1"})
    assert response.status_code == 302 and response["Location"] == reverse("webhooks:list")
    assert client.get(reverse("webhooks:list")).status_code == 200


def test_login_follows_next(client, admin_a):
    response = client.post(
        reverse("login"),
        {"username": "admin-a@example.com", "password": "pw-admin-a-1", "next": reverse("webhooks:token")},
    )
    assert response["Location"] == reverse("webhooks:token")


def test_bad_password(client, admin_a):
    response = client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct" in html and 'value="admin-a@example.com"' in html


def test_logout_is_post_only(client, admin_a):
    client.force_login(admin_a)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("webhooks:list")).status_code == 302
