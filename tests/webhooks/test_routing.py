"""Which webhooks an event reaches, and that routing shares the change's transaction."""

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
