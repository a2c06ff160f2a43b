"""COTTask events: create, edit, delete, and both sides of `followers`."""

from datetime import UTC, datetime

import pytest

from events.models import Task, User
from tests.events.conftest import assert_created_at_now, ms_z

TASK_KEYS = {
    "_id",
    "company",
    "taskGroup",
    "name",
    "info",
    "serial",
    "owner",
    "assignee",
    "createdBy",
    "followers",
    "status",
    "startDate",
    "endDate",
    "closedAt",
    "isActive",
    "createdAt",
    "modifiedAt",
}


@pytest.fixture
def task_a(workflow_a, admin_a) -> Task:
    return Task.objects.create(
        company=workflow_a.company,
        workflow=workflow_a,
        name="Equipment sector 1 - Equipment 1-A",
        assignee=admin_a,
        created_by=admin_a,
    )


@pytest.fixture
def mechanic_a(company_a) -> User:
    return User.objects.create_user("mechanic-a@example.com", "pw-mechanic-a-1", company=company_a)


def test_it_sends_the_whole_task_on_create(workflow_a, admin_a, element_a, sent):
    since = datetime.now(UTC)
    task = Task.objects.create(
        company=workflow_a.company,
        workflow=workflow_a,
        name="Equipment sector 1",
        info="Check the pump",
        assignee=admin_a,
        created_by=admin_a,
        status=element_a,
        start_date=datetime(2022, 5, 5, 19, 54, 29, 117_456, tzinfo=UTC),
        end_date="2022-05-19T13:00:00Z",
    )

    event = sent.only()
    task.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTTask", "create", workflow_a.company_id)
    assert set(event["data"]) == TASK_KEYS
    assert event["data"] == {
        "_id": task.pk,
        "company": workflow_a.company_id,
        "taskGroup": workflow_a.pk,
        "name": "Equipment sector 1",
        "info": "Check the pump",
        "serial": 1,
        "owner": "manual",
        "assignee": admin_a.pk,
        "createdBy": admin_a.pk,
        "followers": [],
        "status": element_a.pk,
        "startDate": "2022-05-05T19:54:29.117Z",
        "endDate": "2022-05-19T13:00:00.000Z",
        "closedAt": None,
        "isActive": True,
        "createdAt": ms_z(task.created_at),
        "modifiedAt": ms_z(task.modified_at),
    }
    assert event["diff"] == {}
    assert event["extraData"] is None
    assert_created_at_now(event, since)


def test_it_numbers_tasks_serially_per_workflow(workflow_a, sent):
    for name in ("one", "two"):
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name=name)

    assert [(e["data"]["name"], e["data"]["serial"]) for e in sent] == [("one", 1), ("two", 2)]


def test_it_sends_the_whole_task_and_each_changed_path_on_edit(task_a, mechanic_a, sent):
    task_a.name = "Equipment sector 2"
    task_a.assignee = mechanic_a
    task_a.closed_at = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)
    task_a.save()

    event = sent.only()
    task_a.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTTask", "edit", task_a.company_id)
    assert set(event["data"]) == TASK_KEYS
    assert event["data"]["name"] == "Equipment sector 2"
    assert event["data"]["assignee"] == mechanic_a.pk
    assert event["data"]["modifiedAt"] == ms_z(task_a.modified_at)
    assert event["diff"] == {
        "/name": {"previous": "Equipment sector 1 - Equipment 1-A", "changedTo": "Equipment sector 2"},
        "/assignee": {"previous": task_a.created_by_id, "changedTo": mechanic_a.pk},
        "/closedAt": {"previous": None, "changedTo": "2022-06-01T12:00:00.000Z"},
    }
    assert event["extraData"] is None


def test_it_sends_nothing_when_a_task_is_saved_unchanged(task_a, sent):
    task_a.save()
    Task.objects.get(pk=task_a.pk).save()

    assert sent == []


def test_it_sends_the_last_stored_task_on_delete(task_a, mechanic_a, sent):
    task_a.followers.add(mechanic_a)
    task_a.refresh_from_db()
    task_id = task_a.pk
    sent.clear()

    task_a.delete()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == ("COTTask", "delete", task_a.company_id)
    assert set(event["data"]) == TASK_KEYS
    assert event["data"]["_id"] == task_id
    assert event["data"]["followers"] == [mechanic_a.pk]
    assert event["data"]["modifiedAt"] == ms_z(task_a.modified_at)
    assert event["diff"] == {}
    assert event["extraData"] is None


