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


def test_repeated_failures_lock_the_account_for_the_window(client, admin_a, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})

    response = client.post(reverse("login"), {"username": "Admin-A@example.com", "password": "pw-admin-a-1"})

    assert response.status_code == 200  # the right password, refused while locked
    html = response.content.decode()
    assert "Too many failed sign-ins for this account. Try again in" in html
    assert client.get(reverse("webhooks:list")).status_code == 302
    assert client.login(username="admin-a@example.com", password="pw-admin-a-1") is False  # any path


def test_a_locked_account_does_not_lock_another(client, admin_a, admin_b, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 2
    for _ in range(2):
        client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})

    response = client.post(reverse("login"), {"username": "admin-b@example.com", "password": "pw-admin-b-1"})

    assert response.status_code == 302


def test_failures_below_the_limit_do_not_lock(client, admin_a, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 3
    for _ in range(2):
        client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})

    response = client.post(reverse("login"), {"username": "admin-a@example.com", "password": "pw-admin-a-1"})

    assert response.status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, admin_a, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 1
    client.post("/admin/login/", {"username": "admin-a@example.com", "password": "nope"})

    response = client.post("/admin/login/", {"username": "admin-a@example.com", "password": "pw-admin-a-1"})

    assert response.status_code == 200  # the form again: not signed in
    assert "_auth_user_id" not in client.session
