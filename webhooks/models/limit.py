"""A rate limit's counter (webhooks.limits)."""

from django.db import models


class LimitCounter(models.Model):
    """A rate limit's count for one key in one time window (webhooks.limits). A row, not a cache
    entry: one conditional UPDATE counts atomically on every database, shared by every process,
    and no cache eviction or culling can reset it. Expired rows go with the daily pruning."""

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
