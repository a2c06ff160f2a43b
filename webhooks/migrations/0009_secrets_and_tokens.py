"""Secrets at rest (issue 12): signing secrets encrypted, custom headers, API tokens as digests.

Existing secrets are encrypted with the first key of WEBHOOK_ENCRYPTION_KEYS. Existing DRF
tokens (stored in clear by `rest_framework.authtoken`, no longer installed) become ApiTokens
holding only their digest, so scripts keep working, and the clear copies are deleted.
"""

import hashlib
from datetime import UTC, datetime

import django.db.models.deletion
import webhooks.engine.signing
import webhooks.fields
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def seal_secrets(apps, schema_editor):
    Webhook = apps.get_model("webhooks", "Webhook")
    for webhook in Webhook.objects.only("pk", "secret", "previous_secret").iterator():
        # Reading opens a plain value as it is; saving seals it.
        webhook.save(update_fields=["secret", "previous_secret"])


def unseal_secrets(apps, schema_editor):
    """Back to clear text before the columns become varchar(100) again (a rollback); written
    with plain SQL, as the field would seal them again."""
    Webhook = apps.get_model("webhooks", "Webhook")
    table = schema_editor.quote_name(Webhook._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for webhook in Webhook.objects.only("pk", "secret", "previous_secret").iterator():
            cursor.execute(
                f"UPDATE {table} SET secret = %s, previous_secret = %s WHERE id = %s",
                [webhook.secret, webhook.previous_secret, webhook.pk],
            )


def digest_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("webhooks", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
        for key, user_id, created in rows:
            # knox's digest: SHA-512 of the token's characters; its first 15 find it.
            digest = hashlib.sha512(key.encode()).hexdigest()
            ApiToken.objects.create(digest=digest, token_key=key[:15], user_id=user_id, name="API token")
            if isinstance(created, datetime) and timezone.is_naive(created):  # SQLite's raw rows
                created = timezone.make_aware(created, UTC)
            ApiToken.objects.filter(pk=digest).update(created=created)
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0008_webhook_url_rule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='webhook',
            name='sealed_headers',
            field=webhooks.fields.EncryptedTextField(blank=True, default='', editable=False),
        ),
        migrations.AlterField(
            model_name='webhook',
            name='previous_secret',
            field=webhooks.fields.EncryptedTextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name='webhook',
            name='secret',
            field=webhooks.fields.EncryptedTextField(default=webhooks.engine.signing.secret_generate, editable=False),
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('digest', models.CharField(max_length=128, primary_key=True, serialize=False)),
                ('token_key', models.CharField(db_index=True, max_length=25)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('expiry', models.DateTimeField(blank=True, null=True)),
                ('name', models.CharField(max_length=100)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auth_token_set', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created'],
            },
        ),
        migrations.RunPython(seal_secrets, unseal_secrets, elidable=True),
        # Not reversible: the clear copies are gone (a rollback loses the API tokens).
        migrations.RunPython(digest_drf_tokens, migrations.RunPython.noop, elidable=True),
    ]
