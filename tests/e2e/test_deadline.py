"""The hard deadline per attempt, through real qcluster processes: a receiver that answers 200 at
once and then trickles its body for ever, or a DNS server that never answers, cannot hold an
attempt past WEBHOOK_TIMEOUT, and the delivery is retried one attempt at a time until it fails."""

import datetime
import os
import shutil

import pytest

from events.models import Task
from tests.e2e.conftest import wait_until
from tests.receiver import Drip, DrippingReceiver, SilentResolver
from webhooks.engine import http
from webhooks.models import Delivery, Trigger, Webhook

TIMEOUT = 1
MAX_ATTEMPTS = 3
# Room on top of the hard bound for two clusters sharing a loaded machine; the receiver would
# keep each attempt open for hours without the deadline, so this margin cannot hide one.
MARGIN = 5.0


def failed_delivery_through_two_clusters(start_cluster, company, workflow, url: str, resolv_conf=None):
    """A task webhook to `url`, two clusters with the test's deadline, one task: the delivery once
    it has stopped being pending, with its attempts."""
    Webhook.objects.create(
        company=company, name="orders", code="orders", url=url, trigger=Trigger.TASK, workflow=workflow
    )
    env = {
        "WEBHOOK_TIMEOUT": str(TIMEOUT),
        # Long enough that the receiver's thread has stamped an attempt's end before the next
        # attempt begins, however late a loaded machine wakes it (the order is checked below).
        "WEBHOOK_RETRY_DELAY": "2",
        "WEBHOOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }
    start_cluster(resolv_conf, **env)
    start_cluster(resolv_conf, **env)

    Task.objects.create(company=company, workflow=workflow, name="Deadline")

    wait_until(
        lambda: Delivery.objects.exclude(state="pending").exists(), timeout=90, message="the delivery to fail"
    )
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", MAX_ATTEMPTS, None)
    return delivery, list(delivery.attempt_set.order_by("number"))


@pytest.fixture
def dripping():
    # 200 headers at once, then a byte every 0.2 s until the sender hangs up (or 10 minutes pass).
    server = DrippingReceiver(Drip(every=0.2, give_up=600)).start()
    yield server
    server.stop()


def test_a_trickling_receiver_fails_every_attempt_at_the_deadline_one_attempt_at_a_time(
    start_cluster, dripping, company_a, workflow_a
):
    delivery, attempts = failed_delivery_through_two_clusters(
        start_cluster, company_a, workflow_a, dripping.url("/orders")
    )
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


@pytest.fixture
def silent_resolver():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail(
            "the hung-DNS test needs root and unshare(1): a resolver on port 53, a private /etc/resolv.conf"
        )
    server = SilentResolver().start()
    yield server
    server.stop()


def test_a_dns_lookup_that_never_answers_fails_every_attempt_at_the_deadline_one_at_a_time(
    start_cluster, silent_resolver, tmp_path, company_a, workflow_a
):
    host = "erp.hangs.test"
    resolv_conf = silent_resolver.resolv_conf(tmp_path / "resolv.conf")
    _, attempts = failed_delivery_through_two_clusters(
        start_cluster, company_a, workflow_a, f"http://{host}:8080/orders", resolv_conf
    )
    longest_ms = (http.DEADLINE_SLACK + TIMEOUT + MARGIN) * 1000
    for attempt in attempts:
        assert attempt.error == f"timed out after {TIMEOUT} s while resolving the host name", attempt.error
        assert TIMEOUT * 1000 - 1 <= attempt.duration_ms <= longest_ms, attempt.duration_ms
    # One attempt at a time: each began after the previous one had given up.
    for earlier, later in zip(attempts, attempts[1:], strict=False):
        ended = earlier.started_at + datetime.timedelta(milliseconds=earlier.duration_ms)
        assert later.started_at >= ended, (earlier.number, later.number)
    # The lookups really went to the resolver that never answers, one (or an A and an AAAA) each.
    assert MAX_ATTEMPTS <= silent_resolver.queried().count(host) <= 2 * MAX_ATTEMPTS
