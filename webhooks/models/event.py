"""An event, stored once and shared by its deliveries."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.ids import new_object_id
from events.models import Company


class Event(models.Model):
    """One COTEvent, stored once and shared by its deliveries.

    `body` is the exact JSON text POSTed, so retries and redeliveries send
    (and sign) the same bytes.
    """

    # No index (and so no unique constraint: an ObjectId is unique by construction): no query
    # reads an event by it, and every index is one more page each captured change writes at
    # commit. The company has no index of its own either: (company, subject_id) below starts
    # with it.
    object_id = models.CharField(max_length=24, default=new_object_id, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    type = models.CharField(max_length=20)
    action = models.CharField(max_length=20)
    # The `_id` of the object whose change this is (the user's, for a logout; empty for a test
    # event), written by capture with the row: the logs' "object id" search reads it.
    subject_id = models.CharField(max_length=24, blank=True, default="", db_default="", editable=False)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["company", "subject_id"], name="event_company_subject")]

    def __str__(self) -> str:
        return f"{self.type} {self.action}"


def event_subject_id(event: dict) -> str:
    """The `_id` of the object an event is about: `data._id`, or a logout's `extraData.userId`;
    "" when there is none (a test event) or it is not an ObjectId-sized string."""
    data, extra = event.get("data"), event.get("extraData")
    subject = data.get("_id") if isinstance(data, dict) else None
    if subject is None and isinstance(extra, dict) and event.get("type") == "Auth":
        subject = extra.get("userId")
    return subject if isinstance(subject, str) and len(subject) <= 24 else ""
