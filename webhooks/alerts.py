"""Telling people that a webhook keeps failing (docs/delivery.md, "When a webhook keeps failing").

The engine sends `webhooks.alert_signals.webhook_alert` once per health transition, after it has
committed. `webhook_alert_received` (connected in webhooks.apps) turns each into:

- an event of the alert's type (`webhook.paused`, ...) for the company, stored by the ordinary
  capture path (`events.services.event_emit` → the router), which routes these types to the
  company's operational webhook only (Trigger.ALERTS): queued, ordered, retried, signed and
  logged by the same engine as every other delivery (docs/api.md, "Operational webhooks");
- for failing, paused and recovered, a django-q2 task (`webhooks.tasks.alert_email_send`),
  enqueued on commit with ids, that mails each staff administrator of the company in their
  language. No SMTP on the delivery path: a mail server that is down or slow costs a task
  worker, never a drain, and its failure is logged.

The operational webhook raises no alerts about itself (`alerts_apply_to`): its own failures
would otherwise queue alerts to itself, for ever.
"""

import logging
from datetime import UTC
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_q.tasks import async_task

from events.models import Company, User
from events.services import event_emit
from webhooks.alert_signals import (
    ALERT_KINDS,
    DELIVERY_EXHAUSTED,
    WEBHOOK_FAILING,
    WEBHOOK_PAUSED,
    WEBHOOK_RECOVERED,
)
from webhooks.engine.http import url_host
from webhooks.failure_reasons import failure_reason_display
from webhooks.models import ALERTS_CODE, Trigger, Webhook

log = logging.getLogger(__name__)

# Alerts that are emailed too; a delivery that used up its attempts goes to the operational
# webhook only (one email per failed delivery would be the flood this feature prevents).
EMAILED_KINDS = (WEBHOOK_FAILING, WEBHOOK_PAUSED, WEBHOOK_RECOVERED)
# The operational webhook's name, stored in English like the product's other stored values.
ALERTS_WEBHOOK_NAME = "Operational alerts"
EMAIL_SUBJECTS = {
    WEBHOOK_FAILING: _("Webhook “%(name)s” is failing"),
    WEBHOOK_PAUSED: _("Webhook “%(name)s” was paused"),
    WEBHOOK_RECOVERED: _("Webhook “%(name)s” is delivering again"),
}


# --- the operational webhook -------------------------------------------------------------


def alerts_apply_to(webhook: Webhook) -> bool:
    """Whether a webhook's health raises alerts (emails, operational events, and the engine's
    auto-pause notices): every webhook but the operational one, whose alerts would go to itself."""
    return webhook.trigger != Trigger.ALERTS


def alerts_webhook(*, company_id: str) -> Webhook | None:
    """The company's operational webhook, if it set an alerts URL."""
    return Webhook.objects.filter(company_id=company_id, trigger=Trigger.ALERTS).first()


def alerts_webhook_set(*, company: Company, url: str | None) -> Webhook | None:
    """Set the company's alerts URL: the first one creates its operational webhook (a secret of
    its own, rotatable like any webhook's), another changes its URL, and an empty one deletes it,
    with its logs and whatever alerts were still queued. Setting a URL (the same one too) activates
    an operational webhook the engine paused, and what waited is delivered, in order. Returns the
    webhook (None when cleared).
    ValidationError with `url` errors for a URL a webhook could not have."""
    url = (url or "").strip()
    with transaction.atomic():
        webhook = (
            Webhook.objects.select_for_update().filter(company_id=company.pk, trigger=Trigger.ALERTS).first()
        )
        if not url:
            if webhook is not None:
                webhook.delete()
            return None
        if webhook is not None:
            webhook.url = url
            # `code` is the system's own, which the rule of administrators' codes refuses.
            webhook.full_clean(exclude=["code"])
            webhook.save()
            if not webhook.is_active:  # paused (its receiver kept failing): what waited goes, in order
                # Imported here: the engine imports this module (alerts_apply_to), and the
                # services import the engine.
                from webhooks import services

                services.webhook_set_active(webhook=webhook, active=True)
            return webhook
        webhook = Webhook(
            company=company, name=ALERTS_WEBHOOK_NAME, code=ALERTS_CODE, url=url, trigger=Trigger.ALERTS
        )
        webhook.full_clean(exclude=["code"], validate_constraints=False)
        try:
            with transaction.atomic():
                webhook.save()
        except IntegrityError:
            webhook = None  # a concurrent call created it first
    if webhook is None:
        return alerts_webhook_set(company=company, url=url)  # now an update of that one
    return webhook


# --- raising an alert --------------------------------------------------------------------


