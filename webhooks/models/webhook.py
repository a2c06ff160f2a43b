"""A webhook: its configuration (checked by webhooks.rules), the state of its delivery queue
(kept by the engine, docs/delivery.md) and its health; which webhooks an event is for."""

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Collate, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.ids import new_object_id
from events.models import Company, Group, Survey, Workflow
from webhooks import rules, subscription
from webhooks.alert_signals import ALERT_KINDS
from webhooks.choices import (
    PAUSED_REASONS,
    HealthState,
    InactiveReason,
    Ordering,
    Trigger,
)
from webhooks.engine.signing import secret_generate
from webhooks.fields import EncryptedTextField
from webhooks.models.delivery import Delivery

TRIGGER_BY_EVENT_TYPE = {
    "COTUser": Trigger.USER,
    "COTTask": Trigger.TASK,
    "COTSurvey": Trigger.SURVEY,
    "COTProperty": Trigger.PROPERTY,
    "COTNote": Trigger.NOTE,
    "Auth": Trigger.LOGOUT,
}
EVENT_TYPE_BY_TRIGGER: dict[str, str] = {
    trigger: event_type for event_type, trigger in TRIGGER_BY_EVENT_TYPE.items()
}
# Alerts (webhooks.alert_signals.ALERT_KINDS) route to the company's operational webhook only;
# a test event sent to it has the type "webhook.test".
TRIGGER_BY_EVENT_TYPE.update({kind: Trigger.ALERTS for kind in ALERT_KINDS})
EVENT_TYPE_BY_TRIGGER[Trigger.ALERTS] = "webhook.test"
# The `data` keys of an event type that a webhook's context filters on.
CONTEXT_KEYS = {"COTTask": ("taskGroup",), "COTSurvey": ("surveyId", "group")}


def queue_free(now) -> Q:
    """A webhook whose queue a drain may lease: active, and no drain holds it (or the
    holder's lease expired: it crashed). A paused webhook is inactive: its queue waits
    (docs/delivery.md, "When a webhook keeps failing")."""
    return (Q(leased_until__isnull=True) | Q(leased_until__lte=now)) & Q(is_active=True)


class WebhookQuerySet(models.QuerySet):
    def for_company(self, company_id: str | None) -> "WebhookQuerySet":
        return self.filter(company_id=company_id)

    def regular(self) -> "WebhookQuerySet":
        """The webhooks administrators create: not the operational (alerts) webhook, which the
        lists leave out and the alerts settings manage (docs/api.md, "Operational webhooks")."""
        return self.exclude(trigger=Trigger.ALERTS)

    # Writes that send no post_save still tell the route table (webhooks.engine.routes).
    def update(self, **kwargs) -> int:
        from webhooks.engine import routes

        updated = super().update(**kwargs)
        if routes.ROUTE_FIELDS.intersection(kwargs):
            routes.routes_written(company_id=None)
        return updated

    def bulk_create(self, objs, *args, **kwargs) -> list:
        from webhooks.engine import routes

        objs = super().bulk_create(objs, *args, **kwargs)
        routes.routes_written(company_id=None)
        return objs

    def by_name(self) -> "WebhookQuerySet":
        """By name as people sort names, not by code point ("a_logout" before "Demo: tasks"):
        PostgreSQL's ICU root collation (case, then accents, weigh less than letters: "Órdenes"
        next to "ordenes"); elsewhere the lower-cased name (SQLite folds ASCII case only). The
        name as written, then the id, break ties."""
        postgresql = connections[self.db].vendor == "postgresql"
        name = Collate("name", "und-x-icu") if postgresql else Lower("name")
        return self.order_by(name, "name", "id")

    def wakeable(self, now) -> "WebhookQuerySet":
        """Queues the delivery clock must ring: a retry fell due, or a drain's lease expired,
        and no clock rang them since (or so long ago that the doorbell must have been lost).
        Both branches read a partial index on the webhook table only."""
        lost = now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER)
        woken = Q(wake_at__lte=now) & (Q(rung_at__isnull=True) | Q(rung_at__lt=F("wake_at")))
        expired = Q(leased_until__lte=now) & (Q(rung_at__isnull=True) | Q(rung_at__lt=F("leased_until")))
        stale = (Q(wake_at__lte=now) | Q(leased_until__lte=now)) & Q(rung_at__lt=lost)
        return self.filter(woken | expired | stale, is_active=True)

    def idle_with_old_head(self, now) -> "WebhookQuerySet":
        """Queues no drain holds or waits for, whose head was created before the sweep age:
        a doorbell lost between commit and ring. One index probe per webhook, whatever
        the backlog."""
        lost = now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER)
        head = Delivery.objects.queue(OuterRef("pk")).values("created_at")[:1]
        return (
            self.idle_unrung(now)
            .annotate(head_created_at=Subquery(head))
            .filter(head_created_at__lt=lost)
            .order_by()
        )

    def idle_with_due_head(self, now) -> "WebhookQuerySet":
        """Active queues no drain holds whose head may be sent now: after a broker outage
        every one of them may have lost its ring. One index probe per webhook."""
        head = Delivery.objects.queue(OuterRef("pk")).values("next_attempt_at")[:1]
        return (
            self.filter(is_active=True, leased_until__isnull=True)
            .annotate(head_due_at=Subquery(head))
            .filter(head_due_at__lte=now)
            .order_by()
        )

    def idle_unrung(self, now) -> "WebhookQuerySet":
        """Active queues no drain holds or waits for, not rung by a clock for the sweep age."""
        lost = now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER)
        return self.filter(is_active=True, leased_until__isnull=True, wake_at__isnull=True).filter(
            Q(rung_at__isnull=True) | Q(rung_at__lt=lost)
        )

    def routed(self, event: dict) -> "WebhookQuerySet":
        """The webhooks this event goes to: its route and their subscriptions
        (webhooks.engine.routing, where the rule is written)."""
        from webhooks.engine.routing import routed_webhooks  # the engine imports the models

        return routed_webhooks(self, event)


