"""Delivery through a real qcluster process to a real loopback receiver."""

import json

from standardwebhooks import Webhook as StandardWebhook

from events.models import Task, Workflow
from tests.e2e.conftest import wait_until
from tests.receiver import Reply
from webhooks import services
from webhooks.models import Delivery, Event, Trigger, Webhook


def make_webhook(company, workflow, url: str, code: str = "orders") -> Webhook:
    return Webhook.objects.create(
        company=company, name=code, code=code, url=url, trigger=Trigger.TASK, workflow=workflow
    )


def create_tasks(workflow: Workflow, count: int, prefix: str = "Task") -> list[str]:
    return [
        Task.objects.create(company=workflow.company, workflow=workflow, name=f"{prefix} {n}").pk
        for n in range(count)
    ]


def sent_task_ids(requests) -> list[str]:
    return [json.loads(r.body)["data"]["_id"] for r in requests]


def settled(*, count: int) -> bool:
    return Delivery.objects.exclude(state="pending").count() >= count


def test_50_tasks_arrive_in_creation_order_signed_and_equal_to_the_stored_events(
    start_cluster, receiver, company_a, workflow_a
):
    webhook = make_webhook(company_a, workflow_a, receiver.url("/orders"))
    start_cluster()

    task_ids = create_tasks(workflow_a, 50)

    requests = receiver.wait_for("/orders", 50)
    assert sent_task_ids(requests) == task_ids
    stored = dict(Delivery.objects.values_list("object_id", "event__body"))
    for request in requests:
        assert request.body.decode() == stored[request.headers["webhook-id"]]
        StandardWebhook(webhook.secret).verify(request.body, request.headers)
    wait_until(lambda: settled(count=50), message="50 deliveries to settle")
    assert set(Delivery.objects.values_list("state", "attempts")) == {("success", 1)}
    assert receiver.overlaps == []


def test_a_500_500_200_endpoint_is_retried_on_time_and_later_events_wait_behind_it(
    start_cluster, receiver, company_a, workflow_a
):
    make_webhook(company_a, workflow_a, receiver.url("/orders"))
    receiver.script("/orders", Reply(500), Reply(500))
    start_cluster(WEBHOOK_RETRY_DELAY="1")

    task_ids = create_tasks(workflow_a, 4)

    requests = receiver.wait_for("/orders", 6)
    first_three = requests[:3]
    assert len({r.headers["webhook-id"] for r in first_three}) == 1
    gaps = [later.at - earlier.at for earlier, later in zip(first_three, first_three[1:], strict=False)]
    # Never early; the upper bound only has to tell a retry from the 60 s sweep (a busy machine
    # adds a clock tick, a doorbell and a broker hop to the 1 s).
    assert all(1.0 <= gap <= 15.0 for gap in gaps), gaps
    assert sent_task_ids(requests) == [task_ids[0]] * 3 + task_ids[1:]
    wait_until(lambda: settled(count=4), message="deliveries to settle")
    first = Delivery.objects.order_by("id").first()
    assert (first.state, first.attempts, first.status_code) == ("success", 3, 200)


def test_each_kind_of_failure_ends_failed_after_three_attempts_and_the_next_proceeds(
    start_cluster, receiver, company_a, unused_port
):
    failing = {
        "always_500": (receiver.url("/500"), "/500", [Reply(500, b"server exploded")] * 3, "server exploded"),
        "redirect": (
            receiver.url("/302"),
            "/302",
            [Reply(302, b"", headers={"Location": "https://elsewhere.example/"})] * 3,
            "redirect to https://elsewhere.example/ not followed",
        ),
        "timeout": (receiver.url("/slow"), "/slow", [Reply(200, delay=8)] * 3, "timed out"),
        "refused": (f"http://127.0.0.1:{unused_port}/hook", None, [], "refused"),
    }
    for code, (url, path, replies, _) in failing.items():
        workflow = Workflow.objects.create(company=company_a, name=code, code=code)
        make_webhook(company_a, workflow, url, code=code)
        if path:
            receiver.script(path, *replies)
    # A timeout well above a loaded machine's answer time, so that only /slow times out.
    start_cluster(WEBHOOK_RETRY_DELAY="0.5", WEBHOOK_TIMEOUT="3", Q_WORKERS="4")

    for workflow in Workflow.objects.filter(company=company_a):
        create_tasks(workflow, 2)

    wait_until(lambda: settled(count=8), timeout=90, message="all 8 deliveries to settle")
    for code, (_, _, _, reason) in failing.items():
        first, second = Delivery.objects.filter(webhook__code=code).order_by("id")
        assert (first.state, first.attempts) == ("failed", 3), code
        assert reason in first.response.lower() or reason in first.response, (code, first.response)
        expected_status = {"always_500": 500, "redirect": 302}.get(code)
        assert first.status_code == expected_status, code
        last_try_of_first = first.attempt_set.order_by("number").last()
        first_try_of_second = second.attempt_set.order_by("number").first()
        assert first_try_of_second.started_at >= last_try_of_first.started_at, code
        assert second.state == ("failed" if code == "refused" else "success"), code


