"""Which webhooks an event reaches, and that routing shares the change's transaction."""

import pytest
from django.db import transaction

from events.models import Note, SurveyAnswer, Task, User, Workflow
from webhooks.models import Delivery, Event, Trigger, Webhook


def webhook(company, code, trigger, **context) -> Webhook:
    return Webhook.objects.create(
        company=company, name=code, code=code, url="https://example.com/", trigger=trigger, **context
    )


def test_a_task_event_reaches_only_webhooks_watching_its_workflow(db, company_a, workflow_a):
    other_workflow = Workflow.objects.create(company=company_a, name="Other", code="other")
    watching = webhook(company_a, "watching", Trigger.TASK, workflow=workflow_a)
    webhook(company_a, "elsewhere", Trigger.TASK, workflow=other_workflow)
    webhook(company_a, "users", Trigger.USER)

    Task.objects.create(company=company_a, workflow=workflow_a, name="Fix pump")

    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [watching.pk]


def test_a_survey_answer_needs_both_its_survey_and_its_group_to_match(db, company_a, survey_a, group_a):
    from events.models import Group

    other_group = Group.objects.create(company=company_a, name_code="other", name_display="Other")
    both = webhook(company_a, "both", Trigger.SURVEY, survey=survey_a, group=group_a)
    webhook(company_a, "wrong_group", Trigger.SURVEY, survey=survey_a, group=other_group)

    SurveyAnswer.objects.create(company=company_a, survey=survey_a, group=group_a, answers=[])

    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [both.pk]


def test_events_never_reach_another_companys_webhooks(db, company_a, company_b):
    webhook(company_b, "b_users", Trigger.USER)

    User.objects.create_user("someone@example.com", "pw-someone-1", company=company_a)

    assert Delivery.objects.count() == 0


def test_one_stored_event_is_shared_by_the_deliveries_of_all_matching_webhooks(db, company_a):
    for code in ("one", "two", "three"):
        webhook(company_a, code, Trigger.NOTE)

    Note.objects.create(company=company_a, title="Hello")

    assert Event.objects.count() == 1
    assert Delivery.objects.filter(event=Event.objects.get()).count() == 3


def test_no_event_is_stored_when_no_webhook_matches(db, company_a, workflow_a):
    Task.objects.create(company=company_a, workflow=workflow_a, name="Unwatched")

    assert Event.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event_and_rings_nothing(company_a, workflow_a, monkeypatch):
    rung = []
    monkeypatch.setattr("webhooks.services.async_task", lambda *args, **kwargs: rung.append(args))
    webhook(company_a, "orders", Trigger.TASK, workflow=workflow_a)

    with pytest.raises(RuntimeError), transaction.atomic():
        Task.objects.create(company=company_a, workflow=workflow_a, name="Never")
        raise RuntimeError("roll back")

    assert (Event.objects.count(), Delivery.objects.count(), rung) == (0, 0, [])


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_rings_its_webhook_once_after_commit(company_a, workflow_a, monkeypatch):
    rung = []
    monkeypatch.setattr("webhooks.services.async_task", lambda *args, **kwargs: rung.append(args))
    hook = webhook(company_a, "orders", Trigger.TASK, workflow=workflow_a)

    with transaction.atomic():
        Task.objects.create(company=company_a, workflow=workflow_a, name="Soon")
        assert rung == []

    assert rung == [("webhooks.tasks.webhook_drain", hook.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_webhook_with_a_drain_already_queued_is_not_rung_again_until_the_drain_starts(
    company_a, workflow_a, monkeypatch
):
    from webhooks import services

    rung = []
    monkeypatch.setattr("webhooks.services.async_task", lambda *args, **kwargs: rung.append(args))
    hook = webhook(company_a, "orders", Trigger.TASK, workflow=workflow_a)

    Task.objects.create(company=company_a, workflow=workflow_a, name="First")
    Task.objects.create(company=company_a, workflow=workflow_a, name="Second")
    assert rung == [("webhooks.tasks.webhook_drain", hook.pk)]

    monkeypatch.setattr("webhooks.services.delivery_claim", lambda **kwargs: None)
    services.webhook_drain(webhook_id=hook.pk)
    Task.objects.create(company=company_a, workflow=workflow_a, name="Third")

    assert rung == [("webhooks.tasks.webhook_drain", hook.pk)] * 2
