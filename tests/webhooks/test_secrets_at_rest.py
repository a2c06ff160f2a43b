"""Secrets at rest: signing secrets and custom header values are encrypted (Fernet, keys from
WEBHOOK_ENCRYPTION_KEYS), API tokens are stored as digests, and a dump of the database holds
none of them in clear."""

import shutil
import sqlite3
import subprocess
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from events.models import Task
from webhooks import crypto
from webhooks.engine import delivery as engine
from webhooks.models import Webhook

HEADER_VALUE = "Bearer header-value-that-must-not-leak"


@pytest.fixture
def migrated_back(transactional_db, company_a):
    """Webhook with a sealed secret, then `migrate webhooks 0008` (before encryption)."""
    from django.db.migrations.executor import MigrationExecutor

    webhook = Webhook.objects.create(company=company_a, name="a", code="a", url="https://a.example/")
    secret = webhook.secret
    executor = MigrationExecutor(connection)
    executor.migrate([("webhooks", "0008_webhook_url_rule")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM webhooks_webhook WHERE id = %s", [webhook.pk])
            stored = cursor.fetchone()[0]
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    return {"secret": secret, "stored": stored}


def stored(webhook: Webhook, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM webhooks_webhook WHERE id = %s", [webhook.pk])
        return cursor.fetchone()[0]


def test_the_secret_is_stored_encrypted_and_read_back_in_clear(make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")
    secret = webhook.secret

    raw = stored(webhook, "secret")

    assert raw.startswith(crypto.PREFIX) and secret not in raw
    assert Webhook.objects.get(pk=webhook.pk).secret == secret
    assert Webhook.objects.values_list("secret", flat=True).get() == raw


def test_a_value_sealed_with_an_old_key_still_opens_and_reencrypt_moves_it_to_the_new_key(
    make_webhook, settings
):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBHOOK_ENCRYPTION_KEYS = [old_key]
    webhook = make_webhook("https://erp.example.com/hook")
    webhook.replace_receiver_headers({"Authorization": HEADER_VALUE})
    webhook.save()
    secret = webhook.secret
    settings.WEBHOOK_ENCRYPTION_KEYS = [new_key, old_key]

    assert Webhook.objects.get(pk=webhook.pk).secret == secret
    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)

    assert "1 webhook" in out.getvalue()
    settings.WEBHOOK_ENCRYPTION_KEYS = [new_key]
    fresh = Webhook.objects.get(pk=webhook.pk)
    assert fresh.secret == secret
    assert fresh.receiver_headers() == {"Authorization": HEADER_VALUE}


def test_a_value_no_key_opens_is_a_clear_configuration_error(make_webhook, settings):
    webhook = make_webhook("https://erp.example.com/hook")
    settings.WEBHOOK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.UndecryptableError, match="WEBHOOK_ENCRYPTION_KEYS"):
        Webhook.objects.get(pk=webhook.pk).signing_secrets()


def test_reencrypt_seals_a_secret_left_in_clear(make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE webhooks_webhook SET secret = %s WHERE id = %s", ["whsec_plain", webhook.pk])

    call_command("reencrypt_secrets", stdout=StringIO())

    assert stored(webhook, "secret").startswith(crypto.PREFIX)
    assert Webhook.objects.get(pk=webhook.pk).secret == "whsec_plain"


def test_dumpdata_writes_the_sealed_form_and_loaddata_reads_it_back(make_webhook, tmp_path):
    webhook = make_webhook("https://erp.example.com/hook")
    webhook.replace_receiver_headers({"Authorization": HEADER_VALUE})
    webhook.save()
    secret = webhook.secret
    fixture = tmp_path / "webhooks.json"

    call_command("dumpdata", "webhooks.webhook", output=str(fixture), verbosity=0)

    dumped = fixture.read_text()
    assert secret not in dumped and HEADER_VALUE not in dumped and crypto.PREFIX in dumped
    Webhook.objects.all().delete()
    call_command("loaddata", str(fixture), verbosity=0)
    loaded = Webhook.objects.get(pk=webhook.pk)
    assert loaded.secret == secret and loaded.receiver_headers() == {"Authorization": HEADER_VALUE}


def test_rolling_back_the_migration_leaves_the_secrets_in_clear(migrated_back):
    assert migrated_back["stored"] == migrated_back["secret"]


def test_listing_webhooks_decrypts_nothing(make_webhook, monkeypatch):
    for n in range(3):
        make_webhook(f"https://erp.example.com/{n}", code=f"hook_{n}")
    opened = []
    real_unseal = crypto.unseal
    monkeypatch.setattr(crypto, "unseal", lambda value: opened.append(value) or real_unseal(value))

    names = [webhook.name for webhook in Webhook.objects.all()]

    assert len(names) == 3 and opened == []


def database_dump() -> bytes:
    if connection.vendor == "sqlite":
        target = sqlite3.connect(":memory:")
        connection.connection.backup(target)
        return b"".join(line.encode() for line in target.iterdump())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    params = connection.get_connection_params()
    command = [pg_dump, "--host", params.get("host", "127.0.0.1"), "--port", str(params.get("port", 5432))]
    command += ["--username", params.get("user", "postgres"), "--dbname", params["dbname"]]
    return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout


@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_database_holds_no_token_header_value_or_secret_in_clear(
    client, admin_a, make_webhook, workflow_a, receiver
):
    client.force_login(admin_a)
    # A token issued in the panel and used once.
    html = client.post(reverse("webhooks:token"), {"name": "dump test"}).content.decode()
    token = html.split('id="token-value">')[1].split("<")[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v3/webhook/subscription").status_code == 200
    # A webhook with a custom header, its secret rotated (two secrets), read in the panel and API.
    webhook = make_webhook(receiver.url("/hook"))
    headers = {"headers": {"Authorization": HEADER_VALUE}}
    assert api.patch(f"/api/v3/webhook/subscription/{webhook.pk}", headers, format="json").status_code == 200
    client.post(reverse("webhooks:rotate_secret", args=[webhook.pk]))
    webhook.refresh_from_db()
    secrets = webhook.signing_secrets()
    assert len(secrets) == 2
    assert secrets[0] in client.get(reverse("webhooks:secret", args=[webhook.pk])).content.decode()
    assert api.get(f"/api/v3/webhook/subscription/{webhook.pk}/secret").json()["secret"] == secrets[0]
    # A delivery, so attempts (with their request headers) are stored too.
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Dumped task")
    assert engine.webhook_drain(webhook_id=webhook.pk) == 1
    assert receiver.on("/hook")[0].headers["authorization"] == HEADER_VALUE

    dump = database_dump()

    assert b"Dumped task" in dump and webhook.pk.encode() in dump  # the dump has the data
    for value in (token, HEADER_VALUE, *secrets, *(secret.removeprefix("whsec_") for secret in secrets)):
        assert value.encode() not in dump
