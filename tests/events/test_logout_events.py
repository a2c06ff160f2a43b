"""Auth logout events, from a real login and a POST to the admin logout URL."""

import time
from datetime import UTC, datetime

from django.contrib.auth import get_user

from events.models import User
from tests.events.conftest import assert_created_at_now


def test_it_sends_an_auth_logout_with_user_id_and_epoch_ms_timestamp(client, admin_a, sent):
    assert client.login(email="admin-a@example.com", password="pw-admin-a-1")
    assert sent == []  # recording last_login is not a COTUser change
    since = datetime.now(UTC)
    before_ms = int(time.time() * 1000)

    response = client.post("/admin/logout/")

    after_ms = int(time.time() * 1000)
    assert response.status_code == 200
    assert not get_user(client).is_authenticated
    event = sent.only()
    assert event["type"] == "Auth"
    assert event["event"] == "logout"
    assert event["company"] == admin_a.company_id
    assert event["data"] is None
    assert event["diff"] == {}
    assert set(event["extraData"]) == {"userId", "timestamp"}
    assert event["extraData"]["userId"] == admin_a.pk
    timestamp = event["extraData"]["timestamp"]
    assert isinstance(timestamp, int)
    assert before_ms <= timestamp <= after_ms
    assert_created_at_now(event, since)


def test_it_sends_nothing_when_logging_out_without_a_session(client, db, sent):
    client.post("/admin/logout/")

    assert sent == []


def test_it_sends_nothing_when_a_user_without_company_logs_out(client, db, sent):
    User.objects.create_superuser("root@example.com", "pw-root-1")
    assert client.login(email="root@example.com", password="pw-root-1")

    response = client.post("/admin/logout/")

    assert response.status_code == 200
    assert sent == []
