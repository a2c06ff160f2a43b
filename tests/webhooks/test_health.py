"""GET /healthz: database, broker, cluster heartbeat and delivery backlog, for load balancers."""

import json
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches
from django.core.management import call_command
from django.db.utils import ConnectionHandler
from django.urls import reverse
from django.utils import timezone
from django_q.brokers.redis_broker import Redis as RedisBroker

from webhooks import health
from webhooks.models import Delivery, Event

URL = "/healthz"


@pytest.fixture(autouse=True)
def heartbeat_cache(settings):
    """A private heartbeat cache per test, so no running cluster (or other test) can beat into it."""
    settings.CACHES = {
        **settings.CACHES,
        "heartbeat": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"heartbeat-{uuid.uuid4()}",
        },
    }
    settings.HEALTH_HEARTBEAT_MAX_AGE = 60.0
    settings.HEALTH_DELIVERY_MAX_AGE = 0.0
    health._last_beat = 0.0
    yield caches["heartbeat"]
    health._last_beat = 0.0


@pytest.fixture(autouse=True)
def orm_broker(monkeypatch):
    """Use the configured broker, made afresh (a previous test may have swapped it)."""
    monkeypatch.setattr(health, "_broker", None)


def _get(client):
    response = client.get(URL)
    return response, json.loads(response.content)


def _add_deliveries(webhook, *next_attempt_ages: float, state=Delivery.State.PENDING) -> list[Delivery]:
    """Deliveries whose next attempt fell due `age` seconds ago (negative: in the future)."""
    now = timezone.now()
    made = []
    for age in next_attempt_ages:
        event = Event.objects.create(company=webhook.company, type="COTTask", action="create", body="{}")
        made.append(
            Delivery.objects.create(
                company=webhook.company,
                webhook=webhook,
                event=event,
                state=state,
                next_attempt_at=now - timedelta(seconds=age),
                created_at=now - timedelta(seconds=max(age, 0)),
            )
        )
    return made


def test_it_is_routed_at_healthz():
    assert reverse("healthz") == URL


