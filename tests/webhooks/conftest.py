import os
import uuid

import pytest
import redis
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_q.conf import Conf
from rest_framework.test import APIClient

from tests.receiver import Receiver
from webhooks.engine import doorbell
from webhooks.models import ApiToken, Trigger, Webhook

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def make_webhook(company_a, workflow_a):
    def make(url: str, *, code: str = "orders", trigger: str = Trigger.TASK, **fields) -> Webhook:
        if trigger == Trigger.TASK:
            fields.setdefault("workflow", workflow_a)
        return Webhook.objects.create(
            company=company_a, name=code.title(), code=code, url=url, trigger=trigger, **fields
        )

    return make


# A task webhook of company A: `hook` for the API's tests, `webhook` for the panel's (a module
# that needs another defines its own, which takes precedence).
@pytest.fixture
def hook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://www.server.com",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


@pytest.fixture
def webhook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://www.server.com/hook",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_DELAY = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def api(admin_a) -> APIClient:
    """An API client with company A's staff administrator's Bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=admin_a, name='test')[1]}")
    return client


@pytest.fixture
def migrator(request, transactional_db):
    """A database migrated back to the test module's BEFORE; migrated forward again after."""
    executor = MigrationExecutor(connection)
    executor.migrate(request.module.BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def redis_broker(settings, monkeypatch):
    """django-q2 on a real Redis, with a queue name of this test's own."""
    try:
        redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (.ci/run starts one)")
    name = f"test_{uuid.uuid4().hex[:8]}"
    cluster = {key: value for key, value in settings.Q_CLUSTER.items() if key != "orm"}
    redis_class = "webhooks.engine.brokers.PatientRedis"
    settings.Q_CLUSTER = {**cluster, "name": name, "redis": REDIS_URL, "broker_class": redis_class}
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "BROKER_CLASS", redis_class)
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    monkeypatch.setattr(Conf, "PREFIX", name)  # the salt of its task signatures
    monkeypatch.setattr(doorbell, "_broker", None)
    broker = doorbell._get_broker()
    yield broker
    broker.delete_queue()
    for key in broker.connection.keys(f"webhooks:{name}:*"):
        broker.connection.delete(key)
    monkeypatch.setattr(doorbell, "_broker", None)


def queued_drains(broker) -> list[tuple]:
    from django_q.signing import SignedPackage

    return [SignedPackage.loads(raw)["args"] for raw in broker.connection.lrange(broker.list_key, 0, -1)]
