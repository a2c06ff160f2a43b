"""webhooks/migrations/0014_webhook_subscription.py: existing webhooks want every change."""

BEFORE = [("webhooks", "0013_delivery_hours")]
AFTER = [("webhooks", "0014_webhook_subscription")]


def test_existing_webhooks_get_every_action_and_any_field(migrator):
    apps = migrator.loader.project_state(BEFORE).apps
    company = apps.get_model("events", "Company").objects.create(id="6b0000000000000000000001", name="A")
    Webhook = apps.get_model("webhooks", "Webhook")
    for code in ("one", "two"):
        Webhook.objects.create(company=company, name=code, code=code, url="https://example.com/", secret="s")

    migrator.loader.build_graph()
    migrator.migrate(AFTER)

    apps = migrator.loader.project_state(AFTER).apps
    rows = list(
        apps.get_model("webhooks", "Webhook").objects.order_by("code").values_list("code", "events", "fields")
    )
    assert rows == [("one", ["create", "edit", "delete"], []), ("two", ["create", "edit", "delete"], [])]
