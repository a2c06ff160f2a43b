# ruff: noqa: E501 (the table of cases reads best one case a line)
"""One table of cases for the one routing rule (webhooks.engine.routing): which webhooks an
event goes to. Every way the rule is asked must agree with the table:

- the QuerySet, `Webhook.objects.routed(event)`;
- the Python predicate, `webhook_routed(webhook, event)`;
- capture's path: the router's `Interest` (from the route table) and what it keeps of it;
- on PostgreSQL, the outbox statement's re-check of a route table that may be behind.
"""

import pytest
from django.db import connection

from events.models import Group, Survey, Workflow
from webhooks.engine import routing
from webhooks.models import Event, InactiveReason, Trigger, Webhook

T, S, U, N, P, L = Trigger.TASK, Trigger.SURVEY, Trigger.USER, Trigger.NOTE, Trigger.PROPERTY, Trigger.LOGOUT

# (case, the webhook: trigger and fields, the event: type, action, data keys, diff, company, wanted)
# In the webhook: "wf", "sv", "gr" stand for workflow A, survey A, group A; "wf2", "gr2", "sv2" for
# others. In the event's data the same names stand for their ids.
CASES = [
    ("a task of its workflow", {"trigger": T, "workflow": "wf"}, ("COTTask", "create", {"taskGroup": "wf"}), True),
    ("a task of another workflow", {"trigger": T, "workflow": "wf"}, ("COTTask", "create", {"taskGroup": "wf2"}), False),
    ("a task with no workflow yet", {"trigger": T, "workflow": "wf"}, ("COTTask", "create", {"taskGroup": None}), False),
    ("another company's task", {"trigger": T, "workflow": "wf", "company": "b"}, ("COTTask", "create", {"taskGroup": "wf"}), False),
    ("an inactive webhook", {"trigger": T, "workflow": "wf", "is_active": False}, ("COTTask", "create", {"taskGroup": "wf"}), False),
    ("a paused webhook keeps queuing", {"trigger": T, "workflow": "wf", "is_active": False, "inactive_reason": InactiveReason.PAUSED_FAILING}, ("COTTask", "edit", {"taskGroup": "wf"}), True),
    ("a webhook gone with its workflow", {"trigger": T, "workflow": "wf", "is_active": False, "inactive_reason": InactiveReason.WORKFLOW_DELETED}, ("COTTask", "create", {"taskGroup": "wf"}), False),
    ("an answer of its survey and group", {"trigger": S, "survey": "sv", "group": "gr"}, ("COTSurvey", "create", {"surveyId": "sv", "group": "gr"}), True),
    ("an answer of its survey in another group", {"trigger": S, "survey": "sv", "group": "gr"}, ("COTSurvey", "create", {"surveyId": "sv", "group": "gr2"}), False),
    ("an answer of another survey in its group", {"trigger": S, "survey": "sv", "group": "gr"}, ("COTSurvey", "create", {"surveyId": "sv2", "group": "gr"}), False),
    ("a user edit to a user webhook", {"trigger": U}, ("COTUser", "edit", {}, {"/jobTitle": {}}), True),
    ("a task to a user webhook", {"trigger": U}, ("COTTask", "create", {"taskGroup": "wf"}), False),
    ("a note delete", {"trigger": N}, ("COTNote", "delete", {}), True),
    ("creates only: a create", {"trigger": T, "workflow": "wf", "events": ["create"]}, ("COTTask", "create", {"taskGroup": "wf"}), True),
    ("creates only: an edit", {"trigger": T, "workflow": "wf", "events": ["create"]}, ("COTTask", "edit", {"taskGroup": "wf"}, {"/name": {}}), False),
    ("edits only: a delete", {"trigger": P, "events": ["edit"]}, ("COTProperty", "delete", {}), False),
    ("its field edited", {"trigger": T, "workflow": "wf", "events": ["edit"], "fields": ["/status"]}, ("COTTask", "edit", {"taskGroup": "wf"}, {"/status": {}}), True),
    ("another field edited", {"trigger": T, "workflow": "wf", "events": ["edit"], "fields": ["/status"]}, ("COTTask", "edit", {"taskGroup": "wf"}, {"/name": {}}), False),
    ("a field under its field edited", {"trigger": U, "events": ["edit"], "fields": ["/name"]}, ("COTUser", "edit", {}, {"/name/displayName": {}}), True),
    ("fields chosen: a create still goes", {"trigger": T, "workflow": "wf", "events": ["create", "edit"], "fields": ["/status"]}, ("COTTask", "create", {"taskGroup": "wf"}), True),
    ("a logout is never filtered", {"trigger": L, "events": ["create"]}, ("Auth", "logout", {}), True),
    ("a logout to a task webhook", {"trigger": T, "workflow": "wf"}, ("Auth", "logout", {}), False),
]  # fmt: skip


@pytest.fixture
def named(company_a, company_b, workflow_a, survey_a, group_a):
    """The objects the cases name, by name."""
    return {
        "a": company_a,
        "b": company_b,
        "wf": workflow_a,
        "wf2": Workflow.objects.create(company=company_a, name="Other", code="other"),
        "sv": survey_a,
        "sv2": Survey.objects.create(company=company_a, name="Other survey", code="other_survey"),
        "gr": group_a,
        "gr2": Group.objects.create(company=company_a, name_code="other", name_display="Other"),
    }


def case_webhook(spec: dict, named: dict) -> Webhook:
    fields = dict(spec)
    company = named[fields.pop("company", "a")]
    for key in ("workflow", "survey", "group"):
        if key in fields:
            fields[key] = named[fields[key]]
    return Webhook.objects.create(
        company=company, name="case", code="case", url="https://example.com/", **fields
    )


def case_event(event: tuple, named: dict) -> dict:
    type, action, data, *diff = event
    return {
        "company": named["a"].pk,
        "type": type,
        "event": action,
        "data": {key: named[value].pk if value else None for key, value in data.items()} | {"_id": "t1"},
        "diff": diff[0] if diff else {},
    }


@pytest.mark.parametrize(("spec", "event", "wanted"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_every_way_of_asking_agrees_with_the_table(db, named, spec, event, wanted):
    webhook = case_webhook(spec, named)
    event = case_event(event, named)

    assert routing.webhook_routed(webhook, event) is wanted
    assert Webhook.objects.routed(event).filter(pk=webhook.pk).exists() is wanted
    interest = routing.router.interest(company_id=event["company"], type=event["type"], context=event["data"])
    assert (webhook.pk in interest.wanting(event)) is wanted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL outbox statement")
@pytest.mark.parametrize(("spec", "event", "wanted"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_the_outbox_statements_recheck_agrees_with_the_table(db, named, spec, event, wanted):
    webhook = case_webhook(spec, named)
    event = case_event(event, named)
    # A route table far behind: it names this webhook for every event.
    behind = routing.Interest((webhook.pk,), {}, event["company"], event["type"], event["data"], recheck=True)

    assert routing.event_store(event=event, interest=behind) == ([webhook.pk] if wanted else [])
    assert Event.objects.exists() is wanted


def test_the_table_covers_every_trigger_an_administrator_can_choose():
    chosen = {spec["trigger"] for _, spec, _, _ in CASES}
    assert chosen >= {T, S, U, N, P, L}
    assert len(CASES) >= 15
