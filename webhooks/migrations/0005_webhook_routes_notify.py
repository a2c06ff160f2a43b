"""PostgreSQL: NOTIFY webhook_routes whenever a webhook's routing columns change, for the
route table of every process (webhooks.engine.routes, docs/delivery.md)."""

from django.db import migrations

CREATE = """
CREATE FUNCTION webhooks_routes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('webhook_routes', '*');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('webhook_routes', OLD.company_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('webhook_routes', NEW.company_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER webhooks_routes_notify
    AFTER INSERT OR DELETE OR UPDATE OF company_id, trigger, is_active, workflow_id, survey_id, group_id
    ON webhooks_webhook FOR EACH ROW EXECUTE FUNCTION webhooks_routes_notify();
CREATE TRIGGER webhooks_routes_notify_truncate
    AFTER TRUNCATE ON webhooks_webhook FOR EACH STATEMENT EXECUTE FUNCTION webhooks_routes_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS webhooks_routes_notify_truncate ON webhooks_webhook;
DROP TRIGGER IF EXISTS webhooks_routes_notify ON webhooks_webhook;
DROP FUNCTION IF EXISTS webhooks_routes_notify();
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0004_delivery_engine_v2")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
