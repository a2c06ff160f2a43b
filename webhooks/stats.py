"""Delivery statistics: the hourly roll-up behind the settings page's charts (docs/panel.md).

`DeliveryHour` holds, per webhook and UTC hour, the deliveries created in that hour (the Logs'
order) counted by result — SUCCESS, FAILED and still PENDING — and a histogram of the response
time of each finished delivery's final attempt (the one that decided its result), in the fixed
buckets of DURATION_EDGES, so that percentiles can be read for one hour and, by adding the
histograms, for a whole range (percentiles themselves do not add up).

The delivery hot path writes nothing here. A django-q2 Schedule (webhooks.schedules) runs
`deliveries_rollup` every ROLLUP_MINUTES; it recomputes whole hours from the deliveries, from
its watermark (or the last REROLL_HOURS, whichever is older) to the current hour, and again every
recent hour that still counted pending deliveries (retries finish minutes or hours later). Each
step reads its hours, then deletes and inserts them in one transaction that holds the watermark
row's lock, so a run is idempotent and two clusters' runs take turns. A step that read an older
state than another cluster's can only count more deliveries as pending (a delivery never goes
back to pending), and such hours are read again by the next run.

The page reads the finished hours here and the rest — the current hour, and up to LIVE_HOURS
the roll-up has not reached — live from the (webhook, created_at) index (`webhook_hours`).
"""

import bisect
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, Count, Func, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import TruncHour
from django.utils import timezone

from webhooks.models import Attempt, Delivery, DeliveryHour, DeliveryHourWatermark, Webhook

logger = logging.getLogger("webhooks.stats")

# Upper edges (ms, exclusive) of the response-time buckets, about 1.5x apart: a percentile is
# known to within its bucket. One more bucket holds 30 s and over (timeouts).
DURATION_EDGES: tuple[int, ...] = (10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700)
DURATION_EDGES += (1000, 1500, 2000, 3000, 5000, 7000, 10000, 15000, 20000, 30000)
BUCKETS = len(DURATION_EDGES) + 1

ROLLUP_MINUTES = 5
# Finished hours recomputed on every run whatever the watermark says: a capture transaction
# that commits late can add a delivery to an hour the roll-up has already read.
REROLL_HOURS = 2
# Hours that still counted pending deliveries are recomputed until they have none, this far back
# (past the 7-day chart; a deactivated webhook's pending deliveries may stay pending for good).
PENDING_REROLL = timedelta(days=8)
# A first run (or a run after a long outage) starts at most this far back, a day at a time.
FIRST_RUN = timedelta(days=7)
STEP = timedelta(hours=24)
WEBHOOK_CHUNK = 500
# The page computes at most this many hours live when the roll-up is behind.
LIVE_HOURS = 3
HOUR = timedelta(hours=1)


@dataclass
class HourCounts:
    success: int = 0
    failed: int = 0
    pending: int = 0
    durations: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    @property
    def total(self) -> int:
        return self.success + self.failed + self.pending

    def add(self, other: "HourCounts") -> None:
        self.success += other.success
        self.failed += other.failed
        self.pending += other.pending
        self.durations = [a + b for a, b in zip(self.durations, other.durations, strict=True)]


