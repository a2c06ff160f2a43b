"""A delivery (the log row of the panel and API) and its attempts."""

from django.db import models
from django.db.models import OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.ids import new_object_id
from events.models import Company
from webhooks.models.event import Event

# A webhook's logs, newest first (panel and API): by creation time, the id breaking ties so that
# pages are stable. The order of the (webhook, created_at) index, which the panel's 24 h health
# reads too: one index serves both.
LOGS_ORDER = ("-created_at", "-id")


class DeliveryQuerySet(models.QuerySet):
    def pending(self) -> "DeliveryQuerySet":
        return self.filter(state=Delivery.State.PENDING)

    def due(self, now=None) -> "DeliveryQuerySet":
        """Pending deliveries of active webhooks that may be attempted now (if first in line)."""
        now = now or timezone.now()
        return self.pending().filter(next_attempt_at__lte=now, webhook__is_active=True)

    def queue(self, webhook_id: "str | OuterRef") -> "DeliveryQuerySet":
        """A webhook's unfinished deliveries in the order they must be sent; the first is the head."""
        return self.pending().filter(webhook_id=webhook_id).order_by("id")

    def failed_to_redeliver(self, webhook_id: str, created_from, created_to) -> list[tuple[str, int]]:
        """(ObjectId, event id) of the webhook's failed deliveries created in [from, to), in their
        order: one per event, and none for an event the webhook has since received or still has
        queued (a bulk redelivery must not send anything twice)."""
        failed = self.filter(webhook_id=webhook_id, state=Delivery.State.FAILED, created_at__gte=created_from)
        if created_to is not None:
            failed = failed.filter(created_at__lt=created_to)
        rows = list(
            failed.exclude(kind=Delivery.Kind.TEST).order_by("id").values_list("object_id", "event_id")
        )
        settled: set[int] = set()
        event_ids = sorted({event_id for _, event_id in rows})
        for start in range(0, len(event_ids), 1000):
            chunk = event_ids[start : start + 1000]
            done = self.filter(webhook_id=webhook_id, event_id__in=chunk).exclude(state=Delivery.State.FAILED)
            settled.update(done.values_list("event_id", flat=True))
        chosen, seen = [], set()
        for delivery_id, event_id in rows:
            if event_id not in settled and event_id not in seen:
                seen.add(event_id)
                chosen.append((delivery_id, event_id))
        return chosen

    def event_queued(self, webhook_id: str, event_id: int) -> bool:
        """Whether the webhook still has a delivery of this event to send (the log itself, pending,
        or a redelivery of it not sent yet)."""
        return self.pending().filter(webhook_id=webhook_id, event_id=event_id).exists()

    def skip_queued(self, *, webhook_id: str, now) -> int:
        """Mark the webhook's queue SKIPPED (a resume that skips the backlog); how many. One
        UPDATE over the (webhook, state, id) index."""
        return (
            self.queue(webhook_id)
            .order_by()
            .update(state=Delivery.State.SKIPPED, completed_at=now, next_attempt_at=now)
        )

    def head_of(self, webhook_id: str) -> "Delivery | None":
        """The oldest unfinished delivery of a webhook: the only one that may be attempted."""
        return self.queue(webhook_id).first()

    def log_filter(
        self,
        *,
        company_id: str,
        result: str | None = None,
        status: int | None = None,
        created_from=None,
        created_to=None,
        object_id: str | None = None,
    ) -> "DeliveryQuerySet":
        """The logs' filters (panel and API), each optional: result (a state), the HTTP status,
        created in [created_from, created_to), and the id of the object the event is about,
        looked up in the company's (company, subject_id) event index. The caller scopes the
        deliveries to a webhook of `company_id` (panel) or to the company (API)."""
        logs = self
        if result:
            logs = logs.filter(state=result)
        if status is not None:
            logs = logs.filter(status_code=status)
        failed_within_dates = result == Delivery.State.FAILED and (
            created_from is not None or created_to is not None
        )
        if (result or status is not None) and not failed_within_dates:
            # Newest first by id, the order of the (webhook, state, id) and (webhook, status_code,
            # id) indexes, so the matches are never sorted: LOGS_ORDER's order but for rows
            # created in the same instant by concurrent changes (docs/api.md). FAILED within
            # dates keeps LOGS_ORDER, the order of the failed deliveries' index (delivery_failed).
            logs = logs.order_by("-id")
        if created_from is not None:
            logs = logs.filter(created_at__gte=created_from)
        if created_to is not None:
            logs = logs.filter(created_at__lt=created_to)
        if object_id:
            logs = logs.filter(event__company_id=company_id, event__subject_id=object_id.lower())
        return logs