def routed() -> Q:
    """Webhooks that get new events: the active ones and the paused ones (whose queue waits)."""
    return Q(is_active=True) | Q(inactive_reason__in=PAUSED_REASONS)


# Webhook columns that only the delivery engine writes (docs/delivery.md): its queue's state, and
# the run of failed deliveries (webhooks.engine.failing).
QUEUE_FIELDS = ("ring_queued", "leased_until", "lease_token", "lease_taken_over", "wake_at", "rung_at")
HEALTH_FIELDS = ("failed_in_a_row", "failing_since", "last_error", "last_status_code", "run_alerted")
ENGINE_FIELDS = QUEUE_FIELDS + HEALTH_FIELDS


class Webhook(models.Model):
    # Not columns: what clean() compares with (the URL and code it was saved with; the header
    # values given since, by lower-cased name).
    _saved_url: str | None
    _saved_code: str | None
    _header_values_given: set[str]

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("company")
    )
    # The rules of each field are webhooks.rules' (lengths, validators, messages: clean_fields()).
    name = models.CharField(max_length=rules.NAME_MAX, verbose_name=_("name"))
    code = models.CharField(
        max_length=rules.CODE_MAX, validators=[rules.code_validator], verbose_name=_("code")
    )
    url = models.URLField(
        max_length=rules.URL_MAX, validators=[rules.http_url_validator], verbose_name=_("url")
    )
    description = models.TextField(
        blank=True, max_length=rules.DESCRIPTION_MAX, verbose_name=_("description")
    )
    trigger = models.CharField(
        max_length=40, choices=Trigger.choices, default=Trigger.USER, verbose_name=_("trigger")
    )
    workflow = models.ForeignKey(
        Workflow,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("workflow"),
    )
    survey = models.ForeignKey(
        Survey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("survey"),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("group"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    # What it subscribes to (webhooks.subscription): some actions, and for edits some fields.
    events = models.JSONField(
        default=subscription.default_events, blank=True, verbose_name=_("events")
    )  # clean() says why
    fields = models.JSONField(default=list, blank=True, verbose_name=_("fields"))
    # How its deliveries are ordered; in `object` mode, how many may be in flight at once.
    ordering = models.CharField(
        max_length=10, choices=Ordering.choices, default=Ordering.WEBHOOK, verbose_name=_("ordering")
    )
    max_in_flight = models.PositiveSmallIntegerField(
        default=rules.MAX_IN_FLIGHT_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(rules.MAX_IN_FLIGHT_LIMIT)],
        verbose_name=_("max in flight"),
    )
    # Deliveries up to this id were queued before the webhook last switched to `object` mode:
    # they keep the webhook's order (set by save(), never by a form).
    per_object_after = models.BigIntegerField(default=0, editable=False)
    # Why the product deactivated it (empty when an administrator did, or when it is active).
    inactive_reason = models.CharField(
        max_length=40,
        choices=InactiveReason.choices,
        blank=True,
        default="",
        verbose_name=_("inactive reason"),
    )
    # The state of the webhook's delivery queue, kept by the engine (docs/delivery.md):
    # with the ORM broker, a drain task is queued and has not started (further doorbells
    # would only add idle tasks);
    ring_queued = models.BooleanField(default=False, editable=False)
    # a drain holds the queue until then (`lease_token` says which one);
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    # the holder took the queue from a drain whose lease ran out unreleased: that drain's
    # worker stopped answering, maybe mid-request, so its first sends may be resends;
    lease_taken_over = models.BooleanField(default=False, editable=False)
    # the head waits for its retry until then;
    wake_at = models.DateTimeField(null=True, blank=True, editable=False)
    # when a clock (or a drain out of budget) last rang the queue.
    rung_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Its health, kept by the engine (webhooks.engine.failing): the run of consecutive deliveries
    # that ended FAILED (a success ends it), since when, and the last failure (an English reason,
    # webhooks.engine.http.Reason, and the HTTP status if one came). A run is open while
    # `failing_since` is set (a 410 opens one with no failed delivery); `run_alerted`: a failing or
    # paused alert went out for it, so its end is a recovery.
    failed_in_a_row = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, default="", editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    run_alerted = models.BooleanField(default=False, editable=False)
    # Encrypted at rest (webhooks.crypto): the product must read them back to sign.
    secret = EncryptedTextField(default=secret_generate, editable=False)
    previous_secret = EncryptedTextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Custom request headers (receiver authentication), a JSON object of name to value,
    # encrypted as a whole: the values are credentials. Read and write through the methods.
    sealed_headers = EncryptedTextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    modified_at = models.DateTimeField(auto_now=True, verbose_name=_("modified at"))

    objects = WebhookQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="webhook_code_unique")]
        indexes = [
            models.Index(fields=["company", "trigger", "is_active"]),
            # The panel list: a company's webhooks by name, read a page at a time.
            models.Index(fields=["company", "name", "id"]),
            # The delivery clock's questions: whose retry fell due, whose drain died.
            models.Index(fields=["wake_at"], condition=Q(wake_at__isnull=False), name="webhook_wake_at"),
            models.Index(
                fields=["leased_until"], condition=Q(leased_until__isnull=False), name="webhook_leased_until"
            ),
            # ... and which idle queues to sweep for a lost doorbell.
            models.Index(
                fields=["rung_at"],
                condition=Q(is_active=True, leased_until__isnull=True, wake_at__isnull=True),
                name="webhook_idle_rung_at",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The queue state belongs to the engine, which writes it with conditional updates
        # while this instance may be minutes old: a configuration save never writes it back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in ENGINE_FIELDS
            ]
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (update_fields is None or "ordering" in update_fields):
            self.per_object_after = self._per_object_boundary()
            if update_fields is not None and "per_object_after" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "per_object_after"]
        super().save(*args, **kwargs)
        self._saved_url, self._saved_code, self._header_values_given = self.url, self.code, set()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The receiver the stored header values were given for (clean(): a new one needs them again).
        instance._saved_url = instance.__dict__.get("url")
        # The code it was saved with (clean(): a code never changes once saved).
        instance._saved_code = instance.__dict__.get("code")
        return instance

    def _per_object_boundary(self) -> int:
        """On a switch to `object` mode, what is already queued keeps the webhook's order: the
        newest delivery id at the switch (docs/delivery.md, "Switching modes"); else as stored."""
        stored = Webhook.objects.filter(pk=self.pk).values_list("ordering", "per_object_after").first()
        if stored is None:
            return self.per_object_after
        if self.ordering == Ordering.OBJECT and stored[0] != Ordering.OBJECT:
            return Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return stored[1]

    def clean_fields(self, exclude=None) -> None:
        """Each field's own rules (its length, its validators), said in the rules' words."""
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = {
                field: rules.field_errors_worded(field, found) for field, found in error.error_dict.items()
            }
        for name in rules.EXTRA_VALIDATORS:
            if name not in errors and name not in (exclude or ()):
                try:
                    rules.field_check(self._meta.get_field(name), getattr(self, name))
                except ValidationError as error:
                    errors[name] = error.error_list
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        """The rules between fields: the context its trigger needs (of its company; cleared for
        other triggers), a code unique in the company and fixed once saved, the custom headers,
        the subscription."""
        if self.trigger != Trigger.TASK:
            self.workflow = None
        if self.trigger != Trigger.SURVEY:
            self.survey = self.group = None
        # An inactive webhook may lack its context (its workflow was deleted): it stays editable
        # until an administrator points it elsewhere; activate() requires the context again.
        errors: dict[str, Any] = self.missing_context() if self.is_active else {}
        saved_code = getattr(self, "_saved_code", None)
        duplicate = Webhook.objects.for_company(self.company_id).filter(code=self.code).exclude(pk=self.pk)
        if saved_code is not None and self.code != saved_code:
            errors["code"] = ValidationError(rules.CODE_IMMUTABLE, code="immutable")
        elif self.code and duplicate.exists():
            errors["code"] = ValidationError(rules.CODE_TAKEN, code="unique")
        for name in ("workflow", "survey", "group"):
            related = getattr(self, name)
            if related is not None and related.company_id != self.company_id:
                errors[name] = rules.CONTEXT_OF_ANOTHER_COMPANY[name]
        try:
            rules.receiver_headers_validator(self.receiver_headers())
        except ValidationError as error:
            errors["headers"] = error.error_list
        carried = self.header_values_carried_to_a_new_receiver()
        if carried:
            errors.setdefault("headers", []).append(rules.header_values_carried(carried))
        errors.update(self._clean_subscription())
        if errors:
            raise ValidationError(errors)

    def _clean_subscription(self) -> dict[str, list[ValidationError]]:
        """Normalize `events` and `fields` (canonical order, each once); their errors."""
        errors = {}
        try:
            self.events = subscription.events_normalized(self.events)
        except ValidationError as error:
            errors["events"] = error.error_list
            return errors
        try:
            self.fields = subscription.fields_normalized(
                self.fields,
                event_type=EVENT_TYPE_BY_TRIGGER.get(self.trigger),
                events=self.events,
            )
        except ValidationError as error:
            errors["fields"] = error.error_list
        return errors

    @property
    def is_alerts(self) -> bool:
        """The company's operational webhook (webhooks.alerts), not one an administrator made."""
        return self.trigger == Trigger.ALERTS

    def wants_everything(self) -> bool:
        return subscription.wants_everything(self.events, self.fields)

    def missing_context(self) -> dict[str, Any]:
        """The context fields its trigger requires and it lacks, with their messages."""
        required = rules.REQUIRED_CONTEXT.get(self.trigger, ())
        return {
            name: rules.CONTEXT_REQUIRED[name] for name in required if getattr(self, f"{name}_id") is None
        }

    def activate(self) -> None:
        """ValidationError (field errors) when its trigger's context is missing."""
        missing = self.missing_context()
        if missing:
            raise ValidationError(missing)
        self.is_active, self.inactive_reason = True, ""
        self.save(update_fields=["is_active", "inactive_reason", "modified_at"])

    def deactivate(self) -> None:
        self.is_active, self.inactive_reason = False, ""
        self.save(update_fields=["is_active", "inactive_reason", "modified_at"])

    @property
    def is_paused(self) -> bool:
        return not self.is_active and self.inactive_reason in PAUSED_REASONS

    @property
    def health_state(self) -> str:
        """Paused, failing (the run of failed deliveries reached WEBHOOK_FAILING_AFTER), or healthy."""
        if self.is_paused:
            return HealthState.PAUSED
        if self.failed_in_a_row >= settings.WEBHOOK_FAILING_AFTER:
            return HealthState.FAILING
        return HealthState.HEALTHY

    def receiver_headers(self) -> dict[str, str]:
        return json.loads(self.sealed_headers) if self.sealed_headers else {}

    def replace_receiver_headers(self, given: dict[str, str | None]) -> None:
        """Replace the custom headers (checked by clean()); a None value keeps the value stored
        under that name, so a client can send back the names it read without their values."""
        stored = {name.lower(): value for name, value in self.receiver_headers().items()}
        headers = {
            name: stored.get(name.lower(), "") if value is None else value for name, value in given.items()
        }
        self.sealed_headers = json.dumps(headers, ensure_ascii=False) if headers else ""
        self._header_values_given = {name.lower() for name, value in given.items() if value is not None}

    def header_values_carried_to_a_new_receiver(self) -> list[str]:
        """The headers whose stored values would go to another receiver than the one they were
        given for: the URL's scheme, host or port changed and no new value came with the change.
        A staff user who may edit the URL must not be able to send the credential to themselves."""
        saved_url = getattr(self, "_saved_url", None)
        if saved_url is None or rules.url_origin(saved_url) == rules.url_origin(self.url):
            return []
        given: set[str] = getattr(self, "_header_values_given", set())
        return [name for name in self.receiver_headers() if name.lower() not in given]

    def header_names(self) -> list[str]:
        return list(self.receiver_headers())

    def signing_secrets(self) -> list[str]:
        """The current secret, plus the previous one while a rotation is in its grace period."""
        active = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > timezone.now()
        ):
            active.append(self.previous_secret)
        return active

    def rotate_secret(self) -> None:
        grace = timedelta(seconds=settings.WEBHOOK_SECRET_ROTATION_GRACE)
        self.previous_secret = self.secret
        self.previous_secret_expires_at = timezone.now() + grace
        self.secret = secret_generate()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "modified_at"])