def test_healthy_with_a_fresh_heartbeat_answers_200_with_every_field(client, db, settings):
    assert health.cluster_heartbeat_beat() is True

    response, body = _get(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    broker_type = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
    assert body["broker"]["ok"] is True
    assert body["broker"]["type"] == broker_type
    assert body["broker"]["queued"] >= 0
    assert body["cluster"]["ok"] is True
    assert 0 <= body["cluster"]["heartbeat_age_seconds"] < 60  # the allowance: a slow machine may pause
    assert body["cluster"]["max_age_seconds"] == 60.0
    assert body["deliveries"] == {
        "ok": True,
        "pending": 0,
        "oldest_due_age_seconds": None,
        "max_age_seconds": None,
    }


def test_it_needs_no_login_and_answers_head(client, db):
    health.cluster_heartbeat_beat()

    assert client.get(URL).status_code == 200
    head = client.head(URL)
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405(client, db, method):
    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


def test_without_any_heartbeat_it_is_503(client, db):
    response, body = _get(client)

    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["cluster"] == {"ok": False, "heartbeat_age_seconds": None, "max_age_seconds": 60.0}
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


def test_a_heartbeat_older_than_the_allowance_is_503(client, db, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE = 5.0
    health.cluster_heartbeat_beat(now=time.time() - 6, force=True)

    response, body = _get(client)

    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["cluster"]["ok"] is False
    assert 6 <= body["cluster"]["heartbeat_age_seconds"] < 60
    assert body["cluster"]["max_age_seconds"] == 5.0

    health.cluster_heartbeat_beat(force=True)
    assert client.get(URL).status_code == 200


def test_beats_are_throttled_per_process_but_never_beyond_the_allowance(settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE = 8.0  # one write at most every 2 s
    start = 1_000_000.0

    assert health.cluster_heartbeat_beat(now=start) is True
    assert health.cluster_heartbeat_beat(now=start + 1.9) is False
    assert health.cluster_heartbeat_beat(now=start + 2.0) is True
    assert health.cluster_heartbeat_age(now=start + 3.0) == pytest.approx(1.0)


def test_a_clock_a_little_ahead_never_gives_a_negative_age():
    health.cluster_heartbeat_beat(now=time.time() + 60, force=True)

    assert health.cluster_heartbeat_age() == 0.0


def test_it_reports_pending_deliveries_and_the_oldest_due_one(client, db, make_webhook):
    health.cluster_heartbeat_beat()
    webhook = make_webhook("https://example.com/hook")
    paused = make_webhook("https://example.com/paused", code="paused", is_active=False)
    _add_deliveries(webhook, 90, 10, -30)  # two due (90 s and 10 s ago), one retry in 30 s
    _add_deliveries(paused, 500)  # queued for an inactive webhook: waits, is not due
    _add_deliveries(webhook, 900, state=Delivery.State.FAILED)  # finished: not pending

    response, body = _get(client)

    assert response.status_code == 200
    assert body["deliveries"]["pending"] == 4
    assert 90 <= body["deliveries"]["oldest_due_age_seconds"] < 100
    assert body["deliveries"]["ok"] is True


def test_a_due_delivery_older_than_the_optional_allowance_is_503(client, db, make_webhook, settings):
    settings.HEALTH_DELIVERY_MAX_AGE = 60.0
    health.cluster_heartbeat_beat()
    webhook = make_webhook("https://example.com/hook")
    [delivery] = _add_deliveries(webhook, 90)

    response, body = _get(client)

    assert response.status_code == 503
    assert body["deliveries"]["ok"] is False
    assert body["deliveries"]["max_age_seconds"] == 60.0

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=30))
    assert client.get(URL).status_code == 200


def test_a_database_that_does_not_answer_is_503_and_the_body_names_no_host(
    client, db, monkeypatch, unused_port
):
    health.cluster_heartbeat_beat()
    unreachable = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": str(unused_port),
                "NAME": "nowhere",
                "USER": "nobody",
                "PASSWORD": "db-password-must-not-leak",
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    monkeypatch.setattr(health, "connections", unreachable)

    response, body = _get(client)

    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["deliveries"] == {"ok": False, "error": "database"}
    text = response.content.decode()
    assert str(unused_port) not in text
    assert "db-password-must-not-leak" not in text
    assert "nobody" not in text


def test_a_redis_broker_that_does_not_answer_is_503(client, db, monkeypatch, unused_port):
    health.cluster_heartbeat_beat()
    broker = RedisBroker.__new__(RedisBroker)
    broker.list_key = "healthz-test"
    broker._info = None
    broker.connection = redis.Redis(host="127.0.0.1", port=unused_port, socket_connect_timeout=2)
    monkeypatch.setattr(health, "_broker", broker)

    response, body = _get(client)

    assert response.status_code == 503
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"] == "ConnectionError"
    assert str(unused_port) not in response.content.decode()


def test_the_body_holds_no_secret(client, db, make_webhook, settings):
    health.cluster_heartbeat_beat()
    webhook = make_webhook("https://user:url-password@example.com/hook?token=abc")
    _add_deliveries(webhook, 5)

    text = client.get(URL).content.decode()

    for secret in (settings.SECRET_KEY, webhook.secret, "whsec_", "url-password", "token=abc", webhook.url):
        assert secret not in text
    assert set(json.loads(text)) == {"status", "database", "broker", "cluster", "deliveries"}


def test_without_redis_the_heartbeat_is_kept_in_a_database_table(db, settings):
    """Without Redis the heartbeat lives in a database table, which `migrate` creates."""
    settings.CACHES = {
        **settings.CACHES,
        "heartbeat": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "webhooks_cache"},
    }
    call_command("createcachetable", verbosity=0)  # what `migrate` does (a no-op if it exists)

    health.cluster_heartbeat_beat(now=time.time() - 2, force=True)

    assert 2 <= health.cluster_heartbeat_age() < 60
