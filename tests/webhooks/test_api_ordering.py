"""`ordering` and `maxInFlight` on COTWebhook (our extension): read, defaults, write, PATCH/PUT
keep them, 400s naming the key, isolation, and the schema."""

import pytest

from webhooks.models import Ordering, Webhook

BASE = "/api/v3/webhook/subscription"


@pytest.fixture
def task_body(workflow_a) -> dict:
    return {
        "name": "Orders",
        "code": "orders_api",
        "url": "https://www.server.com",
        "trigger": "create-edit-delete-task",
        "context": {"taskGroup": workflow_a.pk},
    }


def stored(hook: Webhook) -> tuple[str, int]:
    hook.refresh_from_db()
    return hook.ordering, hook.max_in_flight


def test_a_webhook_reads_with_its_ordering_and_deliveries_in_flight(api, hook):
    hook.ordering, hook.max_in_flight = Ordering.OBJECT, 8
    hook.save()

    body = api.get(f"{BASE}/{hook.pk}").json()

    assert (body["ordering"], body["maxInFlight"]) == ("object", 8)
    assert "perObjectAfter" not in body and "per_object_after" not in body
    assert [(item["ordering"], item["maxInFlight"]) for item in api.get(BASE).json()] == [("object", 8)]


def test_a_create_without_them_gets_the_defaults(api, task_body):
    response = api.post(BASE, task_body, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["ordering"], response.json()["maxInFlight"]) == ("webhook", 4)
    webhook = Webhook.objects.get(pk=response.json()["_id"])
    assert (webhook.ordering, webhook.max_in_flight) == (Ordering.WEBHOOK, 4)


def test_a_create_with_them_stores_them(api, task_body):
    response = api.post(BASE, {**task_body, "ordering": "object", "maxInFlight": 16}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["ordering"], response.json()["maxInFlight"]) == ("object", 16)
    webhook = Webhook.objects.get(pk=response.json()["_id"])
    assert (webhook.ordering, webhook.max_in_flight) == (Ordering.OBJECT, 16)


def test_patch_changes_them_and_then_keeps_them(api, hook):
    response = api.patch(f"{BASE}/{hook.pk}", {"ordering": "object", "maxInFlight": 8}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["ordering"], response.json()["maxInFlight"]) == ("object", 8)
    assert stored(hook) == (Ordering.OBJECT, 8)
    assert api.patch(f"{BASE}/{hook.pk}", {"name": "Renamed"}, format="json").status_code == 200
    assert stored(hook) == (Ordering.OBJECT, 8)
    assert api.patch(f"{BASE}/{hook.pk}", {"maxInFlight": 1}, format="json").status_code == 200
    assert stored(hook) == (Ordering.OBJECT, 1)


def test_patching_back_to_webhook_ordering_keeps_the_number(api, hook):
    hook.ordering, hook.max_in_flight = Ordering.OBJECT, 8
    hook.save()

    response = api.patch(f"{BASE}/{hook.pk}", {"ordering": "webhook"}, format="json")

    assert response.status_code == 200, response.json()
    assert stored(hook) == (Ordering.WEBHOOK, 8)


def test_put_without_them_keeps_them(api, hook):
    hook.ordering, hook.max_in_flight = Ordering.OBJECT, 12
    hook.save()
    body = api.get(f"{BASE}/{hook.pk}").json()
    del body["ordering"], body["maxInFlight"]

    assert api.put(f"{BASE}/{hook.pk}", body, format="json").status_code == 200
    assert stored(hook) == (Ordering.OBJECT, 12)


def test_put_with_them_changes_them_and_a_read_body_can_be_put_back(api, hook):
    body = api.get(f"{BASE}/{hook.pk}").json()

    response = api.put(f"{BASE}/{hook.pk}", {**body, "ordering": "object", "maxInFlight": 2}, format="json")
    assert response.status_code == 200, response.json()
    assert stored(hook) == (Ordering.OBJECT, 2)
    again = api.put(f"{BASE}/{hook.pk}", response.json(), format="json")
    assert again.status_code == 200, again.json()
    assert stored(hook) == (Ordering.OBJECT, 2)


