"""A webhook's choices (its trigger, ordering, why it is inactive, its health): the values the
model stores and the API speaks, with their labels (translated in the panel). No model here, so
that the rules (webhooks.rules) can name them without importing the models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    USER = "create-edit-delete-user", _("Create/Edit/Remove User")
    TASK = "create-edit-delete-task", _("Create/Edit/Remove Task")
    SURVEY = "create-edit-delete-survey", _("Create/Edit/Remove Survey")
    PROPERTY = "create-edit-delete-property", _("Create/Edit/Remove Element")
    NOTE = "create-edit-delete-note", _("Create/Edit/Remove Note")
    LOGOUT = "logout-user", _("User Logout")
    # The company's operational webhook (webhooks.alerts): a system webhook, one per company,
    # that gets the alerts about its other webhooks and nothing else. Never offered in a form.
    ALERTS = "alerts", _("Operational alerts")


# What an administrator may choose for a webhook (the panel's form, the API): all but the system's.
PUBLIC_TRIGGERS = [trigger for trigger in Trigger if trigger != Trigger.ALERTS]
PUBLIC_TRIGGER_CHOICES = [(trigger.value, trigger.label) for trigger in PUBLIC_TRIGGERS]
# The operational webhook's code: not a valid code of a webhook an administrator creates
# (the code rule refuses the hyphen), so it can never collide with one.
ALERTS_CODE = "system-alerts"


class Ordering(models.TextChoices):
    """What a webhook's deliveries are ordered by (docs/delivery.md, "Ordered per object")."""

    WEBHOOK = "webhook", _("Webhook: one at a time, in order")
    OBJECT = "object", _("Object: in order per object, several objects at once")


class InactiveReason(models.TextChoices):
    WORKFLOW_DELETED = "workflow_deleted", _("Its workflow was deleted.")
    SURVEY_DELETED = "survey_deleted", _("Its survey was deleted.")
    GROUP_DELETED = "group_deleted", _("Its group was deleted.")
    # Paused by the engine (docs/delivery.md, "When a webhook keeps failing"): no requests, and
    # its events keep queuing, in order, for the resume.
    PAUSED_FAILING = "paused_failing", _("Paused: its deliveries kept failing.")
    PAUSED_GONE = "paused_gone", _("Paused: the receiver answered 410 Gone.")


PAUSED_REASONS = (InactiveReason.PAUSED_FAILING, InactiveReason.PAUSED_GONE)


class HealthState(models.TextChoices):
    """A webhook's health (docs/delivery.md, "When a webhook keeps failing")."""

    HEALTHY = "healthy", _("Healthy")
    FAILING = "failing", _("Failing")
    PAUSED = "paused", _("Paused")
