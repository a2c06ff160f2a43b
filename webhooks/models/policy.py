"""A company's own auto-pause thresholds."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from events.models import Company


class DeliveryPolicy(models.Model):
    """A company's own auto-pause thresholds (docs/delivery.md, "When a webhook keeps failing"):
    each empty field takes its setting (WEBHOOK_PAUSE_AFTER_FAILURES, WEBHOOK_PAUSE_AFTER_MINUTES).
    Read only when a delivery ends FAILED, never on a success."""

    company = models.OneToOneField(
        Company,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("company"),
    )
    pause_after_failures = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name=_("pause after failures"),
        help_text=_("Failed deliveries in a row before a webhook is paused; 0 never pauses."),
    )
    pause_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name=_("pause after minutes"),
        help_text=_("The shortest time those failures must span."),
    )

    class Meta:
        verbose_name = _("delivery policy")
        verbose_name_plural = _("delivery policies")

    def __str__(self) -> str:
        return str(self.company_id)
