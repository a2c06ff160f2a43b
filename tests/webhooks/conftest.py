import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from tests.receiver import Receiver
from webhooks.models import ApiToken, Trigger, Webhook


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
