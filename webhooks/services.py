"""Webhook configuration: create, update, rotate the secret, activate and deactivate.

Delivering events is the engine's work (webhooks.engine, docs/delivery.md).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks.engine import doorbell, resend
from webhooks.models import Delivery, InactiveReason, Webhook, routed

REDELIVERY_QUEUED = _(
    "This event is already queued to this webhook; redeliver it once that delivery has succeeded or failed."
)

WEBHOOK_EDITABLE_FIELDS = (
    "name",
    "url",
    "description",
    "trigger",
    "workflow",
    "survey",
    "group",
    "events",
    "fields",
    "ordering",
    "max_in_flight",
)


def webhook_create(*, company_id: str, code: str, headers: dict | None = None, **fields) -> Webhook:
    """Validate (ValidationError with field errors) and save a new webhook."""
    webhook = Webhook(company_id=company_id, code=code, **fields)
    if headers:
        webhook.replace_receiver_headers(headers)
    # Webhook.clean() reports a taken code on the `code` field; the constraint still
    # guards the race of two concurrent creates, whose loser asks the rule again (now it says so).
    webhook.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            webhook.save()
    except IntegrityError:
        webhook.full_clean(validate_constraints=False)
        raise
    return webhook


def webhook_update(
    *, webhook: Webhook, code: str | None = None, headers: dict | None = None, **fields
) -> Webhook:
    """Change editable fields; the code is immutable once saved. `headers` (None: unchanged)
    replaces the custom headers; a None value in it keeps that header's stored value."""
    unknown = set(fields) - set(WEBHOOK_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if code is not None:
        webhook.code = code  # Webhook.clean() refuses a change
    for name, value in fields.items():
        setattr(webhook, name, value)
    if headers is not None:
        webhook.replace_receiver_headers(headers)
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_rotate_secret(*, webhook: Webhook) -> Webhook:
    """New secret; the old one keeps signing for WEBHOOK_SECRET_ROTATION_GRACE seconds."""
    webhook.rotate_secret()
    return webhook


def webhook_set_active(*, webhook: Webhook, active: bool) -> Webhook:
    """Activate or deactivate; re-activation resumes what was queued, in order (for a paused
    webhook: webhook_resume() with the default, delivering the backlog)."""
    if active:
        webhook.activate()
        doorbell.ring_on_commit(webhook_ids=[webhook.pk])
    else:
        webhook.deactivate()
    return webhook


class Backlog(models.TextChoices):
    """What a resume does with what queued while the webhook was inactive."""

    DELIVER = "deliver", _("Deliver it, in its original order")
    SKIP = "skip", _("Skip it (marked SKIPPED, still redeliverable)")


BACKLOG_UNKNOWN = _("Choose “deliver” or “skip”.")
RESUME_ACTIVE = _("This webhook is active: there is nothing to resume.")


def webhook_resume(*, webhook: Webhook, backlog: str = Backlog.DELIVER) -> int:
    """Activate an inactive (typically paused) webhook, and deliver what waited in its queue, in
    its original order (`deliver`), or mark it SKIPPED (`skip`: kept in the logs, redeliverable).
    Returns how many deliveries were skipped. ValidationError: an unknown `backlog` ("backlog"),
    an active webhook (code "active"), a missing context (activate()'s field errors).

    The run of failed deliveries is kept: the receiver has not proven itself yet. Its first
    success ends the run (a recovery); a failure instead extends a run already past the pause
    threshold, and pauses the webhook again (docs/delivery.md, "When a webhook keeps failing")."""
    if backlog not in Backlog.values:
        raise ValidationError({"backlog": BACKLOG_UNKNOWN})
    with transaction.atomic():
        # One resume at a time, and none while the engine pauses it (the pause is fenced on
        # is_active): the skip sees every delivery queued until this commit.
        stored = Webhook.objects.select_for_update().filter(pk=webhook.pk).values_list("is_active").first()
        if stored is None or stored[0]:
            raise ValidationError(RESUME_ACTIVE, code="active")
        skipped = 0
        if backlog == Backlog.SKIP:
            skipped = Delivery.objects.skip_queued(webhook_id=webhook.pk, now=timezone.now())
        webhook_set_active(webhook=webhook, active=True)
    return skipped


def webhooks_orphan(*, field: str, target) -> int:
    """`target` (a workflow, survey or group) is being deleted: the webhooks that use it stop,
    with the reason shown in the panel and the API, and stay editable (docs/api.md)."""
    reason = {"workflow": InactiveReason.WORKFLOW_DELETED, "survey": InactiveReason.SURVEY_DELETED}.get(
        field, InactiveReason.GROUP_DELETED
    )
    return Webhook.objects.filter(**{field: target}).update(
        is_active=False, inactive_reason=reason, modified_at=timezone.now()
    )


def webhooks_deactivate(*, company_id: str, webhook_ids: list[str]) -> int:
    """Bulk deactivation from the list; only the company's own webhooks are touched."""
    # A paused one too: deactivated by hand, it stops queuing.
    return (
        Webhook.objects.for_company(company_id)
        .regular()
        .filter(routed(), pk__in=webhook_ids)
        .update(is_active=False, inactive_reason="", modified_at=timezone.now())
    )


def _webhook_lock(webhook_id: str) -> None:
    """Redeliveries of one webhook one at a time (double clicks, retried requests): the second
    waits for the first's commit, then sees what it queued. (On SQLite every write transaction
    is IMMEDIATE: they already run one at a time.)"""
    Webhook.objects.select_for_update().filter(pk=webhook_id).values_list("pk").first()


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Queue a log's event to its webhook again. Refused (ValidationError, code "queued") while
    the webhook still has that event to send, so repeated clicks queue it once."""
    with transaction.atomic():
        _webhook_lock(delivery.webhook_id)
        if Delivery.objects.event_queued(delivery.webhook_id, delivery.event_id):
            raise ValidationError(REDELIVERY_QUEUED, code="queued")
        return resend.delivery_redeliver(delivery=delivery)


@dataclass(frozen=True)
class RedeliveryBatch:
    queued: int  # failed deliveries queued again by this call
    remaining: int  # those of the range left for the next call (over the cap)


def deliveries_redeliver_failed(
    *, webhook: Webhook, created_from: datetime, created_to: datetime | None, limit: int | None = None
) -> RedeliveryBatch:
    """Queue again the first `limit` (WEBHOOK_REDELIVER_FAILED_MAX) failed deliveries of the range
    (Delivery.objects.failed_to_redeliver: in order, one per event). What it queued is pending, so
    the next call with the same range skips it and continues where this one stopped."""
    limit = settings.WEBHOOK_REDELIVER_FAILED_MAX if limit is None else limit
    with transaction.atomic():
        _webhook_lock(webhook.pk)
        originals = Delivery.objects.failed_to_redeliver(webhook.pk, created_from, created_to)
        # The engine's batch insert (multi-row INSERTs, one doorbell ring), on the capped list.
        queued = resend.redeliveries_insert(webhook.company_id, webhook.pk, originals[:limit])
    return RedeliveryBatch(queued=len(queued), remaining=len(originals) - len(queued))