def settings_url(webhook: Webhook) -> str:
    """The absolute address of a webhook's settings page in the panel (SITE_URL)."""
    return settings.SITE_URL + reverse("webhooks:edit", args=[webhook.pk])


def alert_data(*, webhook: Webhook, kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """The `data` of an operational event: the webhook and its health, camelCase, no secret
    (its URL only as host and port)."""
    data = {
        "webhookId": webhook.pk,
        "name": webhook.name,
        "urlHost": url_host(webhook.url),
        "failures": int(details.get("failures") or 0),
        "since": details.get("since"),
        "lastError": details.get("last_error") or "",
        "statusCode": details.get("status_code"),
        "settingsUrl": settings_url(webhook),
    }
    if kind == DELIVERY_EXHAUSTED:
        data["deliveryId"] = details.get("delivery_id")
    return data


def alert_event_emit(*, webhook: Webhook, kind: str, details: dict[str, Any]) -> dict[str, Any] | None:
    """Store the alert as an event of the company, which capture routes to its operational
    webhook (and to nothing else); None when the company has no alerts URL."""
    return event_emit(
        company_id=webhook.company_id,
        type=kind,
        event=kind.split(".", 1)[1],  # webhook.paused -> paused, like a COTEvent's action
        data=alert_data(webhook=webhook, kind=kind, details=details),
    )


def alert_raise(*, webhook_id: str, kind: str, details: dict[str, Any]) -> None:
    """Tell people about one health transition of a webhook: its operational event now (one
    insert), its emails from a task queued on commit."""
    if kind not in ALERT_KINDS:
        log.warning("alert of an unknown kind %r for webhook %s ignored", kind, webhook_id)
        return
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None or not alerts_apply_to(webhook):
        return
    alert_event_emit(webhook=webhook, kind=kind, details=details)
    if kind in EMAILED_KINDS:
        transaction.on_commit(
            partial(async_task, "webhooks.tasks.alert_email_send", webhook_id, kind, details), robust=True
        )


def webhook_alert_received(
    sender, *, webhook_id: str, kind: str, details: dict | None = None, **kwargs
) -> None:
    """The `webhook_alert` receiver. It runs in the engine's process, after the engine's commit:
    whatever goes wrong here is logged and never reaches the drain that sent the signal."""
    try:
        alert_raise(webhook_id=webhook_id, kind=kind, details=dict(details or {}))
    except Exception:
        log.exception("alert %s of webhook %s not raised", kind, webhook_id)


# --- emails ------------------------------------------------------------------------------


def alert_recipients(*, company_id: str) -> list[User]:
    """The company's staff administrators (who may use the panel) with an email address."""
    return list(
        User.objects.filter(company_id=company_id, is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("email")
    )


def _since_display(since: str | None) -> str:
    moment = parse_datetime(since) if since else None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def alert_email(*, webhook: Webhook, kind: str, details: dict[str, Any], user: User) -> EmailMessage:
    """One administrator's email about a transition, in their language (User.language)."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "kind": kind.split(".", 1)[1],
            "name": webhook.name,
            "host": url_host(webhook.url),
            "failures": int(details.get("failures") or 0),
            "since": _since_display(details.get("since")),
            "reason": str(failure_reason_display(details.get("last_error") or "")),
            "status_code": details.get("status_code"),
            "settings_url": settings_url(webhook),
        }
        subject = str(EMAIL_SUBJECTS[kind]) % {"name": webhook.name}
        body = render_to_string("webhooks/email/alert.txt", context)
    # RFC 3834: an automatic message, to which auto-responders should not answer.
    return EmailMessage(subject, body, to=[user.email], headers={"Auto-Submitted": "auto-generated"})


def alert_emails_send(*, webhook_id: str, kind: str, details: dict[str, Any]) -> int:
    """Mail an alert to each staff administrator of the webhook's company, one message each, over
    one SMTP session; returns how many were sent. A mail failure is logged, never raised."""
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None or kind not in EMAILED_KINDS or not alerts_apply_to(webhook):
        return 0
    messages = [
        alert_email(webhook=webhook, kind=kind, details=details, user=user)
        for user in alert_recipients(company_id=webhook.company_id)
    ]
    if not messages:
        return 0
    try:
        with get_connection() as connection:
            sent = connection.send_messages(messages) or 0
    except Exception as error:  # the SMTP server refused, or is down: nothing else to undo
        log.warning(
            "alert %s of webhook %s: %d emails not sent (%s: %s)",
            kind,
            webhook_id,
            len(messages),
            type(error).__name__,
            error,
        )
        return 0
    log.info("alert %s of webhook %s: %d emails sent", kind, webhook_id, sent)
    return sent
