"""`events` and `fields` on COTWebhook (our extension): read, write, PATCH/PUT, 400s, isolation."""

import pytest

from events.models import Task
from webhooks.models import Delivery, Webhook

BASE = "/api/v3/webhook/subscription"


@pytest.fixture
def task_body(workflow_a) -> dict:
    return {
        "name": "Statuses",
        "code": "statuses",
        "url": "https://www.server.com",
        "trigger": "create-edit-delete-task",
        "context": {"taskGroup": workflow_a.pk},
    }


def test_a_webhook_reads_with_its_events_and_fields(api, hook):
    body = api.get(f"{BASE}/{hook.pk}").json()

    assert (body["events"], body["fields"]) == (["create", "edit", "delete"], [])


def test_a_create_without_them_gets_the_defaults(api, task_body):
    body = api.post(BASE, task_body, format="json").json()

    assert (body["events"], body["fields"]) == (["create", "edit", "delete"], [])
    assert Webhook.objects.get(pk=body["_id"]).wants_everything()


def test_a_create_with_them_stores_them_normalized(api, task_body):
    task_body.update(events=["edit", "create", "edit"], fields=["/status", "/assignee", "/status"])
    response = api.post(BASE, task_body, format="json")

    assert response.status_code == 201, response.json()
    webhook = Webhook.objects.get(pk=response.json()["_id"])
    assert (webhook.events, webhook.fields) == (["create", "edit"], ["/assignee", "/status"])
    assert response.json()["fields"] == ["/assignee", "/status"]


def test_the_subscription_filters_what_the_webhook_gets(api, task_body, company_a, workflow_a):
    task_body.update(events=["edit"], fields=["/name"])
    webhook_id = api.post(BASE, task_body, format="json").json()["_id"]
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.info = "no"
    task.save()
    task.name = "Pump 2"
    task.save()

    logs = api.get(f"{BASE}/logs/{webhook_id}").json()
    assert [(log["event"]["event"], list(log["event"]["diff"])) for log in logs] == [("edit", ["/name"])]
    assert Delivery.objects.count() == 1


def test_patch_changes_only_what_it_sends(api, hook):
    response = api.patch(f"{BASE}/{hook.pk}", {"fields": ["/status"]}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["events"], response.json()["fields"]) == (
        ["create", "edit", "delete"],
        ["/status"],
    )

    api.patch(f"{BASE}/{hook.pk}", {"name": "Renamed"}, format="json")
    hook.refresh_from_db()
    assert (hook.events, hook.fields) == (["create", "edit", "delete"], ["/status"])


def test_put_without_them_keeps_them(api, hook, workflow_a):
    hook.events, hook.fields = ["edit"], ["/status"]
    hook.save()
    body = api.get(f"{BASE}/{hook.pk}").json()
    del body["events"], body["fields"]

    assert api.put(f"{BASE}/{hook.pk}", body, format="json").status_code == 200
    hook.refresh_from_db()
    assert (hook.events, hook.fields) == (["edit"], ["/status"])


def test_a_read_body_can_be_put_back(api, hook):
    hook.events, hook.fields = ["create", "edit"], ["/followers"]
    hook.save()
    body = api.get(f"{BASE}/{hook.pk}").json()

    response = api.put(f"{BASE}/{hook.pk}", body, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["events"], response.json()["fields"]) == (["create", "edit"], ["/followers"])


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"events": []}, {"events"}),
        ({"events": ["remove"]}, {"events"}),
        ({"events": "create"}, {"events"}),
        ({"fields": ["status"]}, {"fields"}),
        ({"fields": ["/name/displayName"]}, {"fields"}),  # a user's field, not a task's
        ({"fields": "/status"}, {"fields"}),
        ({"fields": [1]}, {"fields"}),
        ({"events": ["create"], "fields": ["/status"]}, {"fields"}),
        ({"fields": ["/x"] * 51}, {"fields"}),
    ],
)
def test_bad_values_are_a_400_naming_the_field_and_change_nothing(api, hook, change, errors):
    response = api.patch(f"{BASE}/{hook.pk}", change, format="json")

    assert response.status_code == 400
    assert set(response.json()) == errors
    hook.refresh_from_db()
    assert hook.wants_everything()


def test_changing_the_trigger_refuses_fields_the_new_one_lacks(api, hook):
    api.patch(f"{BASE}/{hook.pk}", {"fields": ["/status"]}, format="json")

    response = api.patch(f"{BASE}/{hook.pk}", {"trigger": "create-edit-delete-user"}, format="json")

    assert response.status_code == 400
    assert "/status" in response.json()["fields"][0]


def test_a_logout_webhook_takes_no_fields(api, task_body):
    body = {**task_body, "trigger": "logout-user", "context": None, "fields": ["/email"]}

    assert set(api.post(BASE, body, format="json").json()) == {"fields"}
    del body["fields"]
    assert api.post(BASE, {**body, "events": ["create"]}, format="json").status_code == 201


def test_another_companys_webhook_is_a_404(api, company_b):
    other = Webhook.objects.create(company=company_b, name="b", code="b", url="https://www.server.com")

    assert api.patch(f"{BASE}/{other.pk}", {"events": ["create"]}, format="json").status_code == 404
    other.refresh_from_db()
    assert other.events == ["create", "edit", "delete"]


def test_the_schema_describes_them(api):
    schemas = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    events = schemas["WebhookInputRequest"]["properties"]["events"]

    assert events["minItems"] == 1
    assert schemas[events["items"]["$ref"].rsplit("/", 1)[1]]["enum"] == ["create", "edit", "delete"]
    assert schemas["WebhookInputRequest"]["properties"]["fields"]["maxItems"] == 50
    assert {"events", "fields"} <= set(schemas["Webhook"]["required"])


def test_the_documented_patch_answers_as_documented(api, hook):
    """docs/api.md's example."""
    body = {"events": ["create", "edit"], "fields": ["/status"]}

    response = api.patch(f"{BASE}/{hook.pk}", body, format="json").json()

    assert {key: response[key] for key in ("events", "fields")} == body