def hour_floor(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _final_duration() -> Subquery:
    """The duration of a delivery's final attempt. A subquery, not a join: a drain that outlived
    its lease keeps its attempt as a second row with the same number, and a join would count the
    delivery twice; of the two, the first recorded is taken."""
    final = Attempt.objects.filter(delivery=OuterRef("pk"), number=OuterRef("attempts"))
    return Subquery(final.order_by("id").values("duration_ms")[:1])


def _final_ms() -> Case:
    """A finished delivery's final-attempt duration (NULL when pending or never tried)."""
    return Case(
        When(state=Delivery.State.PENDING, then=Value(None)),
        default=_final_duration(),
        output_field=IntegerField(),
    )


def _bucket(duration_ms: int) -> int:
    """The histogram bucket of a duration: the first edge it is under, else the last bucket."""
    return bisect.bisect_right(DURATION_EDGES, duration_ms)


def _grouped_duration(vendor: str) -> tuple[Func | Case, bool]:
    """What the counts are grouped by besides the hour and state, and whether it is already a
    bucket. PostgreSQL buckets in SQL (`width_bucket`, the same rule as `_bucket()`); elsewhere
    the duration itself is grouped and bucketed here. A CASE over the buckets would repeat the
    final attempt's subquery once per bucket (23 times a row)."""
    if vendor == "postgresql":
        edges = ", ".join(str(edge) for edge in DURATION_EDGES)
        template = f"width_bucket(%(expressions)s, ARRAY[{edges}]::integer[])"
        return Func(_final_ms(), template=template, output_field=IntegerField()), True
    return _final_ms(), False


def hours_count(*, webhook_ids: list[str], start: datetime, end: datetime) -> dict[tuple, HourCounts]:
    """{(webhook id, UTC hour): counts} of the deliveries created in [start, end): one grouped
    query over the (webhook, created_at) index, with each delivery's final attempt."""
    duration, bucketed = _grouped_duration(connections[Delivery.objects.db].vendor)
    rows = (
        Delivery.objects.filter(webhook_id__in=webhook_ids, created_at__gte=start, created_at__lt=end)
        # A skipped delivery was never sent: it counts in no result and has no response time.
        .exclude(state=Delivery.State.SKIPPED)
        .annotate(hour=TruncHour("created_at", tzinfo=UTC), duration=duration)
        .order_by()
        .values("webhook_id", "hour", "state", "duration")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple, HourCounts] = {}
    for row in rows:
        hour = counts.setdefault((row["webhook_id"], hour_floor(row["hour"])), HourCounts())
        setattr(hour, row["state"], getattr(hour, row["state"]) + row["n"])
        if row["duration"] is not None:
            bucket = row["duration"] if bucketed else _bucket(row["duration"])
            hour.durations[bucket] += row["n"]
    return counts


def _rows(counts: dict[tuple, HourCounts]) -> list[DeliveryHour]:
    return [
        DeliveryHour(
            webhook_id=webhook_id,
            hour=hour,
            success=c.success,
            failed=c.failed,
            pending=c.pending,
            durations=c.durations,
        )
        for (webhook_id, hour), c in counts.items()
    ]


def _chunks(ids: list[str]):
    for start in range(0, len(ids), WEBHOOK_CHUNK):
        yield ids[start : start + WEBHOOK_CHUNK]


def _hours_computed(*, start: datetime, end: datetime, webhook_ids: list[str]) -> list[DeliveryHour]:
    """These webhooks' rows for the hours in [start, end), read outside any transaction: on
    SQLite a transaction holds the write lock from its start (IMMEDIATE)."""
    return _rows(hours_count(webhook_ids=webhook_ids, start=start, end=end))


def _watermark_locked() -> DeliveryHourWatermark:
    DeliveryHourWatermark.objects.get_or_create(pk=1)
    return DeliveryHourWatermark.objects.select_for_update().get(pk=1)


def _of_existing_webhooks(rows: list[DeliveryHour]) -> list[DeliveryHour]:
    """The rows whose webhook still exists, read inside the writing transaction: the rows were
    computed before it, and a webhook deleted since would fail the whole step's commit on the
    foreign key (and every later run's, while the step keeps covering that hour)."""
    if not rows:
        return rows
    existing: set[str] = set()
    for chunk in _chunks(sorted({row.webhook_id for row in rows})):
        existing.update(Webhook.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return [row for row in rows if row.webhook_id in existing]


def _recountable_from(now: datetime) -> datetime:
    """The first hour whose deliveries retention cannot have pruned (it prunes the ones that
    finished before its cutoff, so only those created before it). An older hour counted from
    what is left would lose its finished deliveries: its row is kept as it is, until retention
    prunes it too."""
    return hour_floor(now - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)) + HOUR


def _pending_reroll(*, before: datetime, now: datetime) -> int:
    """Recompute the (webhook, hour) rows older than `before` that still counted pending ones:
    an hour and WEBHOOK_CHUNK webhooks per query and per transaction, so that no statement,
    transaction or list in memory grows with the number of webhooks (a deactivated webhook's
    pending deliveries keep their hours here for PENDING_REROLL)."""
    oldest = max(now - PENDING_REROLL, _recountable_from(now))
    stale = DeliveryHour.objects.filter(pending__gt=0, hour__gte=oldest, hour__lt=before)
    by_hour: dict[datetime, list[str]] = {}
    for webhook_id, hour in stale.order_by("hour", "webhook_id").values_list("webhook_id", "hour"):
        by_hour.setdefault(hour, []).append(webhook_id)
    for hour, ids in by_hour.items():
        for chunk in _chunks(ids):
            fresh = _rows(hours_count(webhook_ids=chunk, start=hour, end=hour + HOUR))
            with transaction.atomic():
                _watermark_locked()
                DeliveryHour.objects.filter(hour=hour, webhook_id__in=chunk).delete()
                DeliveryHour.objects.bulk_create(_of_existing_webhooks(fresh))
    return sum(len(ids) for ids in by_hour.values())


def deliveries_rollup(*, now: datetime | None = None) -> dict:
    """The periodic task: roll up the finished hours from the watermark (minus REROLL_HOURS) to
    the current hour, a day and WEBHOOK_CHUNK webhooks per transaction, then the older hours
    that had pending deliveries."""
    now = now or timezone.now()
    current = hour_floor(now)
    mark = DeliveryHourWatermark.objects.filter(pk=1).first()
    rolled_until = mark.rolled_until if mark and mark.rolled_until else current - FIRST_RUN
    start = max(min(rolled_until, current - REROLL_HOURS * HOUR), current - FIRST_RUN, _recountable_from(now))
    first, rows = start, 0
    webhook_ids = list(Webhook.objects.order_by("pk").values_list("pk", flat=True))
    while start < current:
        end = min(start + STEP, current)
        # A day of WEBHOOK_CHUNK webhooks per transaction: with 10,000 webhooks a day is 240,000
        # rows, too many for one statement, one transaction or one list in memory.
        for chunk in _chunks(webhook_ids):
            computed = _hours_computed(start=start, end=end, webhook_ids=chunk)
            with transaction.atomic():
                # Replaced whole, under the watermark's row lock: runs of two clusters take turns.
                _watermark_locked()
                DeliveryHour.objects.filter(hour__gte=start, hour__lt=end, webhook_id__in=chunk).delete()
                rows += len(DeliveryHour.objects.bulk_create(_of_existing_webhooks(computed)))
        # The watermark moves once every webhook's rows of the step are written.
        with transaction.atomic():
            mark = _watermark_locked()
            mark.rolled_until = max(mark.rolled_until or end, end)
            mark.ran_at = now
            mark.save(update_fields=["rolled_until", "ran_at"])
        start = end
    repaired = _pending_reroll(before=first, now=now)
    logger.info("rolled up %s to %s: %d rows; %d pending hours re-read", first, current, rows, repaired)
    return {"from": first.isoformat(), "until": current.isoformat(), "rows": rows, "pending_hours": repaired}


def deliveries_rollup_task() -> dict:
    """The scheduled entry point (django-q2 passes no arguments)."""
    return deliveries_rollup()


def hour_rows_prune(*, older_than: datetime) -> int:
    """Retention (webhooks.retention): the roll-up's hours older than the logs it summarizes."""
    return DeliveryHour.objects.filter(hour__lt=hour_floor(older_than)).delete()[0]


# --- the page's read -----------------------------------------------------------


@dataclass
class HourStat:
    hour: datetime
    counts: HourCounts
    counted: bool = True  # False: the roll-up has not reached it and it is too old to count live


@dataclass
class WebhookHours:
    hours: list[HourStat]
    total: HourCounts
    behind_since: datetime | None  # the first hour not counted, when the roll-up is behind
    ran_at: datetime | None


def webhook_hours(*, webhook_id: str, hours: int, now: datetime | None = None) -> WebhookHours:
    """The last `hours` hours of a webhook (the current one included), oldest first: three
    queries whatever the number of logs (the watermark, the rolled-up hours, the live ones)."""
    now = now or timezone.now()
    current = hour_floor(now)
    first = current - (hours - 1) * HOUR
    mark = DeliveryHourWatermark.objects.filter(pk=1).first()
    rolled_until = mark.rolled_until if mark else None
    # The current hour is always live, even if a cluster whose clock runs ahead rolled it up.
    live_from = min(max(rolled_until or first, current - LIVE_HOURS * HOUR, first), current)
    rolled = {
        row.hour: HourCounts(row.success, row.failed, row.pending, _histogram(row.durations))
        for row in DeliveryHour.objects.filter(webhook_id=webhook_id, hour__gte=first, hour__lt=live_from)
    }
    live = hours_count(webhook_ids=[webhook_id], start=live_from, end=now + HOUR)
    total, stats, behind_since = HourCounts(), [], None
    for i in range(hours):
        hour = first + i * HOUR
        counts = live.get((webhook_id, hour)) or rolled.get(hour) or HourCounts()
        counted = hour >= live_from or (rolled_until is not None and hour < rolled_until)
        if not counted and behind_since is None:
            behind_since = hour
        total.add(counts)
        stats.append(HourStat(hour, counts, counted))
    return WebhookHours(stats, total, behind_since, mark.ran_at if mark else None)


def _histogram(stored) -> list[int]:
    """A stored histogram, padded to the current number of buckets."""
    values = [int(n) for n in (stored or [])][:BUCKETS]
    return values + [0] * (BUCKETS - len(values))


def percentile_bucket(durations: list[int], fraction: float) -> int | None:
    """The bucket that holds the given percentile (0.5, 0.95) of a histogram; None if empty."""
    total = sum(durations)
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket, n in enumerate(durations):
        seen += n
        if seen >= rank:
            return bucket
    return len(durations) - 1
