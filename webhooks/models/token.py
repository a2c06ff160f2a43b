"""REST API tokens (django-rest-knox's model, stored as digests)."""

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.models import AuthTokenManager as ApiTokenManager


class ApiToken(AbstractAuthToken):
    """A REST API token (django-rest-knox's model, swapped in by KNOX_TOKEN_MODEL): only the
    SHA-512 digest of the token and its first characters (`token_key`, to find it) are stored."""

    name: "models.CharField[str, str]" = models.CharField(max_length=100, verbose_name=_("name"))
    last_used_at: "models.DateTimeField[datetime | None, datetime | None]" = models.DateTimeField(
        null=True, blank=True, verbose_name=_("last used at")
    )

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()

    def mark_used(self, now) -> None:
        """Remember the use, at most once a minute (every API call would otherwise be a write)."""
        if self.last_used_at is None or now - self.last_used_at >= timedelta(seconds=60):
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