def test_it_sends_the_followers_diff_on_add_remove_and_clear(task_a, admin_a, mechanic_a, sent):
    both = sorted([admin_a.pk, mechanic_a.pk])

    task_a.followers.add(mechanic_a)
    task_a.followers.add(admin_a)
    task_a.followers.remove(mechanic_a)
    task_a.followers.clear()

    assert [(e["type"], e["event"], e["company"]) for e in sent] == [
        ("COTTask", "edit", task_a.company_id)
    ] * 4
    assert [e["diff"] for e in sent] == [
        {"/followers": {"previous": [], "changedTo": [mechanic_a.pk]}},
        {"/followers": {"previous": [mechanic_a.pk], "changedTo": both}},
        {"/followers": {"previous": both, "changedTo": [admin_a.pk]}},
        {"/followers": {"previous": [admin_a.pk], "changedTo": []}},
    ]
    assert [e["data"]["followers"] for e in sent] == [[mechanic_a.pk], both, [admin_a.pk], []]
    assert all(set(e["data"]) == TASK_KEYS for e in sent)


def test_it_sends_a_task_edit_when_a_user_follows_it_from_the_user_side(task_a, workflow_a, mechanic_a, sent):
    other = Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Other")
    sent.clear()

    mechanic_a.followed_tasks.add(task_a, other)

    by_task = {event["data"]["_id"]: event for event in sent}
    assert set(by_task) == {task_a.pk, other.pk}
    for event in sent:
        assert (event["type"], event["event"]) == ("COTTask", "edit")
        assert event["diff"] == {"/followers": {"previous": [], "changedTo": [mechanic_a.pk]}}
        assert event["data"]["followers"] == [mechanic_a.pk]


def test_it_sends_a_task_edit_when_the_user_side_removes_or_clears(task_a, workflow_a, mechanic_a, sent):
    other = Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Other")
    mechanic_a.followed_tasks.add(task_a, other)
    sent.clear()

    mechanic_a.followed_tasks.remove(task_a)
    removed = sent.only()
    assert removed["data"]["_id"] == task_a.pk
    assert removed["diff"] == {"/followers": {"previous": [mechanic_a.pk], "changedTo": []}}
    sent.clear()

    mechanic_a.followed_tasks.clear()
    cleared = sent.only()
    assert cleared["data"]["_id"] == other.pk
    assert cleared["diff"] == {"/followers": {"previous": [mechanic_a.pk], "changedTo": []}}


def test_it_sends_create_then_followers_edit_when_followers_are_set_after_create(
    workflow_a, mechanic_a, sent
):
    task = Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Pump")
    task.followers.set([mechanic_a])

    created, edited = sent
    assert (created["event"], created["data"]["followers"], created["diff"]) == ("create", [], {})
    assert edited["event"] == "edit"
    assert edited["diff"] == {"/followers": {"previous": [], "changedTo": [mechanic_a.pk]}}


def test_the_admin_add_form_sends_create_then_followers_edit(client, company_a, workflow_a, mechanic_a, sent):
    root = User.objects.create_superuser("root-a@example.com", "pw-root-a-1", company=company_a)
    client.force_login(root)
    sent.clear()

    response = client.post(
        "/admin/events/task/add/",
        {
            "company": company_a.pk,
            "workflow": workflow_a.pk,
            "name": "From the admin",
            "info": "",
            "followers": [mechanic_a.pk],
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get(name="From the admin")
    assert [(e["type"], e["event"]) for e in sent] == [("COTTask", "create"), ("COTTask", "edit")]
    assert sent[0]["data"]["_id"] == sent[1]["data"]["_id"] == task.pk
    assert sent[0]["data"]["followers"] == []
    assert sent[1]["diff"] == {"/followers": {"previous": [], "changedTo": [mechanic_a.pk]}}


@pytest.mark.filterwarnings("ignore:DateTimeField Task.start_date received a naive datetime")
def test_it_describes_values_as_the_database_stores_them_not_as_they_were_assigned(workflow_a, sent):
    from datetime import date

    task = Task(company=workflow_a.company, workflow=workflow_a, name=123, start_date=date(2024, 1, 15))
    task.is_active = 0
    task.save()

    data = sent.only()["data"]
    stored = Task.objects.get(pk=task.pk)
    assert data["name"] == stored.name == "123"
    assert data["startDate"] == ms_z(stored.start_date)
    assert data["isActive"] is False


def test_a_note_describes_its_tasks_stored_workflow_not_a_stale_cached_one(task_a, sent):
    from events.models import Note, Workflow

    note = Note.objects.create(company=task_a.company, title="Oil", task=task_a)
    other = Workflow.objects.create(company=task_a.company, name="Other", code="other")
    Task.objects.filter(pk=task_a.pk).update(workflow=other)  # elsewhere; `note.task` is now stale
    sent.clear()

    note.title = "Oil changed"
    note.save()

    assert sent.only()["data"]["context"]["task"]["taskGroupId"] == other.pk
