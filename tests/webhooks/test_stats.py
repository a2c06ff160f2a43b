"""Delivery statistics: the hourly roll-up, its percentiles, and the page's read of it."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string
from django_q.models import Schedule

from webhooks import retention, schedules, stats
from webhooks.models import Attempt, Delivery, DeliveryHour, DeliveryHourWatermark, Event, Webhook

NOW = datetime(2026, 5, 10, 12, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def webhook(db, make_webhook) -> Webhook:
    return make_webhook("https://example.com/hook")


@pytest.fixture
def deliver():
    """A delivery of `webhook` created at `at`, with one attempt per given duration (ms)."""

    def make(webhook: Webhook, at: datetime, *durations: int, state=Delivery.State.SUCCESS) -> Delivery:
        event = Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")
        delivery = Delivery.objects.create(
            company=webhook.company,
            webhook=webhook,
            event=event,
            state=state,
            attempts=len(durations),
            created_at=at,
            next_attempt_at=at,
            completed_at=None if state == Delivery.State.PENDING else at + timedelta(seconds=1),
        )
        for number, duration in enumerate(durations, start=1):
            Attempt.objects.create(delivery=delivery, number=number, started_at=at, duration_ms=duration)
        return delivery

    return make


def bucket_of(ms: int) -> int:
    return next((i for i, edge in enumerate(stats.DURATION_EDGES) if ms < edge), len(stats.DURATION_EDGES))


def row(webhook: Webhook, hour: datetime) -> DeliveryHour:
    return DeliveryHour.objects.get(webhook=webhook, hour=hour)


def test_an_hour_counts_its_deliveries_by_result_with_their_final_attempts_durations(webhook, deliver):
    hour = datetime(2026, 5, 10, 9, tzinfo=UTC)
    deliver(webhook, hour + timedelta(minutes=1), 40)
    deliver(webhook, hour + timedelta(minutes=59, seconds=59), 120)
    deliver(webhook, hour + timedelta(minutes=30), 5, 5, 2500, state=Delivery.State.FAILED)
    deliver(webhook, hour + timedelta(minutes=31), 8000, state=Delivery.State.PENDING)  # retrying
    deliver(webhook, hour + HOUR, 40)  # the next hour

    stats.deliveries_rollup(now=NOW)

    nine = row(webhook, hour)
    assert (nine.success, nine.failed, nine.pending) == (2, 1, 1)
    expected = [0] * stats.BUCKETS
    for ms in (40, 120, 2500):  # a retry's earlier attempts and a pending one's do not count
        expected[bucket_of(ms)] += 1
    assert nine.durations == expected
    assert (row(webhook, hour + HOUR).success, row(webhook, hour + HOUR).failed) == (1, 0)
    assert DeliveryHourWatermark.objects.get().rolled_until == datetime(2026, 5, 10, 12, tzinfo=UTC)


def test_the_current_hour_is_not_rolled_up(webhook, deliver):
    deliver(webhook, NOW - timedelta(minutes=5), 40)

    stats.deliveries_rollup(now=NOW)

    assert not DeliveryHour.objects.filter(hour=stats.hour_floor(NOW)).exists()


def test_a_second_run_gives_the_same_rows(webhook, deliver):
    for minutes in (10, 70, 130, 250):
        deliver(webhook, NOW - timedelta(minutes=minutes), minutes)
    stats.deliveries_rollup(now=NOW)
    first = sorted(DeliveryHour.objects.values_list("hour", "success", "durations"))

    stats.deliveries_rollup(now=NOW)
    stats.deliveries_rollup(now=NOW + timedelta(minutes=5))

    assert sorted(DeliveryHour.objects.values_list("hour", "success", "durations")) == first
    assert len(first) == 3  # 11:20, 10:20, 08:20; 12:20 is the current hour


def test_a_delivery_that_finishes_after_its_hour_was_rolled_up_is_counted_again(webhook, deliver):
    created = NOW - timedelta(hours=10)
    late = deliver(webhook, created, 30, state=Delivery.State.PENDING)
    stats.deliveries_rollup(now=NOW)
    assert row(webhook, stats.hour_floor(created)).pending == 1

    late.state = Delivery.State.FAILED
    late.save()
    stats.deliveries_rollup(now=NOW + timedelta(minutes=5))

    ten_ago = row(webhook, stats.hour_floor(created))
    assert (ten_ago.pending, ten_ago.failed, sum(ten_ago.durations)) == (0, 1, 1)


def test_recent_hours_are_read_again_whatever_the_watermark(webhook, deliver):
    stats.deliveries_rollup(now=NOW)
    # A capture transaction that committed after the run: its delivery is in a rolled-up hour.
    deliver(webhook, NOW - HOUR, 40)

    stats.deliveries_rollup(now=NOW + timedelta(minutes=5))

    assert row(webhook, stats.hour_floor(NOW - HOUR)).success == 1


def test_a_first_run_covers_a_week_and_no_more(webhook, deliver):
    deliver(webhook, NOW - timedelta(days=6, hours=23), 40)
    deliver(webhook, NOW - timedelta(days=8), 40)

    stats.deliveries_rollup(now=NOW)

    assert list(DeliveryHour.objects.values_list("hour", flat=True)) == [
        stats.hour_floor(NOW - timedelta(days=6, hours=23))
    ]


def test_each_webhook_has_its_own_rows(webhook, deliver, company_b):
    other = Webhook.objects.create(company=company_b, name="B", code="b", url="https://example.com/b")
    deliver(webhook, NOW - 2 * HOUR, 40)
    deliver(other, NOW - 2 * HOUR, 40, state=Delivery.State.FAILED)
    deliver(other, NOW - 2 * HOUR, 40, state=Delivery.State.FAILED)

    stats.deliveries_rollup(now=NOW)

    hour = stats.hour_floor(NOW - 2 * HOUR)
    assert (row(webhook, hour).success, row(webhook, hour).failed) == (1, 0)
    assert (row(other, hour).success, row(other, hour).failed) == (0, 2)
    hours = stats.webhook_hours(webhook_id=webhook.pk, hours=24, now=NOW)
    assert (hours.total.success, hours.total.failed) == (1, 0)


def test_percentiles_are_read_from_the_histogram():
    durations = [0] * stats.BUCKETS
    durations[bucket_of(40)] = 90
    durations[bucket_of(2500)] = 10

    assert stats.DURATION_EDGES[stats.percentile_bucket(durations, 0.5)] == 50
    assert stats.DURATION_EDGES[stats.percentile_bucket(durations, 0.95)] == 3000
    assert stats.percentile_bucket([0] * stats.BUCKETS, 0.5) is None


def test_a_range_adds_the_hours_histograms(webhook, deliver):
    for _ in range(3):
        deliver(webhook, NOW - 5 * HOUR, 40)
    deliver(webhook, NOW - 4 * HOUR, 2500)
    deliver(webhook, NOW - timedelta(minutes=10), 9000)  # live: the current hour
    stats.deliveries_rollup(now=NOW)

    hours = stats.webhook_hours(webhook_id=webhook.pk, hours=24, now=NOW)

    assert hours.total.success == 5
    assert stats.DURATION_EDGES[stats.percentile_bucket(hours.total.durations, 0.5)] == 50
    assert stats.DURATION_EDGES[stats.percentile_bucket(hours.total.durations, 0.95)] == 10000
    assert [h.counts.success for h in hours.hours][-6:] == [3, 1, 0, 0, 0, 1]


def test_the_page_reads_the_current_hour_live_in_three_queries(webhook, deliver):
    stats.deliveries_rollup(now=NOW)
    deliver(webhook, NOW - timedelta(minutes=1), 40, state=Delivery.State.PENDING)
    deliver(webhook, NOW - timedelta(minutes=2), 40)

    with CaptureQueriesContext(connection) as queries:
        hours = stats.webhook_hours(webhook_id=webhook.pk, hours=168, now=NOW)

    assert len(queries) == 3
    assert len(hours.hours) == 168
    assert hours.hours[-1].hour == stats.hour_floor(NOW)
    assert (hours.hours[-1].counts.success, hours.hours[-1].counts.pending) == (1, 1)
    assert hours.behind_since is None


def test_a_roll_up_that_is_behind_is_counted_live_for_a_few_hours_and_said_otherwise(webhook, deliver):
    stats.deliveries_rollup(now=NOW - 10 * HOUR)  # then the cluster stopped
    deliver(webhook, NOW - 2 * HOUR, 40)
    deliver(webhook, NOW - 6 * HOUR, 40)

    hours = stats.webhook_hours(webhook_id=webhook.pk, hours=24, now=NOW)

    by_hour = {h.hour: h for h in hours.hours}
    assert by_hour[stats.hour_floor(NOW - 2 * HOUR)].counts.success == 1  # live
    assert not by_hour[stats.hour_floor(NOW - 6 * HOUR)].counted
    assert hours.behind_since == stats.hour_floor(NOW - 10 * HOUR)
    assert by_hour[stats.hour_floor(NOW - 11 * HOUR)].counted


def test_retention_prunes_old_hours(webhook, deliver, settings):
    old = stats.hour_floor(NOW - timedelta(days=40))
    DeliveryHour.objects.create(webhook=webhook, hour=old, success=1)
    DeliveryHour.objects.create(webhook=webhook, hour=stats.hour_floor(NOW - timedelta(days=2)), success=1)

    pruned = retention.logs_prune(older_than=NOW - timedelta(days=30))

    assert pruned.hours == 1
    assert list(DeliveryHour.objects.values_list("hour", flat=True)) == [
        stats.hour_floor(NOW - timedelta(days=2))
    ]


def test_migrate_leaves_one_roll_up_schedule_every_few_minutes(db):
    schedule = Schedule.objects.get(name=schedules.ROLLUP_SCHEDULE_NAME)
    assert import_string(schedule.func) is stats.deliveries_rollup_task
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, stats.ROLLUP_MINUTES)
    assert schedule.repeats < 0

    schedules.rollup_schedule_ensure()

    assert Schedule.objects.filter(name=schedules.ROLLUP_SCHEDULE_NAME).count() == 1


def test_the_scheduled_task_rolls_up(webhook, deliver):
    deliver(webhook, datetime.now(UTC) - 3 * HOUR, 40)

    result = stats.deliveries_rollup_task()

    assert result["rows"] == 1
    assert DeliveryHour.objects.get().success == 1


@pytest.mark.django_db(transaction=True)
def test_two_clusters_rolling_up_at_once_leave_one_row_an_hour(make_webhook, deliver):
    webhook = make_webhook("https://example.com/hook")
    for hours in range(1, 30):
        deliver(webhook, NOW - hours * HOUR, 40)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            stats.deliveries_rollup(now=NOW)
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert DeliveryHour.objects.count() == 29
    assert sum(DeliveryHour.objects.values_list("success", flat=True)) == 29


def test_the_current_hour_is_read_live_even_if_a_cluster_ahead_rolled_it_up(webhook, deliver):
    stats.deliveries_rollup(now=NOW + 2 * HOUR)  # its clock is ahead: it took this hour as finished
    deliver(webhook, NOW - timedelta(minutes=1), 40)

    hours = stats.webhook_hours(webhook_id=webhook.pk, hours=24, now=NOW)

    assert hours.hours[-1].counts.success == 1


@pytest.mark.django_db(transaction=True)  # the foreign key is checked at commit
def test_a_webhook_deleted_while_its_hours_are_read_does_not_stop_the_roll_up(
    make_webhook, deliver, monkeypatch
):
    kept = make_webhook("https://example.com/kept", code="kept")
    gone = make_webhook("https://example.com/gone", code="gone")
    deliver(kept, NOW - 2 * HOUR, 40)
    deliver(gone, NOW - 2 * HOUR, 40)
    read = stats._hours_computed

    def read_then_delete(**kwargs):
        rows = read(**kwargs)
        if any(row.webhook_id == gone.pk for row in rows):
            Webhook.objects.filter(pk=gone.pk).delete()  # an administrator deletes it meanwhile
        return rows

    monkeypatch.setattr(stats, "_hours_computed", read_then_delete)

    stats.deliveries_rollup(now=NOW)

    assert list(DeliveryHour.objects.values_list("webhook_id", "success")) == [(kept.pk, 1)]
    assert DeliveryHourWatermark.objects.get().rolled_until == stats.hour_floor(NOW)


def test_a_delivery_whose_attempt_two_drains_recorded_is_counted_once(webhook, deliver):
    hour = NOW - 2 * HOUR
    delivery = deliver(webhook, hour, 40)
    # A drain that outlived its lease keeps its attempt as a row with the same number.
    Attempt.objects.create(delivery=delivery, number=1, started_at=hour, duration_ms=2500)

    stats.deliveries_rollup(now=NOW)

    rolled = row(webhook, stats.hour_floor(hour))
    assert (rolled.success, rolled.failed, rolled.pending) == (1, 0, 0)
    assert sum(rolled.durations) == 1


def test_hours_with_pending_deliveries_are_read_again_a_chunk_of_webhooks_at_a_time(
    make_webhook, deliver, monkeypatch
):
    monkeypatch.setattr(stats, "WEBHOOK_CHUNK", 2)
    hour = stats.hour_floor(NOW - 5 * HOUR)
    webhooks = [make_webhook(f"https://example.com/{i}", code=f"hook{i}") for i in range(5)]
    pending = [deliver(webhook, hour, state=Delivery.State.PENDING) for webhook in webhooks]
    stats.deliveries_rollup(now=NOW)
    Delivery.objects.filter(pk=pending[4].pk).update(state=Delivery.State.SUCCESS)
    count = stats.hours_count
    asked: list[int] = []

    def counting(**kwargs):
        asked.append(len(kwargs["webhook_ids"]))
        return count(**kwargs)

    monkeypatch.setattr(stats, "hours_count", counting)

    result = stats.deliveries_rollup(now=NOW + 3 * HOUR)  # the hour is now past the re-read hours

    assert result["pending_hours"] == 5
    assert max(asked) <= 2
    assert (row(webhooks[4], hour).success, row(webhooks[4], hour).pending) == (1, 0)
    assert row(webhooks[0], hour).pending == 1


def test_a_day_of_many_webhooks_is_written_a_chunk_of_webhooks_per_transaction(
    make_webhook, deliver, monkeypatch
):
    monkeypatch.setattr(stats, "WEBHOOK_CHUNK", 2)
    webhooks = [make_webhook(f"https://example.com/{i}", code=f"hook{i}") for i in range(5)]
    for webhook in webhooks:
        deliver(webhook, NOW - 3 * HOUR, 40)
        deliver(webhook, NOW - 30 * HOUR, 40)
    create = DeliveryHour.objects.bulk_create
    written: list[int] = []

    def counting(rows, *args, **kwargs):
        written.append(len({row.webhook_id for row in rows}))
        return create(rows, *args, **kwargs)

    monkeypatch.setattr(DeliveryHour.objects, "bulk_create", counting)

    stats.deliveries_rollup(now=NOW)

    assert max(written) <= 2
    assert DeliveryHour.objects.count() == 10
    assert set(DeliveryHour.objects.values_list("success", flat=True)) == {1}


def test_an_hour_retention_has_partly_pruned_is_not_recounted_from_what_is_left(webhook, deliver, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 2
    hour = datetime(2026, 5, 8, 14, tzinfo=UTC)
    deliver(webhook, hour + timedelta(minutes=10), 40)
    deliver(webhook, hour + timedelta(minutes=20), state=Delivery.State.PENDING)  # e.g. deactivated
    stats.deliveries_rollup(now=NOW)
    later = NOW + 2 * HOUR
    retention.logs_prune(older_than=retention.logs_cutoff(days=2, now=later))  # cutoff 14:30

    stats.deliveries_rollup(now=later)

    rolled = row(webhook, hour)
    assert (rolled.success, rolled.pending) == (1, 1)


def test_a_duration_on_an_edge_goes_to_the_bucket_above_and_30_s_or_more_to_the_last(webhook, deliver):
    hour = datetime(2026, 5, 10, 9, tzinfo=UTC)
    for minute, ms in enumerate((0, 9, 10, 29999, 30000, 120000)):
        deliver(webhook, hour + timedelta(minutes=minute), ms)

    stats.deliveries_rollup(now=NOW)

    durations = row(webhook, hour).durations
    edges = stats.DURATION_EDGES
    assert durations[0] == 2  # 0 and 9 ms: under the first edge (10 ms)
    assert durations[1] == 1  # 10 ms: an edge is exclusive
    assert durations[edges.index(30000)] == 1  # 29,999 ms
    assert durations[len(edges)] == 2  # 30 s and over
    assert sum(durations) == 6
