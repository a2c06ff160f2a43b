"""Fewer indexes for every delivery to write (docs/performance.md): the webhook foreign
key's own index (the composite indexes all start with the webhook) and, on PostgreSQL,
the `varchar_pattern_ops` copies Django adds for LIKE on id columns, which no query uses."""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEXES = ("webhooks_delivery_object_id_31416546_like", "webhooks_delivery_company_id_5819db21_like")


def drop_like_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name in LIKE_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_like_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        table = "webhooks_delivery"
        for name, column in zip(LIKE_INDEXES, ("object_id", "company_id"), strict=True):
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0005_webhook_routes_notify")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="webhook",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="webhooks.webhook",
            ),
        ),
        migrations.RunPython(drop_like_indexes, create_like_indexes, elidable=False),
    ]
