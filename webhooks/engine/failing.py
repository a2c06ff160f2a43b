"""A webhook's health: the run of failed deliveries, failing, the auto-pause and the recovery
(docs/delivery.md, "When a webhook keeps failing").

Kept by the drain that holds the webhook's lease, in the transaction that records the attempt
which changes it (webhooks.engine.delivery.delivery_record), so a run's count can never disagree
with the deliveries it counts. The drain read the webhook row when it took the lease and keeps
that copy current as it records: a success of a webhook with no open run needs no statement at
all; one that ends a run costs one conditional UPDATE. A delivery that ends FAILED costs one
UPDATE (and, the first time in a drain, the read of its company's DeliveryPolicy).

Transitions send `webhooks.alert_signals.webhook_alert` once each, after commit.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from events.cot import iso
from webhooks.alert_signals import (
    DELIVERY_EXHAUSTED,
    WEBHOOK_FAILING,
    WEBHOOK_PAUSED,
    WEBHOOK_RECOVERED,
    webhook_alert,
)
from webhooks.alerts import alerts_apply_to
from webhooks.engine.http import HttpResult, Reason
from webhooks.models import Delivery, DeliveryPolicy, InactiveReason, Webhook

logger = logging.getLogger("webhooks.failing")

GONE = 410


def failure_text(result: HttpResult) -> str:
    """A failed attempt's reason in English (webhooks.engine.http.Reason): its error, or the status."""
    if result.error:
        return result.error[:500]
    return Reason.ANSWERED.format(status=result.status_code)


def changes_health(webhook: Webhook, *, state: str, result: HttpResult) -> bool:
    """Whether recording this attempt changes the webhook's health: a delivery ends FAILED, a
    410 Gone, or a success that ends an open run. Read from the drain's copy of the webhook:
    no statement for the common case, a success of a healthy webhook."""
    if state == Delivery.State.FAILED or result.status_code == GONE:
        return True
    return state == Delivery.State.SUCCESS and webhook.failing_since is not None


def pause_thresholds(webhook: Webhook) -> tuple[int, timedelta]:
    """(failed deliveries in a row, shortest span) that pause the webhook: its company's
    DeliveryPolicy where set, else the settings. Read once per drain, on its first failure."""
    cached: tuple[int, timedelta] | None = getattr(webhook, "_pause_thresholds", None)
    if cached is not None:
        return cached
    failures, minutes = settings.WEBHOOK_PAUSE_AFTER_FAILURES, settings.WEBHOOK_PAUSE_AFTER_MINUTES
    policy = (
        DeliveryPolicy.objects.filter(company_id=webhook.company_id)
        .values_list("pause_after_failures", "pause_after_minutes")
        .first()
    )
    if policy is not None:
        failures = failures if policy[0] is None else policy[0]
        minutes = minutes if policy[1] is None else policy[1]
    thresholds = webhook.__dict__["_pause_thresholds"] = (failures, timedelta(minutes=minutes))
    return thresholds


def health_record(
    *, webhook: Webhook, delivery: Delivery, state: str, result: HttpResult, now: datetime
) -> bool:
    """Move the webhook's health on after a recorded attempt (in its transaction; only when
    changes_health() said so). Updates `webhook` in memory; returns whether it paused it."""
    if state == Delivery.State.SUCCESS:
        _run_end(webhook)
        return False
    exhausted = state == Delivery.State.FAILED
    if exhausted:
        webhook.failed_in_a_row += 1
    webhook.failing_since = webhook.failing_since or now
    webhook.last_error, webhook.last_status_code = failure_text(result), result.status_code
    kinds = [DELIVERY_EXHAUSTED] if exhausted else []
    if exhausted and webhook.failed_in_a_row == settings.WEBHOOK_FAILING_AFTER:
        kinds.append(WEBHOOK_FAILING)
    reason = _pause_reason(webhook, result, now) if webhook.is_active else None
    if reason is not None:
        kinds.append(WEBHOOK_PAUSED)
    if {WEBHOOK_FAILING, WEBHOOK_PAUSED} & set(kinds):
        webhook.run_alerted = True
    health = {
        "failed_in_a_row": webhook.failed_in_a_row,
        "failing_since": webhook.failing_since,
        "last_error": webhook.last_error,
        "last_status_code": webhook.last_status_code,
        "run_alerted": webhook.run_alerted,
    }
    webhooks = Webhook.objects.filter(pk=webhook.pk)
    # Only an active webhook pauses: one an administrator deactivated meanwhile stays as they left it.
    paused = reason is not None and bool(
        webhooks.filter(is_active=True).update(
            **health, is_active=False, inactive_reason=reason, modified_at=now
        )
    )
    if not paused:
        kinds = [kind for kind in kinds if kind != WEBHOOK_PAUSED]
        webhooks.update(**health)
    else:
        assert reason is not None  # paused: there was a reason
        webhook.is_active, webhook.inactive_reason = False, reason
        logger.warning(
            "webhook %s paused (%s) after %d failed deliveries in a row since %s",
            webhook.pk,
            reason,
            webhook.failed_in_a_row,
            iso(webhook.failing_since),
        )
    for kind in kinds:
        _alert_on_commit(
            webhook, kind, delivery_id=delivery.object_id if kind == DELIVERY_EXHAUSTED else None
        )
    return paused


def _pause_reason(webhook: Webhook, result: HttpResult, now: datetime) -> str | None:
    if result.status_code == GONE:  # Standard Webhooks: the receiver asks to stop, at once
        return InactiveReason.PAUSED_GONE
    failures, span = pause_thresholds(webhook)
    since = webhook.failing_since
    if failures and webhook.failed_in_a_row >= failures and since is not None and now - since >= span:
        return InactiveReason.PAUSED_FAILING
    return None


def _run_end(webhook: Webhook) -> None:
    """A success ends the open run: a recovery if it was alerted about."""
    Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=False).update(
        failed_in_a_row=0, failing_since=None, last_error="", last_status_code=None, run_alerted=False
    )
    recovered = webhook.run_alerted
    details = _details(webhook, delivery_id=None)  # what was wrong, for the recovery's message
    webhook.failed_in_a_row, webhook.failing_since, webhook.run_alerted = 0, None, False
    webhook.last_error, webhook.last_status_code = "", None
    if recovered:
        _alert_on_commit(webhook, WEBHOOK_RECOVERED, details=details)


def _details(webhook: Webhook, *, delivery_id: str | None) -> dict[str, Any]:
    return {
        "failures": webhook.failed_in_a_row,
        "since": iso(webhook.failing_since) if webhook.failing_since else None,
        "last_error": webhook.last_error,
        "status_code": webhook.last_status_code,
        "delivery_id": delivery_id,
    }


def _alert_on_commit(
    webhook: Webhook, kind: str, *, delivery_id: str | None = None, details: dict[str, Any] | None = None
) -> None:
    if not alerts_apply_to(webhook):
        return
    details = details if details is not None else _details(webhook, delivery_id=delivery_id)
    webhook_id = webhook.pk

    def alert() -> None:  # a named function: robust on_commit logs its name
        webhook_alert.send(sender=Webhook, webhook_id=webhook_id, kind=kind, details=details)

    # Robust: a receiver's error is logged, never a drain's. Receivers run in the engine's
    # database thread: they must be quick (enqueue a task, pass ids).
    transaction.on_commit(alert, robust=True)
