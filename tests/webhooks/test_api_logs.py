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
ATTEMPT_KEYS = {"number", "startedAt", "durationMs", "status", "response", "responseTruncated", "error"}


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


def make_log(hook: Webhook, *, state=Delivery.State.FAILED, statuses=(409, 409, 409), at=None) -> Delivery:
    at = at or timezone.now()
    event_body = {
        "company": hook.company_id,
        "type": "COTTask",
        "event": "create",
        "data": {"_id": "62742b7562f37034d9399914", "name": "Equipment 1-A"},
        "diff": {},
        "extraData": None,
        "createdAt": "2022-05-05T19:54:29.924Z",
    }
    event = Event.objects.create(
        company=hook.company, type="COTTask", action="create", body=json.dumps(event_body)
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
    # (the (webhook, state, id) index), as docs/api.md says.
    now = timezone.now()
    stored_first = make_log(hook, at=now)
    stored_second = make_log(hook, at=now - timedelta(milliseconds=1))

    def ids(**params):
        return [log["_id"] for log in api.get(f"{BASE}/logs/{hook.pk}", params).json()]

    assert ids() == [stored_first.object_id, stored_second.object_id]
    assert ids(result="failed") == [stored_second.object_id, stored_first.object_id]


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
