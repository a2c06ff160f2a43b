"""POST /api/v3/webhook/subscription, PUT/PATCH /{id}: validation, and nothing written on a 400."""

import pytest

from events.models import Workflow
from webhooks.models import Trigger, Webhook

BASE = "/api/v3/webhook/subscription"


@pytest.fixture
def task_body(workflow_a) -> dict:
    return {
        "name": "Work Orders Update",
        "code": "wo_update",
        "url": "https://www.server.com",
        "description": "Sends updates on Work Orders",
        "trigger": "create-edit-delete-task",
        "context": {"taskGroup": workflow_a.pk},
    }


@pytest.fixture
def hook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a,
        name="Work Orders Update",
        code="wo_update",
        url="https://www.server.com",
        description="Sends updates on Work Orders",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


def snapshot() -> list[dict]:
    return list(Webhook.objects.order_by("pk").values())


# --- create


def test_creating_a_task_webhook_returns_it_with_201_and_a_location(api, task_body, company_a, workflow_a):
    response = api.post(BASE, task_body, format="json")

    assert response.status_code == 201
    body = response.json()
    webhook = Webhook.objects.get(pk=body["_id"])
    assert response["Location"] == f"http://testserver{BASE}/{webhook.pk}"
    assert body["company"] == company_a.pk
    assert body["isActive"] is True
    assert body["context"] == {"survey": "", "group": "", "taskGroup": workflow_a.pk}
    assert (webhook.name, webhook.code, webhook.url, webhook.trigger, webhook.workflow) == (
        "Work Orders Update",
        "wo_update",
        "https://www.server.com",
        Trigger.TASK,
        workflow_a,
    )
    assert webhook.secret.startswith("whsec_")
    assert "secret" not in body


def test_creating_a_survey_webhook_stores_survey_and_group(api, survey_a, group_a):
    body = {
        "name": "Submitted Notifications",
        "code": "submitted",
        "url": "https://www.test.com/hook?x=1",
        "trigger": "create-edit-delete-survey",
        "isActive": False,
        "context": {"survey": survey_a.pk, "group": group_a.pk, "taskGroup": ""},
    }

    response = api.post(BASE, body, format="json")

    assert response.status_code == 201
    assert response.json()["context"] == {"survey": survey_a.pk, "group": group_a.pk, "taskGroup": ""}
    assert response.json()["isActive"] is False
    assert Webhook.objects.get(code="submitted").survey == survey_a


def test_context_keys_the_trigger_does_not_use_are_stored_empty(api, workflow_a):
    body = {
        "name": "Users",
        "code": "users",
        "url": "http://users.example.com/",
        "trigger": "create-edit-delete-user",
        "context": {"taskGroup": workflow_a.pk, "survey": None},
    }

    response = api.post(BASE, body, format="json")

    assert response.status_code == 201
    assert response.json()["context"] == {"survey": "", "group": "", "taskGroup": ""}
    assert Webhook.objects.get(code="users").workflow is None


def test_the_same_code_may_be_used_by_another_company(api, task_body, company_b):
    Webhook.objects.create(company=company_b, name="B", code="wo_update", url="https://b.example.com/")

    assert api.post(BASE, task_body, format="json").status_code == 201


def _with(body: dict, **changes) -> dict:
    changed = {**body, **changes}
    return {key: value for key, value in changed.items() if value is not ...}


INVALID_CREATES = {
    "a URL that is not a URL": ({"url": "not a url"}, ["url"]),
    "an ftp URL": ({"url": "ftp://files.example.com/"}, ["url"]),
    "a javascript URL": ({"url": "javascript:alert(1)"}, ["url"]),
    "an upper-case code": ({"code": "WO_Update"}, ["code"]),
    "a code with a space": ({"code": "wo update"}, ["code"]),
    "a code of 61 characters": ({"code": "a" * 61}, ["code"]),
    "an empty code": ({"code": ""}, ["code"]),
    "an unknown trigger": ({"trigger": "create-edit-delete-everything"}, ["trigger"]),
    "a number as the name": ({"name": 123}, ["name"]),
    "a list as the URL": ({"url": ["https://x.example.com"]}, ["url"]),
    "a string as isActive": ({"isActive": "yes"}, ["isActive"]),
    "a number as isActive": ({"isActive": 1}, ["isActive"]),
    "a string as the context": ({"context": "abc"}, ["context"]),
    "a number as a context id": ({"context": {"taskGroup": 5}}, ["context"]),
    "a non-ObjectId context id": ({"context": {"taskGroup": "work_orders"}}, ["context"]),
    "a huge name": ({"name": "n" * 201}, ["name"]),
    "a huge description": ({"description": "d" * 2001}, ["description"]),
    "a huge URL": ({"url": "https://example.com/" + "p" * 2000}, ["url"]),
    "a NUL character in the name": ({"name": "bad\x00name"}, ["name"]),
    "no name": ({"name": ...}, ["name"]),
    "no code": ({"code": ...}, ["code"]),
    "no URL": ({"url": ...}, ["url"]),
    "no trigger": ({"trigger": ...}, ["trigger"]),
    "a task trigger without a workflow": ({"context": {}}, ["context"]),
}


