"""GET /api/v3/webhook/subscription/logs/{id} and /logs/{id}/{log_id}: Cotalker's COTWebhookLog."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from events.models import Task
from webhooks.models import Attempt, Delivery, Event, Trigger, Webhook

BASE = "/api/v3/webhook/subscription"
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
# reference/cotalker.md §4, without Mongoose's `__v`, plus result, kind and attempt detail.
COT_LOG_KEYS = {"_id", "company", "createdAt", "event", "retry", "subscription", "response", "status"}
LOG_KEYS = COT_LOG_KEYS | {"result", "kind", "attempts"}
ATTEMPT_KEYS = {
    "number",
    "startedAt",
    "durationMs",
    "status",
    "response",
    "responseTruncated",
    "error",
    "resent",
    "retryAfter",
}


@pytest.fixture
def hook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a,
        name="Work Orders Update",
        code="wo_update",
        url="https://www.server.com",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


def make_log(
    hook: Webhook,
    *,
    state=Delivery.State.FAILED,
    statuses=(409, 409, 409),
    at=None,
    subject="62742b7562f37034d9399914",
) -> Delivery:
    at = at or timezone.now()
    event_body = {
        "company": hook.company_id,
        "type": "COTTask",
        "event": "create",
        "data": {"_id": subject, "name": "Equipment 1-A"},
        "diff": {},
        "extraData": None,
        "createdAt": "2022-05-05T19:54:29.924Z",
    }
    event = Event.objects.create(
        company=hook.company, type="COTTask", action="create", body=json.dumps(event_body), subject_id=subject
    )
    delivery = Delivery.objects.create(
        company=hook.company,
        webhook=hook,
        event=event,
        state=state,
        attempts=len(statuses),
        status_code=statuses[-1] if statuses else None,
        response="connect ETIMEDOUT 67.225.146.248:443" if statuses else "",
        created_at=at,
    )
    for number, code in enumerate(statuses, start=1):
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=at + timedelta(seconds=30 * (number - 1)),
            duration_ms=12,
            status_code=code,
            response_body="" if code is None else "conflict",
            error="connect ETIMEDOUT 67.225.146.248:443" if code is None else "",
        )
    return delivery


def test_a_log_reads_like_cotalkers_sample(api, hook, company_a):
    at = datetime(2022, 5, 5, 20, 4, 40, 84000, tzinfo=UTC)
    log = make_log(hook, at=at)

    response = api.get(f"{BASE}/logs/{hook.pk}")

    assert response.status_code == 200
    [body] = response.json()
    assert set(body) == LOG_KEYS
    assert body["_id"] == log.object_id and OBJECT_ID.match(body["_id"])
    assert body["company"] == company_a.pk
    assert body["createdAt"] == "2022-05-05T20:04:40.084Z"
    assert body["status"] == 409
    assert body["retry"] == 3
    assert body["response"] == "connect ETIMEDOUT 67.225.146.248:443"
    assert body["subscription"] == hook.pk
    assert body["event"]["type"] == "COTTask"
    assert body["event"]["createdAt"] == "2022-05-05T19:54:29.924Z"
    assert body["event"]["data"]["_id"] == "62742b7562f37034d9399914"
    assert body["result"] == "FAILED"
    assert body["kind"] == "event"
    assert [set(a) for a in body["attempts"]] == [ATTEMPT_KEYS] * 3
    assert [a["number"] for a in body["attempts"]] == [1, 2, 3]
    assert [a["resent"] for a in body["attempts"]] == [False, False, False]
    assert body["attempts"][1]["startedAt"] == "2022-05-05T20:05:10.084Z"
    assert body["attempts"][0]["status"] == 409


def test_a_log_without_any_response_has_a_null_status_and_the_error_as_response(api, hook):
    make_log(hook, statuses=(None,), state=Delivery.State.PENDING)

    [body] = api.get(f"{BASE}/logs/{hook.pk}").json()

    assert body["status"] is None
    assert body["retry"] == 1
    assert body["result"] == "PENDING"
    assert body["attempts"][0]["error"] == "connect ETIMEDOUT 67.225.146.248:443"


def test_one_log_can_be_read_by_its_id(api, hook):
    log = make_log(hook)

    response = api.get(f"{BASE}/logs/{hook.pk}/{log.object_id}")

    assert response.status_code == 200
    assert response.json() == api.get(f"{BASE}/logs/{hook.pk}").json()[0]


def test_logs_are_newest_first_and_only_of_that_webhook(api, hook, company_a):
    other = Webhook.objects.create(
        company=company_a, name="Other", code="other", url="https://o.example.com/", trigger=Trigger.NOTE
    )
    first, second = make_log(hook), make_log(hook)
    make_log(other)

    body = api.get(f"{BASE}/logs/{hook.pk}").json()

    assert [log["_id"] for log in body] == [second.object_id, first.object_id]


def test_logs_are_newest_first_by_creation_time_and_by_creation_order_within_a_result(api, hook):
    # Two logs whose creation times disagree with their creation order (a concurrent change):
    # the list follows the times (the (webhook, created_at) index), a result filter the order
    # (the (webhook, state, id) index), and FAILED within dates the times again (the failed
    # deliveries' (webhook, created_at, ...) index), as docs/api.md says.
    now = timezone.now()
    stored_first = make_log(hook, at=now)
    stored_second = make_log(hook, at=now - timedelta(milliseconds=1))

    def ids(**params):
        return [log["_id"] for log in api.get(f"{BASE}/logs/{hook.pk}", params).json()]

    by_time = [stored_first.object_id, stored_second.object_id]
    assert ids() == by_time
    assert ids(result="failed") == by_time[::-1]
    assert ids(status=409) == by_time[::-1]
    assert ids(result="failed", createdAtFrom=(now - timedelta(hours=1)).isoformat()) == by_time
    assert ids(result="failed", status=409, createdAtTo=(now + timedelta(hours=1)).isoformat()) == by_time


def test_a_webhook_without_logs_has_an_empty_array(api, hook):
    response = api.get(f"{BASE}/logs/{hook.pk}")

    assert response.json() == []
    assert response["X-Total-Count"] == "0"


def test_logs_filter_by_result_case_insensitively(api, hook):
    failed = make_log(hook)
    ok = make_log(hook, state=Delivery.State.SUCCESS, statuses=(201,))
    pending = make_log(hook, state=Delivery.State.PENDING, statuses=())

    def ids(result):
        return [log["_id"] for log in api.get(f"{BASE}/logs/{hook.pk}", {"result": result}).json()]

    assert ids("success") == [ok.object_id]
    assert ids("FAILED") == [failed.object_id]
    assert ids("pending") == [pending.object_id]
    assert api.get(f"{BASE}/logs/{hook.pk}", {"result": "retrying"}).status_code == 400


def test_logs_filter_by_date_range(api, hook):
    now = timezone.now()
    old = make_log(hook, at=now - timedelta(days=3))
    middle = make_log(hook, at=now - timedelta(days=2))
    new = make_log(hook, at=now)

    def ids(**params):
        return [log["_id"] for log in api.get(f"{BASE}/logs/{hook.pk}", params).json()]

    two_and_a_half = (now - timedelta(days=2, hours=12)).isoformat()
    one = (now - timedelta(days=1)).isoformat()
    assert ids(createdAtFrom=two_and_a_half) == [new.object_id, middle.object_id]
    assert ids(createdAtTo=two_and_a_half) == [old.object_id]
    assert ids(createdAtFrom=two_and_a_half, createdAtTo=one) == [middle.object_id]


def test_logs_are_paginated_with_headers(api, hook):
    logs = [make_log(hook) for _ in range(3)]

    response = api.get(f"{BASE}/logs/{hook.pk}", {"limit": 2, "offset": 1})

    assert [log["_id"] for log in response.json()] == [logs[1].object_id, logs[0].object_id]
    assert response["X-Total-Count"] == "3"
    assert 'rel="prev"' in response["Link"] and 'rel="next"' not in response["Link"]


def test_a_webhook_created_through_the_api_logs_a_new_task_as_pending(api, company_a, workflow_a, admin_a):
    created = api.post(
        BASE,
        {
            "name": "Work Orders Update",
            "code": "wo_update",
            "url": "https://www.server.com",
            "trigger": "create-edit-delete-task",
            "context": {"taskGroup": workflow_a.pk},
        },
        format="json",
    ).json()

    task = Task.objects.create(
        company=company_a, workflow=workflow_a, name="Equipment 1-A", created_by=admin_a
    )

    [log] = api.get(f"{BASE}/logs/{created['_id']}").json()
    assert log["retry"] == 0
    assert log["result"] == "PENDING"
    assert log["status"] is None
    assert log["response"] == ""
    assert log["attempts"] == []
    assert log["subscription"] == created["_id"]
    assert ISO_MS_Z.match(log["createdAt"])
    assert log["event"]["type"] == "COTTask" and log["event"]["event"] == "create"
    assert log["event"]["data"]["_id"] == task.pk
    assert log["event"]["data"]["taskGroup"] == workflow_a.pk


OTHER_TASK = "62742b7562f37034d9399915"


def ids(api, hook, **params) -> list[str]:
    response = api.get(f"{BASE}/logs/{hook.pk}", params)
    assert response.status_code == 200, response.content
    return [log["_id"] for log in response.json()]


def test_logs_filter_by_status_code(api, hook):
    conflict = make_log(hook)
    ok = make_log(hook, state=Delivery.State.SUCCESS, statuses=(201,))
    make_log(hook, state=Delivery.State.PENDING, statuses=())

    assert ids(api, hook, status=409) == [conflict.object_id]
    assert ids(api, hook, status="201") == [ok.object_id]
    assert ids(api, hook, status=500) == []


def test_logs_search_by_the_id_of_the_object_that_triggered_the_event(api, hook):
    first = make_log(hook)
    make_log(hook, subject=OTHER_TASK)
    second = make_log(hook, state=Delivery.State.SUCCESS, statuses=(200,))

    assert ids(api, hook, objectId="62742b7562f37034d9399914") == [second.object_id, first.object_id]
    assert ids(api, hook, objectId="62742B7562F37034D9399914") == [second.object_id, first.object_id]
    assert ids(api, hook, objectId="000000000000000000000000") == []


def test_log_filters_combine_and_are_counted_and_linked(api, hook):
    now = timezone.now()
    wanted = [make_log(hook, at=now - timedelta(minutes=n)) for n in range(3)]
    make_log(hook, at=now - timedelta(days=3))  # too old
    make_log(hook, subject=OTHER_TASK)  # another object
    make_log(hook, state=Delivery.State.SUCCESS, statuses=(200,))  # another result
    params = {
        "result": "failed",
        "status": 409,
        "objectId": "62742b7562f37034d9399914",
        "createdAtFrom": (now - timedelta(hours=1)).isoformat(),
        "limit": 2,
    }

    response = api.get(f"{BASE}/logs/{hook.pk}", params)

    # FAILED within dates: newest first by creation time (docs/api.md), though stored the other way
    assert [log["_id"] for log in response.json()] == [wanted[0].object_id, wanted[1].object_id]
    assert response["X-Total-Count"] == "3"
    assert "objectId=62742b7562f37034d9399914" in response["Link"] and "status=409" in response["Link"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "abc"}, "status"),
        ({"status": 99}, "status"),
        ({"status": 600}, "status"),
        ({"objectId": "not-an-object-id"}, "objectId"),
        ({"objectId": "62742b7562f37034d939991"}, "objectId"),
        ({"createdAtFrom": "yesterday"}, "createdAtFrom"),
        ({"createdAtTo": "2026-13-01"}, "createdAtTo"),
        ({"createdAtFrom": "2026-11-12T00:00:00Z", "createdAtTo": "2026-11-10T00:00:00Z"}, "createdAtTo"),
        ({"result": "retrying"}, "result"),
    ],
)
def test_a_bad_log_filter_is_a_400_naming_the_parameter(api, hook, params, field):
    make_log(hook)

    response = api.get(f"{BASE}/logs/{hook.pk}", params)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field], list) and response.json()[field][0]


def test_log_filters_on_another_companys_webhook_are_404(api, company_b):
    theirs = Webhook.objects.create(
        company=company_b, name="Theirs", code="theirs", url="https://b.example.com/", trigger=Trigger.NOTE
    )
    make_log(theirs)

    for params in ({"objectId": "62742b7562f37034d9399914"}, {"result": "failed", "status": 409}):
        response = api.get(f"{BASE}/logs/{theirs.pk}", params)
        assert response.status_code == 404
        assert "62742b7562f37034d9399914" not in response.content.decode()


def test_the_object_search_never_finds_another_companys_events(api, hook, company_b):
    own = make_log(hook)
    foreign = make_log(hook)
    # Even an event (wrongly) of another company, behind this webhook, is not found.
    Event.objects.filter(pk=foreign.event_id).update(company=company_b)

    assert ids(api, hook, objectId="62742b7562f37034d9399914") == [own.object_id]


def test_an_attempt_resent_after_a_lost_lease_is_marked(api, hook):
    log = make_log(hook, at=datetime(2022, 5, 5, 20, 4, 40, tzinfo=UTC))
    Attempt.objects.filter(delivery=log, number=2).update(after_lost_lease=True)

    [body] = api.get(f"{BASE}/logs/{hook.pk}").json()

    assert [a["resent"] for a in body["attempts"]] == [False, True, False]
