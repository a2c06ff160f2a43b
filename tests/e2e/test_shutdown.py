"""Stopping a real qcluster with SIGTERM to its whole process group, as systemd does by default
(KillMode=control-group): every process of the cluster gets the signal at once. The cluster must be
gone within its task timeout, release the queues it holds, and lose no delivery."""

import re
import shlex
import sys

from django.conf import settings

from tests.e2e.conftest import ROOT, wait_until
from tests.e2e.test_delivery import create_tasks, make_webhook, sent_task_ids
from tests.receiver import Reply
from webhooks.models import Delivery, Webhook

# The smallest timeouts the system checks accept here: Q_TIMEOUT above the drain's lease
# (WEBHOOK_DRAIN_BUDGET 10 + WEBHOOK_TIMEOUT 2 + 1 s slack + WEBHOOK_LEASE_MARGIN 5, in the e2e
# cluster's settings), Q_RETRY above Q_TIMEOUT.
SHORT_TIMEOUTS = {"Q_TIMEOUT": "19", "Q_RETRY": "20"}
EVENTS = 12
SLOW = Reply(delay=0.3)  # one webhook's 12 deliveries take 3.6 s: the stop cuts the queue short


def first_sightings(task_ids: list[str]) -> list[str]:
    """The ids in the order they were first received (at-least-once may send one twice)."""
    return list(dict.fromkeys(task_ids))


def test_sigterm_to_the_process_group_stops_the_cluster_within_its_timeout_and_loses_nothing(
    start_cluster, receiver, company_a, workflow_a, record_property
):
    paths = ("/erp", "/crm")
    for path in paths:
        make_webhook(company_a, workflow_a, receiver.url(path), code=path.strip("/"))
        receiver.script(path, then=SLOW)
    cluster = start_cluster(**SHORT_TIMEOUTS)
    task_ids = create_tasks(workflow_a, EVENTS)
    for path in paths:
        receiver.wait_for(path, 2)  # both queues drained, by both workers, when the signal comes

    stopped_in = cluster.sigterm_the_group()

    record_property("stop_seconds", round(stopped_in, 2))  # docs/production.md quotes these
    assert stopped_in < cluster.timeout
    assert "has stopped." in cluster.log_path.read_text()
    # Released by the drains as they stopped, not left to expire.
    assert list(Webhook.objects.filter(leased_until__isnull=False).values_list("code", flat=True)) == []
    assert Delivery.objects.filter(state="pending").exists(), "the stop came too late to cut a queue"

    start_cluster(**SHORT_TIMEOUTS)

    wait_until(
        lambda: Delivery.objects.filter(state="success").count() == len(paths) * EVENTS,
        timeout=120,
        message="every delivery to succeed after the restart",
    )
    assert Delivery.objects.exclude(state="success").count() == 0
    for path in paths:
        assert first_sightings(sent_task_ids(receiver.on(path))) == task_ids
    assert receiver.overlaps == []


def production_unit() -> dict[str, str]:
    """The [Service] settings of the systemd unit in docs/production.md."""
    text = (ROOT / "docs" / "production.md").read_text()
    units = [block for block in re.findall(r"```ini\n(.*?)```", text, re.S) if "[Service]" in block]
    assert len(units) == 1, "docs/production.md should hold one systemd unit"
    lines = [line.strip() for line in units[0].split("[Service]", 1)[1].splitlines()]
    service: dict[str, str] = {}
    for line in lines:
        if line.startswith("["):
            break  # the next section
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            service[name] = value
    return service


def test_the_production_systemd_unit_stops_its_cluster_with_sigterm_to_every_process(
    start_cluster, receiver, company_a, workflow_a, record_property
):
    unit = production_unit()
    assert unit.get("KillMode", "control-group") == "control-group"
    assert unit.get("KillSignal", "SIGTERM") == "SIGTERM"
    program, *arguments = shlex.split(unit["ExecStart"])
    assert program.endswith("/python")
    make_webhook(company_a, workflow_a, receiver.url("/erp"))
    receiver.script("/erp", then=SLOW)
    # As systemd would: the unit's command, in the unit's working directory, in a session of its
    # own; this checkout's interpreter stands for the unit's.
    cluster = start_cluster(command=[sys.executable, *arguments], **SHORT_TIMEOUTS)
    create_tasks(workflow_a, 3)
    receiver.wait_for("/erp", 1)

    stopped_in = cluster.sigterm_the_group()

    record_property("stop_seconds", round(stopped_in, 2))
    assert stopped_in < cluster.timeout
    # systemd kills what is left after TimeoutStopSec: never before a task may finish.
    assert float(unit["TimeoutStopSec"]) > settings.Q_CLUSTER["timeout"]
    assert "has stopped." in cluster.log_path.read_text()