class Delivery(models.Model):
    """One event on its way to one webhook: the log row of the panel and API."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCESS = "success", "SUCCESS"
        FAILED = "failed", "FAILED"
        # Left unsent by a resume that skipped the backlog of a paused webhook (still
        # redeliverable): docs/delivery.md, "When a webhook keeps failing".
        SKIPPED = "skipped", "SKIPPED"

    class Kind(models.TextChoices):
        EVENT = "event", "Event"
        REDELIVERY = "redelivery", "Redelivery"
        TEST = "test", "Test"

    object_id = models.CharField(
        max_length=24, unique=True, default=new_object_id, editable=False, verbose_name=_("object id")
    )
    # No index: the API, the only reader by company, names the webhook too, and the (webhook, ...)
    # indexes serve that. (The admin's list for one company's staff walks the ids backwards.)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("company")
    )
    # No index of its own: the composite indexes below all start with the webhook, and every
    # index is one more write for each delivery capture stores.
    webhook = models.ForeignKey(
        "webhooks.Webhook",  # by name: webhooks.models.webhook imports this module
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        verbose_name=_("webhook"),
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.EVENT, verbose_name=_("kind"))
    # A redelivery's original: its ObjectId (the API's `_id`), null for events and tests. Not a
    # foreign key: pruning old logs must not look for redeliveries that point to them, and
    # capture (which leaves this column out of its INSERT) must pay for no index.
    redelivery_of = models.CharField(  # noqa: DJ001
        max_length=24, null=True, blank=True, editable=False, verbose_name=_("redelivery of")
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, verbose_name=_("state")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status code"))
    response = models.TextField(blank=True, verbose_name=_("response"))
    response_truncated = models.BooleanField(default=False, verbose_name=_("response truncated"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        ordering = ["-id"]
        verbose_name_plural = _("deliveries")
        indexes = [
            # Each (webhook, ...) index costs every captured change about one page per matching
            # webhook at commit (docs/performance.md), so there are two. Migration 0011 dropped
            # `delivery_queue`, a partial copy of this one's pending part, and (webhook, -id).
            #
            # A queue (webhook, "pending", by id) and its head, whatever the length of the
            # webhook's finished history; and the API's logs filtered by result, newest first.
            models.Index(fields=["webhook", "state", "id"]),
            # The panel's 24 h health counts read only the window, not a webhook's whole history;
            # a webhook's logs are read newest first in this order (LOGS_ORDER).
            models.Index(fields=["webhook", "created_at"]),
            models.Index(fields=["state", "next_attempt_at"]),
            # The logs' status filter. Partial: a delivery enters it when its first attempt is
            # recorded, so capture (which writes deliveries without a status) never pays for it.
            models.Index(
                fields=["webhook", "status_code", "id"],
                condition=Q(status_code__isnull=False),
                name="delivery_status",
            ),
            # The logs' filters combined with a date (`?result=failed&from=`, with or without a
            # status): the failed deliveries of a webhook by date, newest first in LOGS_ORDER.
            # The status and state in the index let the capped count read the index alone (the
            # state, though fixed here, because SQLite reads the table to check it). Partial: a
            # delivery enters it only when it ends FAILED, so neither capture nor a successful
            # delivery pays for it.
            models.Index(
                fields=["webhook", "created_at", "status_code", "state"],
                condition=Q(state="failed"),
                name="delivery_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state != self.State.PENDING


class Attempt(models.Model):
    """One HTTP try of a delivery. Request headers are stored without secrets."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_set", verbose_name=_("delivery")
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    duration_ms = models.PositiveIntegerField(verbose_name=_("duration ms"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status code"))
    response_body = models.TextField(blank=True, verbose_name=_("response body"))
    response_truncated = models.BooleanField(default=False, verbose_name=_("response truncated"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    request_headers = models.JSONField(default=dict, verbose_name=_("request headers"))
    # Sent by a drain that took the queue over from one whose worker stopped answering (its
    # lease ran out unreleased): that worker may have sent this delivery already, unrecorded.
    after_lost_lease = models.BooleanField(default=False, verbose_name=_("after lost lease"))
    # The receiver answered 429 or 503 with Retry-After: the next attempt waited this many seconds
    # (its Retry-After, at least WEBHOOK_RETRY_DELAY, at most WEBHOOK_RETRY_AFTER_MAX).
    retry_after = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("retry after"))

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