@pytest.mark.parametrize("case", INVALID_CREATES, ids=list(INVALID_CREATES))
def test_an_invalid_create_is_a_400_naming_the_field_and_writes_nothing(api, task_body, case):
    changes, fields = INVALID_CREATES[case]
    before = snapshot()

    response = api.post(BASE, _with(task_body, **changes), format="json")

    assert response.status_code == 400, response.content
    assert sorted(response.json()) == fields
    assert snapshot() == before


def test_a_duplicate_code_is_a_400_and_writes_nothing(api, task_body, hook):
    before = snapshot()

    response = api.post(BASE, {**task_body, "name": "Another"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": ["A webhook with this code already exists."]}
    assert snapshot() == before


def test_a_survey_trigger_without_survey_and_group_is_a_400_on_both(api, task_body):
    response = api.post(BASE, {**task_body, "trigger": "create-edit-delete-survey"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["context"]) == {"survey", "group"}
    assert not Webhook.objects.exists()


def test_a_workflow_of_another_company_is_a_400(api, task_body, company_b):
    foreign = Workflow.objects.create(company=company_b, name="Theirs", code="theirs")

    response = api.post(BASE, {**task_body, "context": {"taskGroup": foreign.pk}}, format="json")

    assert response.status_code == 400
    assert response.json() == {"context": {"taskGroup": ["No workflow with this id in your company."]}}
    assert not Webhook.objects.exists()


def test_a_survey_id_given_as_the_workflow_is_a_400(api, task_body, survey_a):
    response = api.post(BASE, {**task_body, "context": {"taskGroup": survey_a.pk}}, format="json")

    assert response.status_code == 400
    assert list(response.json()["context"]) == ["taskGroup"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("[1, 2]", "application/json", 400),
        ('"just a string"', "application/json", 400),
        ('{"name": ', "application/json", 400),
        ("name=x", "application/x-www-form-urlencoded", 415),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(api, content, content_type, status):
    response = api.generic("POST", BASE, content, content_type=content_type)

    assert response.status_code == status
    assert isinstance(response.json(), dict)
    assert not Webhook.objects.exists()


# --- update


def test_patch_changes_only_the_fields_sent(api, hook, workflow_a):
    response = api.patch(
        f"{BASE}/{hook.pk}", {"name": "Renamed", "url": "https://new.example.com/"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    hook.refresh_from_db()
    assert (hook.name, hook.url, hook.description, hook.workflow) == (
        "Renamed",
        "https://new.example.com/",
        "Sends updates on Work Orders",
        workflow_a,
    )


def test_changing_the_code_is_a_400_with_a_clear_message_and_changes_nothing(api, hook):
    before = snapshot()

    response = api.patch(f"{BASE}/{hook.pk}", {"code": "renamed", "name": "Renamed"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": ["The code cannot be changed once the webhook is saved."]}
    assert snapshot() == before


def test_sending_the_same_code_back_is_fine(api, hook):
    response = api.patch(f"{BASE}/{hook.pk}", {"code": "wo_update", "name": "Same code"}, format="json")

    assert response.status_code == 200


def test_a_get_body_can_be_put_back_unchanged(api, hook):
    read = api.get(f"{BASE}/{hook.pk}").json()

    response = api.put(f"{BASE}/{hook.pk}", read, format="json")

    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "modifiedAt"} == {
        k: v for k, v in read.items() if k != "modifiedAt"
    }


def test_put_clears_an_omitted_description_but_keeps_is_active(api, hook):
    hook.deactivate()

    response = api.put(
        f"{BASE}/{hook.pk}",
        {"name": "N", "url": "https://n.example.com/", "trigger": "create-edit-delete-user"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["description"] == ""
    assert response.json()["isActive"] is False
    assert response.json()["context"] == {"survey": "", "group": "", "taskGroup": ""}


def test_put_without_the_required_fields_is_a_400(api, hook):
    before = snapshot()

    response = api.put(f"{BASE}/{hook.pk}", {"name": "Only a name"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"url", "trigger"}
    assert snapshot() == before


def test_switching_to_a_survey_trigger_needs_survey_and_group(api, hook, survey_a, group_a):
    before = snapshot()

    refused = api.patch(f"{BASE}/{hook.pk}", {"trigger": "create-edit-delete-survey"}, format="json")

    assert refused.status_code == 400
    assert set(refused.json()["context"]) == {"survey", "group"}
    assert snapshot() == before

    accepted = api.patch(
        f"{BASE}/{hook.pk}",
        {"trigger": "create-edit-delete-survey", "context": {"survey": survey_a.pk, "group": group_a.pk}},
        format="json",
    )
    assert accepted.status_code == 200
    assert accepted.json()["context"] == {"survey": survey_a.pk, "group": group_a.pk, "taskGroup": ""}


def test_patch_can_deactivate_and_reactivate(api, hook):
    assert api.patch(f"{BASE}/{hook.pk}", {"isActive": False}, format="json").json()["isActive"] is False
    hook.refresh_from_db()
    assert hook.is_active is False
    assert api.patch(f"{BASE}/{hook.pk}", {"isActive": True}, format="json").json()["isActive"] is True


@pytest.mark.parametrize(
    "changes",
    [
        {"url": "gopher://old.example.com/"},
        {"name": ""},
        {"name": None},
        {"trigger": "nope"},
        {"description": "d" * 2001},
        {"context": {"taskGroup": "f" * 24}},
        {"isActive": "false"},
    ],
)
def test_an_invalid_patch_is_a_400_and_changes_nothing(api, hook, changes):
    before = snapshot()

    response = api.patch(f"{BASE}/{hook.pk}", changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == set(changes)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"name": "' + "x" * 3_000_000 + '"}', "too large"),
        ('{"name": NaN}', "JSON parse error"),
    ],
    ids=["deeply nested", "over the upload limit", "not strict JSON"],
)
def test_a_hostile_body_is_a_json_400_not_a_server_error(api, content, detail):
    response = api.generic("POST", BASE, content, content_type="application/json")

    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert not Webhook.objects.exists()


def test_patch_with_a_null_context_clears_it_and_then_needs_a_workflow(api, hook):
    response = api.patch(f"{BASE}/{hook.pk}", {"context": None}, format="json")

    assert response.status_code == 400
    assert list(response.json()["context"]) == ["taskGroup"]
    hook.refresh_from_db()
    assert hook.workflow is not None


# --- unknown keys


def test_an_unknown_key_is_a_400_naming_it_and_writes_nothing(api, task_body):
    response = api.post(BASE, {**task_body, "descripton": "typo", "secret": "mine"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"descripton": ["Unknown field."], "secret": ["Unknown field."]}
    assert snapshot() == []


def test_an_unknown_context_key_is_a_400_naming_it(api, task_body, workflow_a):
    body = {**task_body, "context": {"taskGroup": workflow_a.pk, "foo": "x"}}

    response = api.post(BASE, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"context": {"foo": ["Unknown field."]}}
    assert snapshot() == []


def test_an_unknown_key_in_a_patch_changes_nothing(api, hook):
    before = snapshot()

    response = api.patch(f"{BASE}/{hook.pk}", {"nmae": "Renamed"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"nmae": ["Unknown field."]}
    assert snapshot() == before


def test_cotalkers_read_only_keys_are_accepted_and_ignored(api, task_body, company_b):
    body = {**task_body, "_id": "6b0e00000000000000000001", "company": company_b.pk, "__v": 0}

    response = api.post(BASE, body, format="json")

    assert response.status_code == 201
    created = Webhook.objects.get()
    assert created.pk != body["_id"]
    assert created.company_id != company_b.pk


@pytest.mark.parametrize("target", ["taskGroup", "survey", "group"])
def test_an_inactive_workflow_survey_or_group_is_a_400(api, task_body, workflow_a, survey_a, group_a, target):
    rows = {"taskGroup": workflow_a, "survey": survey_a, "group": group_a}
    rows[target].is_active = False
    rows[target].save()
    trigger = "create-edit-delete-task" if target == "taskGroup" else "create-edit-delete-survey"
    context = (
        {"taskGroup": workflow_a.pk}
        if target == "taskGroup"
        else {"survey": survey_a.pk, "group": group_a.pk}
    )

    response = api.post(BASE, {**task_body, "trigger": trigger, "context": context}, format="json")

    assert response.status_code == 400
    name = {"taskGroup": "workflow", "survey": "survey", "group": "group"}[target]
    assert response.json() == {"context": {target: [f"This {name} is inactive."]}}
    assert snapshot() == []
