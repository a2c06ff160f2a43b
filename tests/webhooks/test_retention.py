"""Retention: old finished logs, their attempts and orphaned events are pruned in batches."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import async_task, result

from webhooks import retention, schedules
from webhooks.models import Attempt, Delivery, Event, LimitCounter

DAY = timedelta(days=1)


@pytest.fixture
def webhook(db, make_webhook):
    return make_webhook("https://example.com/hook")


@pytest.fixture
def log(webhook):
    """Make an event (or reuse one) and a delivery with `attempts` attempts, `age` old."""

    def make(
        age: timedelta,
        *,
        state=Delivery.State.SUCCESS,
        attempts: int = 1,
        event: Event | None = None,
        completed_age: timedelta | None = None,
    ) -> Delivery:
        now = timezone.now()
        if event is None:
            event = Event.objects.create(
                company=webhook.company, type="COTTask", action="create", body="{}", created_at=now - age
            )
        final = state != Delivery.State.PENDING
        delivery = Delivery.objects.create(
            company=webhook.company,
            webhook=webhook,
            event=event,
            state=state,
            attempts=attempts,
            created_at=now - age,
            next_attempt_at=now - age,
            completed_at=(now - (completed_age if completed_age is not None else age)) if final else None,
        )
        for number in range(1, attempts + 1):
            Attempt.objects.create(
                delivery=delivery, number=number, started_at=now - age, duration_ms=5, status_code=500
            )
        return delivery

    return make


def _cutoff(days: int = 30):
    return retention.logs_cutoff(days=days)


def test_old_finished_logs_go_with_their_attempts_and_events(log):
    success = log(31 * DAY, attempts=1)
    failed = log(40 * DAY, state=Delivery.State.FAILED, attempts=3)

    pruned = retention.logs_prune(older_than=_cutoff(), batch_size=1000)

    assert (pruned.deliveries, pruned.attempts, pruned.events) == (2, 4, 2)
    assert not Delivery.objects.filter(pk__in=[success.pk, failed.pk]).exists()
    assert not Attempt.objects.exists()
    assert not Event.objects.exists()


def test_recent_logs_stay(log):
    recent = log(29 * DAY, attempts=2)
    today = log(timedelta(minutes=5), state=Delivery.State.FAILED, attempts=3)

    pruned = retention.logs_prune(older_than=_cutoff(), batch_size=1000)

    assert (pruned.deliveries, pruned.attempts, pruned.events, pruned.batches) == (0, 0, 0, 0)
    assert set(Delivery.objects.values_list("pk", flat=True)) == {recent.pk, today.pk}
    assert Attempt.objects.count() == 5
    assert Event.objects.count() == 2


def test_a_pending_delivery_is_never_pruned_however_old(log):
    waiting = log(400 * DAY, state=Delivery.State.PENDING, attempts=2)

    retention.logs_prune(older_than=_cutoff(), batch_size=1000)

    waiting.refresh_from_db()
    assert waiting.state == Delivery.State.PENDING
    assert waiting.attempt_set.count() == 2
    assert Event.objects.filter(pk=waiting.event_id).exists()


def test_age_counts_from_when_the_delivery_finished(log):
    """Queued long ago behind an inactive webhook, delivered yesterday: a fresh log."""
    finished_yesterday = log(45 * DAY, completed_age=DAY)

    retention.logs_prune(older_than=_cutoff(), batch_size=1000)

    assert Delivery.objects.filter(pk=finished_yesterday.pk).exists()


def test_an_old_event_stays_while_a_recent_delivery_refers_to_it(log):
    original = log(60 * DAY)
    redelivery = log(2 * DAY, event=original.event)

    pruned = retention.logs_prune(older_than=_cutoff(), batch_size=1000)

    assert (pruned.deliveries, pruned.events) == (1, 0)
    assert not Delivery.objects.filter(pk=original.pk).exists()
    assert Delivery.objects.filter(pk=redelivery.pk).exists()
    assert Event.objects.filter(pk=original.event_id).exists()


def test_old_orphaned_events_go_and_recent_ones_stay(webhook):
    now = timezone.now()
    old = Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")
    Event.objects.filter(pk=old.pk).update(created_at=now - 31 * DAY)
    recent = Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")

    pruned = retention.logs_prune(older_than=_cutoff(), batch_size=1000)

    assert pruned.events == 1
    assert list(Event.objects.values_list("pk", flat=True)) == [recent.pk]


def test_it_works_in_batches_each_in_its_own_transaction(log):
    for _ in range(5):
        log(50 * DAY, attempts=2)
    kept = log(DAY)

    with CaptureQueriesContext(connection) as queries:
        pruned = retention.logs_prune(older_than=_cutoff(), batch_size=2)

    # 5 deliveries in batches of 2, 2 and 1, then 5 events in batches of 2, 2 and 1.
    assert (pruned.deliveries, pruned.attempts, pruned.events, pruned.batches) == (5, 10, 5, 6)
    assert list(Delivery.objects.values_list("pk", flat=True)) == [kept.pk]
    # One transaction per batch, plus the empty look-up that ends each of the two loops
    # (inside the test's own transaction they show up as savepoints).
    savepoints = [q for q in queries.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    assert len(savepoints) == 6 + 2


def test_batch_size_must_be_positive(db):
    with pytest.raises(ValueError, match="batch_size"):
        retention.logs_prune(older_than=_cutoff(), batch_size=0)


def test_the_command_prunes_with_the_given_days_and_says_what_it_deleted(log):
    log(10 * DAY, attempts=3)
    log(5 * DAY, attempts=1)
    log(DAY)
    out = StringIO()

    call_command("prune_logs", "--days", "3", "--batch-size", "1", stdout=out)

    text = out.getvalue()
    assert "Deleted 2 deliveries, 4 attempts and 2 events older than" in text
    assert "(3 days) in 4 batches of up to 1 rows." in text
    assert Delivery.objects.count() == 1


def test_the_command_defaults_to_the_retention_setting(log, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 7
    log(8 * DAY)
    log(6 * DAY)
    out = StringIO()

    call_command("prune_logs", stdout=out)

    assert "Deleted 1 deliveries, 1 attempts and 1 events" in out.getvalue()
    assert "(7 days)" in out.getvalue()
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize("args", [["--batch-size", "0"], ["--days", "-1"]])
def test_the_command_rejects_nonsense(db, args):
    with pytest.raises(CommandError):
        call_command("prune_logs", *args, stdout=StringIO())


def test_the_daily_task_uses_the_settings(log, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    settings.WEBHOOK_LOG_PRUNE_BATCH = 1
    log(31 * DAY, attempts=2)
    log(29 * DAY)

    pruned = retention.logs_prune_daily()
    assert pruned == {"deliveries": 1, "attempts": 2, "events": 1, "hours": 0, "batches": 2}


def test_migrate_leaves_one_daily_schedule_that_runs_the_task(db):
    schedule = Schedule.objects.get(name=schedules.PRUNE_SCHEDULE_NAME)
    assert schedule.func == "webhooks.retention.logs_prune_daily"
    assert import_string(schedule.func) is retention.logs_prune_daily
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats < 0
    assert schedule.next_run > timezone.now()

    # Running migrate's set-up again (every `migrate` does) keeps one schedule.
    schedules.prune_schedule_ensure()
    schedules.prune_schedule_ensure()
    assert Schedule.objects.filter(name=schedules.PRUNE_SCHEDULE_NAME).count() == 1


def test_an_operators_edit_to_the_schedule_survives_migrate(db):
    Schedule.objects.filter(name=schedules.PRUNE_SCHEDULE_NAME).update(schedule_type=Schedule.WEEKLY)

    schedules.prune_schedule_ensure()

    assert Schedule.objects.get(name=schedules.PRUNE_SCHEDULE_NAME).schedule_type == Schedule.WEEKLY


def test_the_first_run_is_the_next_0317_utc():
    before = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    after = datetime(2026, 5, 1, 3, 17, tzinfo=UTC)

    assert schedules.prune_next_run(now=before).isoformat() == "2026-05-01T03:17:00+00:00"
    assert schedules.prune_next_run(now=after).isoformat() == "2026-05-02T03:17:00+00:00"


def test_django_q_runs_the_scheduled_function(log):
    log(31 * DAY)

    task_id = async_task(schedules.PRUNE_TASK, sync=True, q_options={"task_name": "prune-test"})

    assert result(task_id) == {"deliveries": 1, "attempts": 1, "events": 1, "hours": 0, "batches": 2}
    assert not Delivery.objects.exists()


def test_the_daily_task_drops_the_rate_limit_counters_of_windows_that_ended(db):
    now = timezone.now()
    LimitCounter.objects.create(key="ended", count=3, expires_at=now - timedelta(seconds=1))
    LimitCounter.objects.create(key="current", count=3, expires_at=now + timedelta(minutes=5))

    retention.logs_prune_daily()

    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["current"]