def test_a_cotalker_client_that_never_sends_them_changes_nothing(api, hook):
    hook.ordering, hook.max_in_flight = Ordering.OBJECT, 3
    hook.save()
    body = {
        "name": "Orders", "url": "https://www.server.com/v2", "trigger": "create-edit-delete-task",
        "context": {"taskGroup": hook.workflow_id, "survey": "", "group": ""}, "isActive": True,
    }  # fmt: skip

    assert api.put(f"{BASE}/{hook.pk}", body, format="json").status_code == 200
    assert stored(hook) == (Ordering.OBJECT, 3)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"ordering": "fifo"}, "ordering"),
        ({"ordering": "Object"}, "ordering"),
        ({"ordering": ""}, "ordering"),
        ({"ordering": None}, "ordering"),
        ({"ordering": 1}, "ordering"),
        ({"maxInFlight": 0}, "maxInFlight"),
        ({"maxInFlight": 17}, "maxInFlight"),
        ({"maxInFlight": -1}, "maxInFlight"),
        ({"maxInFlight": "8"}, "maxInFlight"),
        ({"maxInFlight": 8.0}, "maxInFlight"),
        ({"maxInFlight": 2.5}, "maxInFlight"),
        ({"maxInFlight": True}, "maxInFlight"),
        ({"maxInFlight": None}, "maxInFlight"),
        ({"maxInFlight": [8]}, "maxInFlight"),
        ({"maxInFlight": 10**30}, "maxInFlight"),
    ],
)
def test_bad_values_are_a_400_naming_the_key_and_change_nothing(api, hook, change, key):
    response = api.patch(
        f"{BASE}/{hook.pk}", {"ordering": "object", "maxInFlight": 8, **change}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {key}
    assert stored(hook) == (Ordering.WEBHOOK, 4)


def test_bad_values_on_create_are_a_400_naming_both_keys(api, task_body):
    response = api.post(BASE, {**task_body, "ordering": "subject", "maxInFlight": 17}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"ordering", "maxInFlight"}
    assert body["ordering"] == ['"subject" is not a valid choice.']
    assert body["maxInFlight"] == ["Enter a whole number from 1 to 16."]  # the panel's words
    assert not Webhook.objects.filter(code="orders_api").exists()


def test_the_per_object_boundary_cannot_be_written(api, hook):
    response = api.patch(f"{BASE}/{hook.pk}", {"perObjectAfter": 5}, format="json")

    assert response.status_code == 400
    assert response.json() == {"perObjectAfter": ["Unknown field."]}


def test_another_companys_webhook_is_a_404(api, company_b):
    other = Webhook.objects.create(company=company_b, name="b", code="b", url="https://www.server.com")

    assert api.get(f"{BASE}/{other.pk}").status_code == 404
    assert api.patch(f"{BASE}/{other.pk}", {"ordering": "object"}, format="json").status_code == 404
    other.refresh_from_db()
    assert (other.ordering, other.max_in_flight) == (Ordering.WEBHOOK, 4)


def test_the_schema_describes_them(api):
    schemas = api.get("/api/schema/?format=json").json()["components"]["schemas"]

    for name in ("Webhook", "WebhookInputRequest", "PatchedWebhookInputRequest"):
        properties = schemas[name]["properties"]
        ordering = properties["ordering"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
        assert schemas[ordering]["enum"] == ["webhook", "object"]
        in_flight = properties["maxInFlight"]
        assert (in_flight["type"], in_flight["minimum"], in_flight["maximum"]) == ("integer", 1, 16)
        assert "Our extension" in properties["ordering"]["description"]
    assert {"ordering", "maxInFlight"} <= set(schemas["Webhook"]["required"])
    assert not {"ordering", "maxInFlight"} & set(schemas["WebhookInputRequest"].get("required", []))


def test_the_documented_patch_answers_as_documented(api, hook):
    """docs/api.md's example."""
    body = {"ordering": "object", "maxInFlight": 8}

    response = api.patch(f"{BASE}/{hook.pk}", body, format="json").json()

    assert {key: response[key] for key in ("ordering", "maxInFlight")} == body
