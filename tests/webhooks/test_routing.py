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


def test_an_event_keeps_the_id_of_the_object_it_is_about(db, company_a, workflow_a):
    webhook(company_a, "tasks", Trigger.TASK, workflow=workflow_a)
    webhook(company_a, "notes", Trigger.NOTE)

    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Fix pump")
    task.name = "Fix pump 2"
    task.save()
    note = Note.objects.create(company=company_a, title="Hello")

    subjects = list(Event.objects.order_by("id").values_list("type", "action", "subject_id"))
    assert subjects == [
        ("COTTask", "create", task.pk),
        ("COTTask", "edit", task.pk),
        ("COTNote", "create", note.pk),
    ]


def test_a_user_edit_and_a_logout_are_about_the_user(db, company_a):
    from events.services import event_emit

    webhook(company_a, "users", Trigger.USER)
    webhook(company_a, "logouts", Trigger.LOGOUT)
    user = User.objects.create_user("someone@example.com", "pw-someone-1", company=company_a)
    user.job_title = "Dispatcher"
    user.save()
    event_emit(
        company_id=company_a.pk,
        type="Auth",
        event="logout",
        data=None,
        extra_data={"userId": user.pk, "timestamp": 1},
    )

    assert list(Event.objects.order_by("id").values_list("action", "subject_id")) == [
        ("create", user.pk),
        ("edit", user.pk),
        ("logout", user.pk),
    ]


def test_an_event_without_an_object_id_is_about_nothing(db, company_a):
    from events.services import event_emit

    webhook(company_a, "notes", Trigger.NOTE)
    event_emit(company_id=company_a.pk, type="COTNote", event="create", data={"_id": 12})
    event_emit(company_id=company_a.pk, type="COTNote", event="create", data={"_id": "x" * 25})
    event_emit(company_id=company_a.pk, type="COTNote", event="create", data=None)

    assert list(Event.objects.values_list("subject_id", flat=True)) == ["", "", ""]
