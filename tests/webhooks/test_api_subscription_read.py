"""GET /api/v3/webhook/subscription and /{id}: Cotalker's COTWebhook shape, filters and pagination."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from webhooks.models import Trigger, Webhook

BASE = "/api/v3/webhook/subscription"
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
# reference/cotalker.md §1.1, without Mongoose's `__v`, plus our createdAt/modifiedAt.
COT_WEBHOOK_KEYS = {"_id", "company", "isActive", "trigger", "url", "name", "code", "description", "context"}
WEBHOOK_KEYS = COT_WEBHOOK_KEYS | {
    "createdAt", "modifiedAt", "inactiveReason", "headers", "events", "fields", "ordering", "maxInFlight",
    "health",
}  # fmt: skip


@pytest.fixture
def task_hook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a,
        name="Work Orders Update",
        code="wo_update",
        url="https://www.server.com",
        description="Sends updates on Work Orders",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


@pytest.fixture
def survey_hook(company_a, survey_a, group_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a,
        name="Submitted Notifications",
        code="test",
        url="https://www.test.com",
        trigger=Trigger.SURVEY,
        survey=survey_a,
        group=group_a,
        is_active=False,
    )


def test_a_task_webhook_reads_exactly_like_cotalkers_sample(api, task_hook, company_a, workflow_a):
    body = api.get(f"{BASE}/{task_hook.pk}").json()

    assert set(body) == WEBHOOK_KEYS
    assert body["_id"] == task_hook.pk and OBJECT_ID.match(body["_id"])
    assert body["company"] == company_a.pk and OBJECT_ID.match(body["company"])
    assert body["isActive"] is True
    assert body["trigger"] == "create-edit-delete-task"
    assert body["url"] == "https://www.server.com"
    assert body["name"] == "Work Orders Update"
    assert body["code"] == "wo_update"
    assert body["description"] == "Sends updates on Work Orders"
    assert body["context"] == {"survey": "", "group": "", "taskGroup": workflow_a.pk}
    assert ISO_MS_Z.match(body["createdAt"]) and ISO_MS_Z.match(body["modifiedAt"])


def test_a_survey_webhook_carries_survey_and_group_and_an_empty_task_group(
    api, survey_hook, survey_a, group_a
):
    body = api.get(f"{BASE}/{survey_hook.pk}").json()

    assert body["isActive"] is False
    assert body["trigger"] == "create-edit-delete-survey"
    assert body["context"] == {"survey": survey_a.pk, "group": group_a.pk, "taskGroup": ""}
    assert body["description"] == ""


def test_the_list_is_an_array_of_the_same_shape_sorted_by_name_and_never_shows_the_secret(
    api, task_hook, survey_hook
):
    response = api.get(BASE)

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [item["name"] for item in body] == ["Submitted Notifications", "Work Orders Update"]
    assert all(set(item) == WEBHOOK_KEYS for item in body)
    assert body[1] == api.get(f"{BASE}/{task_hook.pk}").json()
    assert "whsec_" not in response.content.decode()


def test_the_list_sorts_names_as_people_do_not_by_code_point(api, company_a):
    names = ["Zeta", "Demo: tasks", "beta", "a_logout"]
    if connection.vendor == "postgresql":
        names += ["orders", "Órdenes"]  # accents weigh less than letters (ICU)
    for number, name in enumerate(names):
        Webhook.objects.create(company=company_a, name=name, code=f"c{number}", url="https://example.com/")

    response = api.get(BASE)

    assert response.status_code == 200
    sorted_names = [item["name"] for item in response.json()]
    if connection.vendor == "postgresql":
        assert sorted_names == ["a_logout", "beta", "Demo: tasks", "Órdenes", "orders", "Zeta"]
    else:
        assert sorted_names == ["a_logout", "beta", "Demo: tasks", "Zeta"]


def test_the_list_includes_inactive_webhooks_unless_filtered(api, task_hook, survey_hook):
    assert {item["code"] for item in api.get(BASE).json()} == {"wo_update", "test"}
    assert [item["code"] for item in api.get(BASE, {"isActive": "true"}).json()] == ["wo_update"]
    assert [item["code"] for item in api.get(BASE, {"isActive": "false"}).json()] == ["test"]


def test_the_list_filters_by_trigger(api, task_hook, survey_hook):
    body = api.get(BASE, {"trigger": "create-edit-delete-survey"}).json()

    assert [item["code"] for item in body] == ["test"]
    assert api.get(BASE, {"trigger": "logout-user"}).json() == []


def test_the_list_filters_by_creation_date_range(api, task_hook, survey_hook):
    Webhook.objects.filter(pk=task_hook.pk).update(created_at=timezone.now() - timedelta(days=10))
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()

    assert [i["code"] for i in api.get(BASE, {"createdAtFrom": week_ago}).json()] == ["test"]
    assert [i["code"] for i in api.get(BASE, {"createdAtTo": week_ago}).json()] == ["wo_update"]


@pytest.mark.parametrize(
    "params",
    [
        {"trigger": "create-edit-delete-everything"},
        {"isActive": "maybe"},
        {"createdAtFrom": "last tuesday"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"offset": "99999999999999999999999"},
    ],
)
def test_an_invalid_filter_or_page_parameter_is_a_400_naming_it(api, task_hook, params):
    response = api.get(BASE, params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def make_hooks(company, count: int) -> list[Webhook]:
    return [
        Webhook.objects.create(
            company=company, name=f"Hook {n:02d}", code=f"hook_{n:02d}", url="https://x.example.com/"
        )
        for n in range(count)
    ]


def link_targets(response) -> dict[str, str]:
    links = {}
    for part in response["Link"].split(", "):
        url, rel = re.fullmatch(r'<([^>]+)>; rel="(\w+)"', part).groups()
        links[rel] = url
    return links


def test_pages_keep_the_array_shape_with_total_count_and_link_headers(api, company_a):
    make_hooks(company_a, 5)

    first = api.get(BASE, {"limit": 2, "isActive": "true"})

    assert [i["code"] for i in first.json()] == ["hook_00", "hook_01"]
    assert first["X-Total-Count"] == "5"
    links = link_targets(first)
    assert set(links) == {"next", "first", "last"}
    assert links["next"] == "http://testserver/api/v3/webhook/subscription?isActive=true&limit=2&offset=2"
    assert links["last"].endswith("offset=4")

    second = api.get(links["next"])
    assert [i["code"] for i in second.json()] == ["hook_02", "hook_03"]
    assert set(link_targets(second)) == {"next", "prev", "first", "last"}
    assert link_targets(second)["prev"].endswith("offset=0")

    last = api.get(link_targets(second)["next"])
    assert [i["code"] for i in last.json()] == ["hook_04"]
    assert set(link_targets(last)) == {"prev", "first", "last"}


def test_an_offset_past_the_end_is_an_empty_array(api, company_a):
    make_hooks(company_a, 3)

    assert len(api.get(BASE).json()) == 3
    past = api.get(BASE, {"offset": 50})
    assert past.json() == []
    assert past["X-Total-Count"] == "3"
    assert link_targets(past)["prev"].endswith("offset=0")


def test_the_largest_page_is_1000(api, company_a):
    make_hooks(company_a, 2)

    assert len(api.get(BASE, {"limit": 1000}).json()) == 2


def test_without_a_limit_the_list_returns_every_webhook_of_the_company(api, company_a, company_b):
    Webhook.objects.bulk_create(
        Webhook(company=company_a, name=f"hook {i:03d}", code=f"hook_{i}", url="https://a.example.com/")
        for i in range(150)
    )
    Webhook.objects.create(company=company_b, name="other", code="other", url="https://b.example.com/")

    response = api.get(BASE)

    assert response.status_code == 200
    assert len(response.json()) == 150
    assert response["X-Total-Count"] == "150"
    assert 'rel="next"' not in response["Link"]
    assert len(api.get(BASE, {"limit": 100}).json()) == 100  # a limit still pages


def test_logs_stay_paginated_without_a_limit(api, company_a):
    from webhooks.models import Delivery, Event

    hook = Webhook.objects.create(company=company_a, name="h", code="h", url="https://a.example.com/")
    event = Event.objects.create(company=company_a, type="COTUser", action="create", body="{}")
    Delivery.objects.bulk_create(
        Delivery(company=company_a, webhook=hook, event=event, object_id=f"{i:024x}") for i in range(120)
    )

    response = api.get(f"{BASE}/logs/{hook.pk}")

    assert len(response.json()) == 100 and response["X-Total-Count"] == "120"
