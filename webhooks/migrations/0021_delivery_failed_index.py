"""The logs' filters combined with a date: a partial (webhook, created_at, status_code, state)
index of the failed deliveries, which a delivery enters only when it ends FAILED (docs/performance.md,
"Panel"). Building it reads the deliveries table once and blocks writes to it meanwhile
(docs/production.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_user_language"),
        ("webhooks", "0020_webhook_trigger_alerts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("state", "failed")),
                fields=["webhook", "created_at", "status_code", "state"],
                name="delivery_failed",
            ),
        ),
    ]
