"""COTSurvey events: a submitted survey (SurveyAnswer) as a COTSurveyExecution."""

from datetime import UTC, datetime

import pytest

from events.models import Group, SurveyAnswer
from tests.events.conftest import assert_created_at_now, ms_z

SURVEY_KEYS = {"_id", "surveyId", "group", "answeredBy", "surveyData", "createdAt", "modifiedAt"}
ANSWERS = [{"question": "Equipment", "answer": "Pump 2-C"}, {"question": "Urgent?", "answer": "yes"}]


@pytest.fixture
def answer_a(survey_a, group_a, member_a) -> SurveyAnswer:
    return SurveyAnswer.objects.create(
        company=survey_a.company, survey=survey_a, group=group_a, answered_by=member_a, answers=ANSWERS
    )


def test_it_sends_the_survey_execution_on_create(survey_a, group_a, member_a, sent):
    since = datetime.now(UTC)
    answer = SurveyAnswer.objects.create(
        company=survey_a.company, survey=survey_a, group=group_a, answered_by=member_a, answers=ANSWERS
    )

    event = sent.only()
    answer.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTSurvey", "create", survey_a.company_id)
    assert event["data"] == {
        "_id": answer.pk,
        "surveyId": survey_a.pk,
        "group": group_a.pk,
        "answeredBy": member_a.pk,
        "surveyData": ANSWERS,
        "createdAt": ms_z(answer.created_at),
        "modifiedAt": ms_z(answer.modified_at),
    }
    assert event["diff"] == {}
    assert event["extraData"] is None
    assert_created_at_now(event, since)


def test_it_sends_the_changed_answers_and_group_on_edit(answer_a, company_a, group_a, sent):
    other_group = Group.objects.create(company=company_a, name_code="maintenance", name_display="Maintenance")
    sent.clear()
    edited = [*ANSWERS[:1], {"question": "Urgent?", "answer": "no"}]

    answer_a.answers = edited
    answer_a.group = other_group
    answer_a.save()

    event = sent.only()
    answer_a.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTSurvey", "edit", company_a.pk)
    assert set(event["data"]) == {
        "_id",
        "surveyId",
        "group",
        "answeredBy",
        "surveyData",
        "createdAt",
        "modifiedAt",
    }
    assert event["data"]["group"] == other_group.pk
    assert event["data"]["surveyData"] == edited
    assert event["data"]["modifiedAt"] == ms_z(answer_a.modified_at)
    assert event["diff"] == {
        "/group": {"previous": group_a.pk, "changedTo": other_group.pk},
        "/surveyData": {"previous": ANSWERS, "changedTo": edited},
    }
    assert event["extraData"] is None


def test_it_sends_nothing_when_a_survey_answer_is_saved_unchanged(answer_a, sent):
    answer_a.save()
    # The same answers as a tuple are the same JSON once stored.
    answer_a.answers = tuple(ANSWERS)
    answer_a.save()

    assert sent == []


def test_it_sends_the_last_stored_survey_execution_on_delete(answer_a, sent):
    answer_a.refresh_from_db()
    expected_id, created_at = answer_a.pk, ms_z(answer_a.created_at)

    answer_a.delete()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == ("COTSurvey", "delete", answer_a.company_id)
    assert set(event["data"]) == SURVEY_KEYS
    assert event["data"]["_id"] == expected_id
    assert event["data"]["surveyData"] == ANSWERS
    assert event["data"]["createdAt"] == created_at
    assert event["diff"] == {}
    assert event["extraData"] is None
