"""login / logout / the root redirect of the panel."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import authenticate
from django.db import connections
from django.urls import reverse

from events.models import User
from tests.waiting import wait_until
from tests.webhooks.test_routes import postgresql_only
from webhooks import limits


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


def test_overlapping_sign_ins_check_no_more_passwords_than_the_limit(admin_a, settings, monkeypatch):
    """Each request arrives while the previous one's password is still being checked: the limit
    holds although no check has finished (the count comes before the password)."""
    settings.WEBHOOK_SIGNIN_FAILURES = 3
    checked = []
    check_password = User.check_password

    def slow_check(user, raw_password):
        checked.append(raw_password)
        if len(checked) < 10:  # the next guess arrives before this one is answered
            authenticate(username="admin-a@example.com", password=f"guess-{len(checked)}")
        return check_password(user, raw_password)

    monkeypatch.setattr(User, "check_password", slow_check)
    authenticate(username="admin-a@example.com", password="guess-0")

    assert checked == ["guess-0", "guess-1", "guess-2"]
    monkeypatch.setattr(User, "check_password", check_password)
    assert authenticate(username="admin-a@example.com", password="pw-admin-a-1") is None  # locked


def test_a_right_password_is_not_counted_as_a_failure(client, admin_a, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 2
    for _ in range(3):
        assert client.login(username="admin-a@example.com", password="pw-admin-a-1")
        client.logout()
    client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})

    response = client.post(reverse("login"), {"username": "admin-a@example.com", "password": "pw-admin-a-1"})

    assert response.status_code == 302


def test_the_failure_that_reaches_the_limit_says_the_account_is_locked(client, admin_a, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 2
    client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})

    response = client.post(reverse("login"), {"username": "admin-a@example.com", "password": "nope"})

    assert "Too many failed sign-ins for this account. Try again in" in response.content.decode()


def test_a_long_user_name_is_counted_without_an_error(client, db, settings):
    settings.WEBHOOK_SIGNIN_FAILURES = 1
    name = "x" * 5000 + "@example.com"
    assert authenticate(username=name, password="nope") is None
    assert authenticate(username=name, password="nope") is None
    assert limits.signin_wait(username=name) > 0


@postgresql_only
def test_a_burst_of_parallel_sign_ins_checks_no_more_passwords_than_the_limit(
    transactional_db, admin_a, settings, monkeypatch
):
    """30 threads, each on its own PostgreSQL connection, sign in to one account at once (29
    wrong passwords and the right one): no password is answered until every request has either
    reached the password check or been refused, so all of them overlap."""
    settings.WEBHOOK_SIGNIN_FAILURES = 5
    burst = 30
    lock, checked, refused = threading.Lock(), [], []
    answer = threading.Event()
    check_password = User.check_password

    def held_check(user, raw_password):
        with lock:
            checked.append(raw_password)
        answer.wait(30)
        return check_password(user, raw_password)

    def sign_in(password: str):
        try:
            user = authenticate(username="admin-a@example.com", password=password)
            if user is None and password not in checked:
                with lock:
                    refused.append(password)
            return user
        finally:
            connections.close_all()

    monkeypatch.setattr(User, "check_password", held_check)
    passwords = [f"guess-{n}" for n in range(burst - 1)] + ["pw-admin-a-1"]
    with ThreadPoolExecutor(max_workers=burst) as pool:
        results = [pool.submit(sign_in, password) for password in passwords]
        wait_until(lambda: len(checked) + len(refused) == burst, timeout=30, message="every request")
        answer.set()
        users = [result.result(timeout=30) for result in results]

    assert len(checked) == 5 and len(refused) == burst - 5
    assert sum(user is not None for user in users) == ("pw-admin-a-1" in checked)