def test_an_inactive_webhook_gets_nothing_new_and_its_queue_resumes_in_order_on_activation(
    start_cluster, receiver, company_a, workflow_a
):
    webhook = make_webhook(company_a, workflow_a, receiver.url("/orders"))
    services.webhook_set_active(webhook=webhook, active=False)
    webhook.refresh_from_db()
    start_cluster()

    create_tasks(workflow_a, 2, prefix="Ignored")
    assert Event.objects.count() == 0

    # Deactivate while the queue is draining slowly: the rest must wait, not vanish. Slow from
    # the first request, so that most of the five are still queued when the switch comes.
    receiver.script("/orders", then=Reply(200, delay=0.3))
    services.webhook_set_active(webhook=webhook, active=True)
    queued = create_tasks(workflow_a, 5, prefix="Queued")
    services.webhook_set_active(webhook=webhook, active=False)
    create_tasks(workflow_a, 3, prefix="Inactive")
    sent_while_inactive = len(receiver.on("/orders"))

    # The drain that was sending when the webhook went inactive ends after at most the request
    # in flight and gives its lease back; one that ignored the switch would keep the lease until
    # the queue was empty, all five sent.
    wait_until(
        lambda: not Webhook.objects.filter(pk=webhook.pk, leased_until__isnull=False).exists(),
        timeout=30,
        message="the drain to give the inactive webhook's queue back",
    )
    assert len(receiver.on("/orders")) <= sent_while_inactive + 1
    assert Delivery.objects.count() == 5

    services.webhook_set_active(webhook=webhook, active=True)

    requests = receiver.wait_for("/orders", 5)
    assert sent_task_ids(requests) == queued


def test_private_destinations_are_blocked_when_private_networks_are_disallowed(
    start_cluster, receiver, company_a
):
    urls = {
        "loopback": receiver.url("/hook"),
        "localhost": f"http://localhost:{receiver.port}/hook",
        "private": "http://10.0.0.1/hook",
        "metadata": "http://169.254.169.254/latest/meta-data/",
    }
    for code, url in urls.items():
        workflow = Workflow.objects.create(company=company_a, name=code, code=code)
        make_webhook(company_a, workflow, url, code=code)
    start_cluster(WEBHOOK_ALLOW_PRIVATE_NETWORKS="false", WEBHOOK_RETRY_DELAY="0.2")

    for workflow in Workflow.objects.all():
        create_tasks(workflow, 1)

    wait_until(lambda: settled(count=4), message="blocked deliveries to settle")
    for delivery in Delivery.objects.select_related("webhook"):
        assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 3, None)
        assert delivery.response.startswith("blocked:"), delivery.response
    assert receiver.requests == []


def test_a_10_mb_response_is_stored_capped(start_cluster, receiver, company_a, workflow_a):
    make_webhook(company_a, workflow_a, receiver.url("/big"))
    receiver.script("/big", then=Reply(200, b"y" * 10_000_000))
    start_cluster(WEBHOOK_RESPONSE_MAX_BYTES="65536")

    create_tasks(workflow_a, 1)

    wait_until(lambda: settled(count=1), message="the delivery to settle")
    delivery = Delivery.objects.get()
    assert (delivery.state, len(delivery.response), delivery.response_truncated) == ("success", 65536, True)


def test_a_running_cluster_keeps_the_heartbeat_fresh_and_healthz_green(start_cluster, client):
    from webhooks.health import cluster_heartbeat_age

    start_cluster()

    wait_until(lambda: (cluster_heartbeat_age() or 99) < 5, timeout=30, message="a fresh heartbeat")
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
