"""COTNote events."""

from datetime import UTC, datetime

import pytest

from events.models import Note, Task
from tests.events.conftest import assert_created_at_now, ms_z

NOTE_KEYS = {
    "_id",
    "company",
    "title",
    "description",
    "content",
    "createdBy",
    "context",
    "isActive",
    "createdAt",
    "modifiedAt",
}


@pytest.fixture
def task_a(workflow_a) -> Task:
    return Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Pump")


@pytest.fixture
def note_a(company_a, admin_a) -> Note:
    return Note.objects.create(company=company_a, title="Shift log", content="# Day 1", created_by=admin_a)


def test_it_sends_the_whole_note_with_its_task_context_on_create(company_a, admin_a, task_a, sent):
    since = datetime.now(UTC)
    note = Note.objects.create(
        company=company_a,
        title="Pump check",
        description="Weekly",
        content="**ok**",
        task=task_a,
        created_by=admin_a,
    )

    event = sent.only()
    note.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTNote", "create", company_a.pk)
    assert event["data"] == {
        "_id": note.pk,
        "company": company_a.pk,
        "title": "Pump check",
        "description": "Weekly",
        "content": "**ok**",
        "createdBy": admin_a.pk,
        "context": {"task": {"taskId": task_a.pk, "taskGroupId": task_a.workflow_id}},
        "isActive": True,
        "createdAt": ms_z(note.created_at),
        "modifiedAt": ms_z(note.modified_at),
    }
    assert event["diff"] == {}
    assert event["extraData"] is None
    assert_created_at_now(event, since)


def test_it_sends_an_empty_context_for_a_note_without_task(note_a, sent):
    note_a.title = "Shift log (edited)"
    note_a.save()

    event = sent.only()
    assert event["data"]["context"] == {}


def test_it_sends_each_changed_path_on_note_edit(note_a, task_a, sent):
    note_a.content = "# Day 2"
    note_a.task = task_a
    note_a.save()

    event = sent.only()
    note_a.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTNote", "edit", note_a.company_id)
    assert set(event["data"]) == NOTE_KEYS
    assert event["data"]["content"] == "# Day 2"
    assert event["data"]["modifiedAt"] == ms_z(note_a.modified_at)
    assert event["diff"] == {
        "/content": {"previous": "# Day 1", "changedTo": "# Day 2"},
        "/context/task": {
            "previous": None,
            "changedTo": {"taskId": task_a.pk, "taskGroupId": task_a.workflow_id},
        },
    }
    assert event["extraData"] is None


def test_it_sends_nothing_when_a_note_is_saved_unchanged(note_a, sent):
    note_a.save()

    assert sent == []


def test_it_sends_the_last_stored_note_on_delete(note_a, sent):
    note_id = note_a.pk

    note_a.delete()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == ("COTNote", "delete", note_a.company_id)
    assert set(event["data"]) == NOTE_KEYS
    assert (event["data"]["_id"], event["data"]["title"]) == (note_id, "Shift log")
    assert event["diff"] == {}
    assert event["extraData"] is None


def test_deleting_a_task_sends_a_delete_for_its_notes_and_itself(task_a, company_a, sent):
    note = Note.objects.create(company=company_a, title="On the task", task=task_a)
    note_id, task_id = note.pk, task_a.pk
    sent.clear()

    task_a.delete()

    assert sorted((e["type"], e["event"], e["data"]["_id"]) for e in sent) == [
        ("COTNote", "delete", note_id),
        ("COTTask", "delete", task_id),
    ]
    note_event = next(e for e in sent if e["type"] == "COTNote")
    assert note_event["data"]["context"] == {"task": {"taskId": task_id, "taskGroupId": task_a.workflow_id}}
