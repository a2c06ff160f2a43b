"""What `migrate` sets up besides tables: the daily log pruning schedule, the delivery statistics'
roll-up schedule (webhooks.stats) and the heartbeat cache table.

Connected to `post_migrate` (webhooks.apps), so it runs after every `migrate`,
including the test database's. Both steps are idempotent.
"""

from datetime import UTC, datetime, time, timedelta

from django.core.management import call_command
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils import timezone

PRUNE_SCHEDULE_NAME = "Prune webhook logs"
PRUNE_TASK = "webhooks.retention.logs_prune_daily"
# The daily run's time of day (UTC), away from midnight's crowd of other jobs.
PRUNE_AT = time(3, 17)


def prune_next_run(*, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    run = datetime.combine(now.astimezone(UTC).date(), PRUNE_AT, tzinfo=UTC)
    return run if run > now else run + timedelta(days=1)


def _schedule_ensure(*, name: str, func: str, using: str, **timing):
    """Create the named Schedule with this timing if missing; a present one keeps its
    operator's edits but its function."""
    from django_q.models import Schedule

    schedule = Schedule.objects.using(using).filter(name=name).order_by("id").first()
    if schedule is None:
        return Schedule.objects.using(using).create(name=name, func=func, repeats=-1, **timing)
    if schedule.func != func:
        schedule.func = func
        schedule.save(using=using, update_fields=["func"])
    return schedule


def prune_schedule_ensure(*, using: str = "default"):
    """The daily pruning Schedule (PRUNE_AT, UTC)."""
    from django_q.models import Schedule

    return _schedule_ensure(
        name=PRUNE_SCHEDULE_NAME,
        func=PRUNE_TASK,
        using=using,
        schedule_type=Schedule.DAILY,
        next_run=prune_next_run(),
    )


ROLLUP_SCHEDULE_NAME = "Roll up delivery statistics"
ROLLUP_TASK = "webhooks.stats.deliveries_rollup_task"


def rollup_schedule_ensure(*, using: str = "default"):
    """The delivery statistics' roll-up Schedule (every ROLLUP_MINUTES)."""
    from django_q.models import Schedule

    from webhooks.stats import ROLLUP_MINUTES

    return _schedule_ensure(
        name=ROLLUP_SCHEDULE_NAME,
        func=ROLLUP_TASK,
        using=using,
        schedule_type=Schedule.MINUTES,
        minutes=ROLLUP_MINUTES,
        next_run=timezone.now(),
    )


def after_migrate(sender, using: str = "default", **kwargs) -> None:
    if getattr(sender, "label", None) != "webhooks":
        return
    # The "heartbeat" cache's table when it is a DatabaseCache (no-op for Redis or if it exists).
    call_command("createcachetable", database=using, verbosity=0)
    from django_q.models import Schedule

    if Schedule._meta.db_table in connections[using].introspection.table_names():
        prune_schedule_ensure(using=using)
        rollup_schedule_ensure(using=using)


def connect() -> None:
    post_migrate.connect(after_migrate, dispatch_uid="webhooks.schedules.after_migrate")


connect()
