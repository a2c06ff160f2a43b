"""Retention: prune old delivery logs in small batches.

A delivery log (a `Delivery` and its `Attempt`s) is pruned once it finished
(SUCCESS or FAILED) more than WEBHOOK_LOG_RETENTION_DAYS days ago; a stored
`Event` is pruned once it is that old and no delivery refers to it any more.
A pending delivery is never pruned, however old, and neither is its event.
The delivery statistics' hourly rows (webhooks.stats) older than the cutoff go too, and the
daily task drops the rate limits' counters of windows that ended (webhooks.limits).

Each batch (WEBHOOK_LOG_PRUNE_BATCH rows) is its own short transaction, so
pruning a large backlog never holds locks for long or blocks deliveries.
A django-q2 Schedule (see `webhooks.schedules`) runs `logs_prune_daily` once a
day; `manage.py prune_logs` runs the same on demand.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks import limits, stats
from webhooks.models import Attempt, Delivery, Event

logger = logging.getLogger("webhooks.retention")


@dataclass
class PruneResult:
    deliveries: int = 0
    attempts: int = 0
    events: int = 0
    hours: int = 0
    batches: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def logs_cutoff(*, days: int, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def deliveries_prunable(*, older_than: datetime):
    """Finished deliveries that finished (or, lacking a finish time, were created) before the cutoff."""
    return Delivery.objects.exclude(state=Delivery.State.PENDING).filter(
        Q(completed_at__lt=older_than) | Q(completed_at__isnull=True, created_at__lt=older_than)
    )


def events_prunable(*, older_than: datetime):
    """Events created before the cutoff that no delivery refers to."""
    return Event.objects.filter(created_at__lt=older_than, deliveries__isnull=True)


def _delete_in_batches(
    select_ids: Callable[[int], list[int]], delete: Callable[[list[int]], int], *, batch_size: int
) -> int:
    """Select up to `batch_size` ids and delete them, one transaction per batch, until none are left."""
    batches = 0
    while True:
        with transaction.atomic():
            ids = select_ids(batch_size)
            deleted = delete(ids) if ids else 0
        if not deleted:
            return batches
        batches += 1


def logs_prune(*, older_than: datetime, batch_size: int = 1000) -> PruneResult:
    """Delete finished deliveries (with their attempts), then orphaned events, older than `older_than`."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = PruneResult()

    def delivery_ids(limit: int) -> list[int]:
        return list(
            deliveries_prunable(older_than=older_than).order_by("id").values_list("id", flat=True)[:limit]
        )

    def delete_deliveries(ids: list[int]) -> int:
        # Re-check the conditions inside the batch's transaction: never a pending row.
        ids = list(deliveries_prunable(older_than=older_than).filter(id__in=ids).values_list("id", flat=True))
        result.attempts += Attempt.objects.filter(delivery_id__in=ids).delete()[0]
        _, by_model = Delivery.objects.filter(id__in=ids).only("id").delete()
        result.attempts += by_model.get(Attempt._meta.label, 0)
        result.deliveries += by_model.get(Delivery._meta.label, 0)
        return by_model.get(Delivery._meta.label, 0)

    def event_ids(limit: int) -> list[int]:
        return list(
            events_prunable(older_than=older_than).order_by("id").values_list("id", flat=True)[:limit]
        )

    def delete_events(ids: list[int]) -> int:
        ids = list(events_prunable(older_than=older_than).filter(id__in=ids).values_list("id", flat=True))
        _, by_model = Event.objects.filter(id__in=ids).only("id").delete()
        result.events += by_model.get(Event._meta.label, 0)
        return by_model.get(Event._meta.label, 0)

    result.batches += _delete_in_batches(delivery_ids, delete_deliveries, batch_size=batch_size)
    result.batches += _delete_in_batches(event_ids, delete_events, batch_size=batch_size)
    result.hours = stats.hour_rows_prune(older_than=older_than)
    return result


def logs_prune_daily() -> dict:
    """The scheduled task (django-q2, daily): prune with the configured retention and batch size."""
    days = settings.WEBHOOK_LOG_RETENTION_DAYS
    result = logs_prune(older_than=logs_cutoff(days=days), batch_size=settings.WEBHOOK_LOG_PRUNE_BATCH)
    limits.counters_prune()  # rate-limit windows that ended
    logger.info(
        "pruned logs older than %d days: deliveries=%d attempts=%d events=%d hours=%d batches=%d",
        days,
        result.deliveries,
        result.attempts,
        result.events,
        result.hours,
        result.batches,
    )
    return result.as_dict()
