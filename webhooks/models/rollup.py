"""The hourly roll-up of deliveries behind the settings page's charts (webhooks.stats)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webhooks.models.webhook import Webhook


class DeliveryHour(models.Model):
    """A webhook's deliveries created in one UTC hour, counted by result, with a histogram of the
    finished ones' final-attempt response times: the roll-up the settings page's charts read
    (webhooks.stats), recomputed from the deliveries by a periodic task, never by the hot path."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField()
    success = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    # Counts per bucket of webhooks.stats.DURATION_EDGES (milliseconds).
    durations = models.JSONField(default=list)

    class Meta:
        verbose_name = _("delivery hour")
        verbose_name_plural = _("delivery hours")
        constraints = [models.UniqueConstraint(fields=["webhook", "hour"], name="delivery_hour_unique")]
        indexes = [
            # Retention prunes by age; the roll-up re-reads the hours that still had pending ones.
            models.Index(fields=["hour"], name="delivery_hour_hour"),
            models.Index(fields=["hour"], condition=Q(pending__gt=0), name="delivery_hour_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.hour:%Y-%m-%d %H}:00"


class DeliveryHourWatermark(models.Model):
    """One row: every hour before `rolled_until` has been rolled up (DeliveryHour); `ran_at` is
    the last run. Its row lock serializes the roll-ups of several clusters."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    rolled_until = models.DateTimeField(null=True, blank=True)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_until}"
