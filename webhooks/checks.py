"""System checks on the delivery timings, so a misconfiguration stops `manage.py check` (and every
command) instead of sending one webhook's deliveries twice at once or out of order.

The chain that must hold: one attempt < a drain's lease < django-q's task timeout < django-q's retry.
A drain leases its webhook for WEBHOOK_DRAIN_BUDGET + one attempt (http.attempt_max_seconds())
+ WEBHOOK_LEASE_MARGIN; if the lease ran out mid-attempt another worker could start the same
delivery, if django-q's timeout came first it would kill the drain mid-attempt, and if its retry
came before its timeout it would hand a still-running drain to a second worker.
"""

import math

from django.conf import settings
from django.core import checks

from webhooks.engine import http

TAG = "webhooks"


def drain_lease_seconds() -> float:
    return settings.WEBHOOK_DRAIN_BUDGET + http.attempt_max_seconds() + settings.WEBHOOK_LEASE_MARGIN


def _task_timeout() -> float:
    timeout = settings.Q_CLUSTER.get("timeout")
    return math.inf if timeout is None else timeout  # django-q: no timeout, tasks are never killed


def _task_retry() -> float:
    return settings.Q_CLUSTER.get("retry", 60)  # django-q's default


def check_lease_outlasts_an_attempt(app_configs=None, **kwargs) -> list[checks.Error]:
    errors = []
    if settings.WEBHOOK_LEASE_MARGIN <= 0:
        errors.append(
            checks.Error(
                f"WEBHOOK_LEASE_MARGIN is {settings.WEBHOOK_LEASE_MARGIN:g} s: a drain's lease could run "
                "out while its last attempt is still in flight, and another worker would send it again.",
                hint="Set WEBHOOK_LEASE_MARGIN above 0 (the default is 30).",
                id="webhooks.E001",
            )
        )
    if settings.WEBHOOK_DRAIN_BUDGET < 0:
        errors.append(
            checks.Error(
                f"WEBHOOK_DRAIN_BUDGET is {settings.WEBHOOK_DRAIN_BUDGET:g} s: a drain's lease would be "
                "shorter than the attempt it covers.",
                hint="Set WEBHOOK_DRAIN_BUDGET to 0 or more (the default is 10).",
                id="webhooks.E002",
            )
        )
    return errors


def check_task_timeout_outlasts_the_lease(app_configs=None, **kwargs) -> list[checks.Error]:
    lease, timeout = drain_lease_seconds(), _task_timeout()
    if timeout > lease:
        return []
    return [
        checks.Error(
            f"Q_CLUSTER['timeout'] is {timeout:g} s, but a drain may hold its webhook for {lease:g} s "
            "(WEBHOOK_DRAIN_BUDGET + WEBHOOK_TIMEOUT + attempt slack + WEBHOOK_LEASE_MARGIN): "
            "django-q would kill drains mid-attempt.",
            hint=f"Raise Q_TIMEOUT above {lease:g}, or lower WEBHOOK_DRAIN_BUDGET, WEBHOOK_TIMEOUT "
            "or WEBHOOK_LEASE_MARGIN.",
            id="webhooks.E003",
        )
    ]


def check_task_retry_outlasts_the_timeout(app_configs=None, **kwargs) -> list[checks.Error]:
    timeout, retry = _task_timeout(), _task_retry()
    if retry > timeout:
        return []
    return [
        checks.Error(
            f"Q_CLUSTER['retry'] is {retry:g} s, not more than Q_CLUSTER['timeout'] ({timeout:g} s): "
            "django-q would hand a drain that is still running to a second worker.",
            hint=f"Raise Q_RETRY above Q_TIMEOUT ({timeout:g}), or lower Q_TIMEOUT.",
            id="webhooks.E004",
        )
    ]


def check_connect_timeout_within_the_timeout(app_configs=None, **kwargs) -> list[checks.Error]:
    connect, timeout = settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_TIMEOUT
    if connect <= timeout:
        return []
    return [
        checks.Error(
            f"WEBHOOK_CONNECT_TIMEOUT ({connect:g} s) is longer than WEBHOOK_TIMEOUT ({timeout:g} s), "
            "which bounds the whole attempt, connecting included.",
            hint=f"Lower WEBHOOK_CONNECT_TIMEOUT to {timeout:g} or less, or raise WEBHOOK_TIMEOUT.",
            id="webhooks.E005",
        )
    ]


CHECKS = (
    check_lease_outlasts_an_attempt,
    check_task_timeout_outlasts_the_lease,
    check_task_retry_outlasts_the_timeout,
    check_connect_timeout_within_the_timeout,
)


def register() -> None:
    """Called from WebhooksConfig.ready(); registering twice is harmless (the registry is a set)."""
    for check in CHECKS:
        checks.register(check, TAG)
