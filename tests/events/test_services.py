"""The public entry points for changes that bypass model signals."""

from datetime import UTC, datetime

import pytest

from events import subscribers
from events.models import Company, Element, Task, User, Workflow
from events.services import cot_snapshot, event_emit, object_event_emit
from tests.events.conftest import assert_created_at_now, ms_z


@pytest.fixture
def task_a(workflow_a) -> Task:
    return Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Pump")


def test_queryset_update_alone_sends_nothing(task_a, member_a, sent):
    Task.objects.filter(pk=task_a.pk).update(name="Renamed")
    User.objects.filter(pk=member_a.pk).update(job_title="mechanic")

    assert sent == []


def test_object_event_emit_sends_an_edit_for_a_queryset_update(task_a, sent):
    previous = cot_snapshot(task_a)
    since = datetime.now(UTC)

    Task.objects.filter(pk=task_a.pk).update(name="Renamed", info="Moved to sector 2")
    task_a.refresh_from_db()
    returned = object_event_emit(instance=task_a, event="edit", previous=previous)

    event = sent.only()
    assert returned == event
    assert (event["type"], event["event"], event["company"]) == ("COTTask", "edit", task_a.company_id)
    assert event["data"] == cot_snapshot(task_a)
    assert event["data"]["name"] == "Renamed"
    assert event["diff"] == {
        "/name": {"previous": "Pump", "changedTo": "Renamed"},
        "/info": {"previous": "", "changedTo": "Moved to sector 2"},
    }
    assert event["extraData"] is None
    assert_created_at_now(event, since)


def test_object_event_emit_sends_only_edited_user_fields_for_a_queryset_update(member_a, sent):
    previous = cot_snapshot(member_a)

    User.objects.filter(pk=member_a.pk).update(job_title="mechanic")
    member_a.refresh_from_db()
    object_event_emit(instance=member_a, event="edit", previous=previous)

    event = sent.only()
    assert event["data"] == {"_id": member_a.pk, "jobTitle": "mechanic"}
    assert event["diff"] == {"/jobTitle": {"previous": "", "changedTo": "mechanic"}}


def test_object_event_emit_sends_nothing_when_the_update_changed_nothing(task_a, sent):
    previous = cot_snapshot(task_a)

    Task.objects.filter(pk=task_a.pk).update(name="Pump", modified_at=datetime(2030, 1, 1, tzinfo=UTC))
    task_a.refresh_from_db()

    assert object_event_emit(instance=task_a, event="edit", previous=previous) is None
    assert sent == []


def test_object_event_emit_sends_a_create_per_bulk_created_row(company_a, collection_a, sent):
    elements = Element.objects.bulk_create(
        [
            Element(company=company_a, collection=collection_a, code=f"pump_{n}", display=f"Pump {n}")
            for n in (1, 2)
        ]
    )
    assert sent == []

    for element in elements:
        object_event_emit(instance=element, event="create")

    assert [(e["type"], e["event"], e["data"]["name"]["code"]) for e in sent] == [
        ("COTProperty", "create", "pump_1"),
        ("COTProperty", "create", "pump_2"),
    ]
    stored = Element.objects.get(code="pump_1")
    assert sent[0]["data"]["createdAt"] == ms_z(stored.created_at)
    assert sent[0]["diff"] == {}


def test_object_event_emit_sends_a_delete_from_a_snapshot_taken_before(task_a, sent):
    previous = cot_snapshot(task_a)

    Task.objects.filter(pk=task_a.pk)._raw_delete(Task.objects.db)
    object_event_emit(instance=task_a, event="delete", previous=previous)

    event = sent.only()
    assert (event["event"], event["data"], event["diff"]) == ("delete", previous, {})


def test_event_emit_sends_nothing_without_a_company(db, sent):
    assert event_emit(company_id=None, type="COTUser", event="create", data={"_id": "x"}) is None
    assert event_emit(company_id="", type="COTUser", event="create", data={"_id": "x"}) is None
    assert sent == []


def test_event_emit_sends_the_cot_event_shape(company_a, sent):
    event = event_emit(company_id=company_a.pk, type="COTNote", event="edit", data={"_id": "n1"})

    assert sent.only() == event
    assert {k: v for k, v in event.items() if k != "createdAt"} == {
        "company": company_a.pk,
        "type": "COTNote",
        "event": "edit",
        "data": {"_id": "n1"},
        "diff": {},
        "extraData": None,
    }


class Picky:
    """A subscriber that wants only task events of one workflow, and says so with a token."""

    def __init__(self, workflow_id: str) -> None:
        self.workflow_id, self.asked, self.received = workflow_id, [], []

    def interest(self, *, company_id: str, type: str, context: dict):
        self.asked.append((type, context))
        return f"token-{self.workflow_id}" if context.get("taskGroup") == self.workflow_id else None

    def receive(self, *, event: dict, interest) -> None:
        self.received.append((event["type"], event["event"], interest))


def test_a_subscriber_is_asked_once_and_gets_back_its_own_answer(company_a, workflow_a, member_a):
    other = Workflow.objects.create(company=company_a, name="Other", code="other")
    picky = Picky(workflow_a.pk)
    subscribers.subscribe(picky)
    try:
        Task.objects.create(company=company_a, workflow=other, name="Ignored")
        Task.objects.create(company=company_a, workflow=workflow_a, name="Wanted")
        member_a.names = "Nobody asked for users"
        member_a.save()
    finally:
        subscribers.unsubscribe(picky)

    assert picky.received == [("COTTask", "create", f"token-{workflow_a.pk}")]
    assert [type for type, _ in picky.asked] == ["COTTask", "COTTask", "COTUser"]
    assert picky.asked[0][1] == {"taskGroup": other.pk}


def test_deleting_a_company_sends_no_event_for_its_rows(company_a, member_a, workflow_a, element_a, sent):
    Task.objects.create(company=company_a, workflow=workflow_a, name="Pump", assignee=member_a)
    sent.clear()

    company_a.delete()

    assert sent == []
    assert not Company.objects.filter(pk=company_a.pk).exists()


def test_deleting_companies_through_a_queryset_sends_no_event_for_their_rows(
    company_a, company_b, member_a, admin_b, sent
):
    Company.objects.filter(pk__in=[company_a.pk, company_b.pk]).delete()

    assert sent == []
    assert not User.objects.filter(pk__in=[member_a.pk, admin_b.pk]).exists()
