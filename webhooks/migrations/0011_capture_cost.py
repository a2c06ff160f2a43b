"""Fewer pages for every captured change to write (docs/performance.md, capture on SQLite):
the partial `delivery_queue` index, a copy of the pending part of `(webhook, state, id)` that
serves the same probes; `(webhook, -id)`, now that a webhook's logs are listed newest first by
creation time through `(webhook, created_at)`; the company foreign keys' own indexes on
deliveries and events, and the unique index of an event's `object_id`, which no query reads (a
company's deliveries are read with their webhook; an event by its id).

The company indexes are dropped with a plain DROP INDEX: Django's AlterField would re-add the
foreign key constraint on PostgreSQL (checking every row while capture waits) and copy the
whole table on SQLite."""

import django.db.models.deletion
from django.db import migrations, models

import events.ids

# Django's names for the company foreign keys' indexes (and, on PostgreSQL, the event's
# `varchar_pattern_ops` copy; 0006 dropped the delivery's).
COMPANY_INDEXES = {
    "webhooks_delivery_company_id_5819db21": ("webhooks_delivery", ""),
    "webhooks_event_company_id_9d22d916": ("webhooks_event", ""),
    "webhooks_event_company_id_9d22d916_like": ("webhooks_event", " varchar_pattern_ops"),
}


def drop_company_indexes(apps, schema_editor) -> None:
    for name in COMPANY_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_company_indexes(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, (table, opclass) in COMPANY_INDEXES.items():
        if opclass and not postgresql:
            continue
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("company_id"{opclass})')


def company_field() -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="events.company",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("webhooks", "0010_delivery_redelivery_of"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="delivery", name="delivery_queue"),
        migrations.RemoveIndex(model_name="delivery", name="webhooks_de_webhook_8160c0_idx"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_company_indexes, create_company_indexes, elidable=False),
            ],
            state_operations=[
                migrations.AlterField(model_name="delivery", name="company", field=company_field()),
                migrations.AlterField(model_name="event", name="company", field=company_field()),
            ],
        ),
        migrations.AlterField(
            model_name="event",
            name="object_id",
            field=models.CharField(default=events.ids.new_object_id, editable=False, max_length=24),
        ),
    ]
