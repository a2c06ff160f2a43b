"""Prune old delivery logs now: `manage.py prune_logs [--days N] [--batch-size N]`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webhooks.retention import logs_cutoff, logs_prune


class Command(BaseCommand):
    help = (
        "Delete finished delivery logs (and their attempts) that finished more than --days days ago, "
        "and stored events no delivery refers to any more. Pending deliveries are never deleted. "
        "The same runs daily from the django-q2 schedule 'Prune webhook logs'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep this many days of logs (default: WEBHOOK_LOG_RETENTION_DAYS, "
            f"now {settings.WEBHOOK_LOG_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows per transaction "
            f"(default: WEBHOOK_LOG_PRUNE_BATCH, now {settings.WEBHOOK_LOG_PRUNE_BATCH}).",
        )

    def handle(self, *args, days: int | None, batch_size: int | None, **options):
        days = settings.WEBHOOK_LOG_RETENTION_DAYS if days is None else days
        batch_size = settings.WEBHOOK_LOG_PRUNE_BATCH if batch_size is None else batch_size
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = logs_cutoff(days=days)
        result = logs_prune(older_than=cutoff, batch_size=batch_size)
        self.stdout.write(
            f"Deleted {result.deliveries} deliveries, {result.attempts} attempts and {result.events} events "
            f"older than {cutoff:%Y-%m-%d %H:%M:%S} UTC ({days} days) in {result.batches} batches "
            f"of up to {batch_size} rows."
        )
