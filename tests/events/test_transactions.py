"""Events follow the transaction that made the change: a rollback leaves nothing behind, and a
change made in autocommit commits in one transaction with its event."""

import pytest
from django.db import connection, transaction

from events import subscribers
from events.cot import KINDS
from events.models import SavedWithItsEvent, Task
from webhooks.models import Event, Webhook


class Boom(Exception):
    pass


class OnCommit(list):
    """A subscriber that records events only once their transaction commits."""

    def interest(self, *, company_id: str, type: str, context: dict) -> bool:
        return True

    def receive(self, *, event: dict, interest) -> None:
        transaction.on_commit(lambda: self.append((event["type"], event["event"])))


@pytest.fixture
def committed():
    recorded = OnCommit()
    subscribers.subscribe(recorded)
    yield recorded
    subscribers.unsubscribe(recorded)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_committed_event(member_a, workflow_a, committed):
    with pytest.raises(Boom), transaction.atomic():
        member_a.names = "Rolled back"
        member_a.save()
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Rolled back")
        raise Boom

    assert committed == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_reaches_an_on_commit_receiver_once(member_a, committed):
    with transaction.atomic():
        member_a.names = "Committed"
        member_a.save()
        assert committed == []

    assert committed == [("COTUser", "edit")]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_events(member_a, admin_a, committed):
    with transaction.atomic():
        member_a.names = "Kept"
        member_a.save()
        with pytest.raises(Boom), transaction.atomic():
            admin_a.names = "Dropped"
            admin_a.save()
            raise Boom

    assert committed == [("COTUser", "edit")]


def test_a_rolled_back_change_leaves_no_stored_webhook_event(company_a, member_a):
    Webhook.objects.create(
        company=company_a,
        name="Users",
        code="users",
        url="https://example.com/hook",
        trigger="create-edit-delete-user",
    )

    with pytest.raises(Boom), transaction.atomic():
        member_a.names = "Rolled back"
        member_a.save()
        assert list(Event.objects.values_list("type", "action")) == [("COTUser", "edit")]
        raise Boom

    assert Event.objects.count() == 0


def test_deleting_a_company_with_webhooks_leaves_consistent_rows(company_a, member_a, element_a):
    Webhook.objects.create(
        company=company_a,
        name="Users",
        code="users",
        url="https://example.com/hook",
        trigger="create-edit-delete-user",
    )
    Webhook.objects.create(
        company=company_a,
        name="Elements",
        code="elements",
        url="https://example.com/hook",
        trigger="create-edit-delete-property",
    )

    company_a.delete()

    connection.check_constraints()
    assert Event.objects.count() == 0
    assert Webhook.objects.count() == 0


class InTransaction(list):
    """A subscriber that records, per event, whether it was handed over inside a transaction."""

    def interest(self, *, company_id: str, type: str, context: dict) -> bool:
        return True

    def receive(self, *, event: dict, interest) -> None:
        self.append((event["type"], event["event"], not transaction.get_autocommit()))


@pytest.fixture
def handed_over():
    recorded = InTransaction()
    subscribers.subscribe(recorded)
    yield recorded
    subscribers.unsubscribe(recorded)


def test_every_tracked_model_saves_inside_a_transaction():
    assert [model for model in KINDS if not issubclass(model, SavedWithItsEvent)] == []


@pytest.mark.django_db(transaction=True)
def test_a_change_in_autocommit_is_handed_over_inside_the_transaction_that_makes_it(
    member_a, workflow_a, element_a, handed_over
):
    task = Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Created")
    task.name = "Edited"
    task.save()
    task.followers.add(member_a)
    member_a.properties.add(element_a)
    task.delete()

    assert transaction.get_autocommit()  # the test itself ran in autocommit
    assert handed_over == [
        ("COTTask", "create", True),
        ("COTTask", "edit", True),
        ("COTTask", "edit", True),
        ("COTUser", "edit", True),
        ("COTTask", "delete", True),
    ]
