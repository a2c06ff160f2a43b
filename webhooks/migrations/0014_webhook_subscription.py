"""Webhooks subscribe to some actions and, for edits, some fields (webhooks.subscription).
Existing webhooks get the defaults: every action, any field. On PostgreSQL the route table's
NOTIFY (migration 0005) fires for these columns too: each process caches them with the routes."""

from django.db import migrations, models

import webhooks.subscription

ROUTE_COLUMNS = "company_id, trigger, is_active, workflow_id, survey_id, group_id"


def _notify_on(columns: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS webhooks_routes_notify ON webhooks_webhook;
CREATE TRIGGER webhooks_routes_notify
    AFTER INSERT OR DELETE OR UPDATE OF {columns}
    ON webhooks_webhook FOR EACH ROW EXECUTE FUNCTION webhooks_routes_notify();
"""


def notify_on_subscription(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_notify_on(f"{ROUTE_COLUMNS}, events, fields"))


def notify_on_routes_only(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_notify_on(ROUTE_COLUMNS))


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0013_delivery_hours")]

    operations = [
        migrations.AddField(
            model_name="webhook",
            name="events",
            field=models.JSONField(blank=True, default=webhooks.subscription.default_events),
        ),
        migrations.AddField(
            model_name="webhook",
            name="fields",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(notify_on_subscription, notify_on_routes_only, elidable=False),
    ]
