"""The hard deadline per attempt, through real qcluster processes: a receiver that answers 200 at
once and then trickles its body for ever cannot hold an attempt past WEBHOOK_TIMEOUT, and its
delivery is retried one attempt at a time until it fails."""

import pytest

from events.models import Task
from tests.e2e.conftest import wait_until
from tests.receiver import Drip, DrippingReceiver
from webhooks.engine import http
from webhooks.models import Delivery, Trigger, Webhook

TIMEOUT = 1
MAX_ATTEMPTS = 3
# Room on top of the hard bound for two clusters sharing a loaded machine; the receiver would
# keep each attempt open for hours without the deadline, so this margin cannot hide one.
MARGIN = 2.0


@pytest.fixture
def dripping():
    # 200 headers at once, then a byte every 0.2 s until the sender hangs up (or 10 minutes pass).
    server = DrippingReceiver(Drip(every=0.2, give_up=600)).start()
    yield server
    server.stop()


def test_a_trickling_receiver_fails_every_attempt_at_the_deadline_one_attempt_at_a_time(
    start_cluster, dripping, company_a, workflow_a
):
    Webhook.objects.create(
        company=company_a,
        name="orders",
        code="orders",
        url=dripping.url("/orders"),
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )
    env = {
        "WEBHOOK_TIMEOUT": str(TIMEOUT),
        "WEBHOOK_RETRY_DELAY": "0.5",
        "WEBHOOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }
    start_cluster(**env)
    start_cluster(**env)

    Task.objects.create(company=company_a, workflow=workflow_a, name="Trickled")

    wait_until(
        lambda: Delivery.objects.exclude(state="pending").exists(), timeout=90, message="the delivery to fail"
    )
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", MAX_ATTEMPTS, None)
    attempts = list(delivery.attempt_set.order_by("number"))
    assert [attempt.number for attempt in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    longest_ms = (http.DEADLINE_SLACK + TIMEOUT + MARGIN) * 1000
    for attempt in attempts:
        assert attempt.status_code is None, attempt.number
        assert attempt.error.startswith(f"timed out after {TIMEOUT} s"), attempt.error
        # duration_ms is truncated to whole milliseconds, hence the 1 ms below the deadline.
        assert TIMEOUT * 1000 - 1 <= attempt.duration_ms <= longest_ms, attempt.duration_ms

    exchanges = dripping.wait_until_ended(MAX_ATTEMPTS)
    assert len(dripping.snapshot()) == MAX_ATTEMPTS
    assert {exchange.webhook_id for exchange in exchanges} == {delivery.object_id}
    # One request in flight per webhook-id: each attempt began after the previous one hung up.
    exchanges.sort(key=lambda exchange: exchange.started)
    for earlier, later in zip(exchanges, exchanges[1:], strict=False):
        assert later.started >= earlier.ended, (earlier, later)
    assert dripping.overlaps == []
