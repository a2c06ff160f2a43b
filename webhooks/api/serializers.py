"""REST API shapes: Cotalker's COTWebhook and COTWebhookLog, camelCase in and out.

Output serializers are read-only renderings of the models (`_id`, ObjectId
strings, ISO-8601 UTC dates with milliseconds and `Z`). Input serializers are
strict: a string field takes only a JSON string, a boolean only a JSON
boolean, so a wrong type is a 400 rather than a silent conversion.
"""

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from events.cot import iso
from events.models import Group, Survey, Workflow
from webhooks.api.fields import (
    ActionListField,
    ModelRuleCharField,
    ModelRuleIntegerField,
    ObjectIdOrBlankField,
    ReceiverHeadersField,
    StrictBooleanField,
    StrictCharField,
    StrictURLField,
)
from webhooks.models import PUBLIC_TRIGGER_CHOICES, Delivery, HealthState, Ordering, Webhook
from webhooks.rules import (
    MAX_IN_FLIGHT_DEFAULT,
    MAX_IN_FLIGHT_LIMIT,
)
from webhooks.services import Backlog
from webhooks.subscription import ACTIONS, FIELDS_MAX

EVENTS_HELP = (
    "Our extension: the actions sent, a non-empty subset of create, edit and delete (all by "
    "default). A logout webhook gets every logout whatever it holds."
)
FIELDS_HELP = (
    "Our extension: for edits, only those changing one of these JSON pointers of the trigger's "
    "data, or a field under one (`/name` matches a `/name/displayName` edit); empty: any edit. "
    "Needs `edit` in `events`; none for the logout trigger."
)
ORDERING_HELP = (
    "Our extension: what deliveries are ordered by. `webhook` (the default, Cotalker's behaviour): "
    "one delivery in flight at a time, in event order. `object`: the events about the same object "
    "(task, user, survey answer, element, note) are delivered in order, one at a time, while events "
    "about different objects may be in flight together, up to `maxInFlight`."
)
MAX_IN_FLIGHT_HELP = (
    "Our extension: in `object` ordering, how many deliveries may be in flight at once "
    f"(1-{MAX_IN_FLIGHT_LIMIT}, {MAX_IN_FLIGHT_DEFAULT} by default); unused in `webhook` ordering."
)

RESULT_BY_STATE: dict[str, str] = {
    Delivery.State.SUCCESS: "SUCCESS",
    Delivery.State.FAILED: "FAILED",
    Delivery.State.PENDING: "PENDING",
    Delivery.State.SKIPPED: "SKIPPED",
}


# ---------------------------------------------------------------------------
# Output: COTWebhook and COTWebhookLog


class WebhookContextSerializer(serializers.Serializer):
    survey = serializers.CharField(help_text='ObjectId of the survey, or "" when not a survey trigger.')
    group = serializers.CharField(help_text='ObjectId of the group, or "" when not a survey trigger.')
    taskGroup = serializers.CharField(help_text='ObjectId of the workflow, or "" when not a task trigger.')


class WebhookHealthSerializer(serializers.Serializer):
    """Our extension: how the webhook's deliveries are going (docs/delivery.md, "When a webhook
    keeps failing")."""

    state = serializers.ChoiceField(
        choices=HealthState.values,
        help_text="`healthy`; `failing`: the last `failedInARow` deliveries (at least "
        "WEBHOOK_FAILING_AFTER, 3) ended FAILED; `paused`: the product paused it (`isActive` false, "
        "`inactiveReason` says why): nothing is sent, events keep queuing until it is resumed.",
    )
    failedInARow = serializers.IntegerField(
        min_value=0, help_text="Deliveries in a row that ended FAILED (retries exhausted); 0 after a success."
    )
    since = serializers.CharField(
        allow_null=True, help_text="When the run of failures began (ISO-8601 UTC), or null."
    )
    lastError = serializers.CharField(
        allow_null=True,
        help_text='The last failure\'s reason, in English ("connection refused", "the receiver '
        'answered HTTP 503"), or null when no run of failures is open.',
    )
    lastStatus = serializers.IntegerField(
        allow_null=True, help_text="The last failure's HTTP status, or null (no response, or no failure)."
    )


def health_of(webhook: Webhook) -> dict:
    run_open = webhook.failing_since is not None
    return {
        "state": str(webhook.health_state),
        "failedInARow": webhook.failed_in_a_row,
        "since": iso(webhook.failing_since) if run_open else None,
        "lastError": webhook.last_error if run_open else None,
        "lastStatus": webhook.last_status_code if run_open else None,
    }


class WebhookSerializer(serializers.Serializer):
    """A webhook in Cotalker's COTWebhook shape (plus createdAt/modifiedAt). Never the secret."""

    _id = serializers.CharField(label="_id", help_text="The webhook's ObjectId (the panel's Identifier).")
    company = serializers.CharField()
    isActive = serializers.BooleanField()
    trigger = serializers.ChoiceField(choices=PUBLIC_TRIGGER_CHOICES)
    url = serializers.CharField()
    name = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()
    # The API's keys `context` and `fields`: DRF's metaclass moves declared fields into
    # self.fields, so the attributes keep their base classes' types.
    context: Any = WebhookContextSerializer()
    createdAt = serializers.CharField(help_text="ISO-8601 UTC, milliseconds, Z.")
    modifiedAt = serializers.CharField(help_text="ISO-8601 UTC, milliseconds, Z.")
    inactiveReason = serializers.CharField(
        help_text="Our extension: why the product deactivated the webhook (its workflow, survey or "
        "group was deleted; it was paused because its deliveries kept failing, or its receiver answered "
        '410 Gone), or "". Activating it again needs a context of its trigger; a paused one is resumed '
        "with `POST /{id}/resume`."
    )
    health = WebhookHealthSerializer(help_text="Our extension: the run of failed deliveries.")
    headers = ReceiverHeadersField(
        help_text="Our extension: the custom request headers' names, each with null: values are "
        "write-only (stored encrypted, never returned)."
    )
    events = serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS), help_text=EVENTS_HELP)
    fields: Any = serializers.ListField(child=serializers.CharField(), help_text=FIELDS_HELP)
    ordering = serializers.ChoiceField(choices=Ordering.values, help_text=ORDERING_HELP)
    maxInFlight = ModelRuleIntegerField(model_field="max_in_flight", help_text=MAX_IN_FLIGHT_HELP)

    def to_representation(self, webhook: Webhook) -> dict:
        return {
            "_id": webhook.pk,
            "company": webhook.company_id,
            "isActive": webhook.is_active,
            "trigger": webhook.trigger,
            "url": webhook.url,
            "name": webhook.name,
            "code": webhook.code,
            "description": webhook.description,
            "context": {
                "survey": webhook.survey_id or "",
                "group": webhook.group_id or "",
                "taskGroup": webhook.workflow_id or "",
            },
            "createdAt": iso(webhook.created_at),
            "modifiedAt": iso(webhook.modified_at),
            "inactiveReason": str(webhook.get_inactive_reason_display()) if webhook.inactive_reason else "",
            "headers": dict.fromkeys(webhook.header_names()),
            "events": list(webhook.events),
            "fields": list(webhook.fields),
            "ordering": webhook.ordering,
            "maxInFlight": webhook.max_in_flight,
            "health": health_of(webhook),
        }


class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    startedAt = serializers.CharField()
    durationMs = serializers.IntegerField()
    status = serializers.IntegerField(allow_null=True, help_text="HTTP status, or null when no response.")
    response = serializers.CharField(help_text="The response body (capped) as received.")
    responseTruncated = serializers.BooleanField()
    error = serializers.CharField(help_text='Connection/TLS/timeout error text, "" when a response came.')
    resent = serializers.BooleanField(
        help_text=(
            "Sent by a worker that took the queue over from one that stopped answering: "
            "the receiver may have got this delivery before (de-duplicate on webhook-id)."
        )
    )
    retryAfter = serializers.IntegerField(
        allow_null=True,
        help_text="The receiver answered 429 or 503 with Retry-After: the next attempt waited this "
        "many seconds (its Retry-After, at least the retry delay, at most WEBHOOK_RETRY_AFTER_MAX, "
        "1 h by default); null otherwise.",
    )


class WebhookLogSerializer(serializers.Serializer):
    """One delivery in Cotalker's COTWebhookLog shape, plus result, kind and per-attempt detail."""

    _id = serializers.CharField(label="_id", help_text="The log's ObjectId.")
    company = serializers.CharField()
    createdAt = serializers.CharField(help_text="ISO-8601 UTC, milliseconds, Z.")
    event = serializers.JSONField(help_text="The COTEvent that was (or will be) POSTed.")
    retry = serializers.IntegerField(help_text="Number of attempts made so far (at most 3).")
    subscription = serializers.CharField(help_text="The webhook's ObjectId.")
    response = serializers.CharField(help_text="Response body of the last attempt, or its error text.")
    status = serializers.IntegerField(allow_null=True, help_text="HTTP status of the last attempt.")
    result = serializers.ChoiceField(
        choices=["SUCCESS", "FAILED", "PENDING", "SKIPPED"],
        help_text="SKIPPED: a resume of the paused webhook skipped it; never sent, redeliverable.",
    )
    kind = serializers.ChoiceField(choices=Delivery.Kind.values)
    attempts = AttemptSerializer(many=True)

    def to_representation(self, delivery: Delivery) -> dict:
        try:
            event = json.loads(delivery.event.body)
        except ValueError:
            event = delivery.event.body
        return {
            "_id": delivery.object_id,
            "company": delivery.company_id,
            "createdAt": iso(delivery.created_at),
            "event": event,
            "retry": delivery.attempts,
            "subscription": delivery.webhook_id,
            "response": delivery.response,
            "status": delivery.status_code,
            "result": RESULT_BY_STATE.get(delivery.state, str(delivery.state).upper()),
            "kind": delivery.kind,
            "attempts": [
                {
                    "number": attempt.number,
                    "startedAt": iso(attempt.started_at),
                    "durationMs": attempt.duration_ms,
                    "status": attempt.status_code,
                    "response": attempt.response_body,
                    "responseTruncated": attempt.response_truncated,
                    "error": attempt.error,
                    "resent": attempt.after_lost_lease,
                    "retryAfter": attempt.retry_after,
                }
                for attempt in delivery.attempt_set.all()
            ],
        }


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="whsec_ + base64 key; verify with the standardwebhooks library.")
    previousSecretExpiresAt = serializers.CharField(
        allow_null=True,
        help_text="While a rotation's grace period runs, the previous secret still signs until this time.",
    )

    def to_representation(self, webhook: Webhook) -> dict:
        in_grace = webhook.previous_secret in webhook.signing_secrets()[1:]
        return {
            "secret": webhook.secret,
            "previousSecretExpiresAt": iso(webhook.previous_secret_expires_at) if in_grace else None,
        }


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# ---------------------------------------------------------------------------
# Input


def unknown_keys_refused(data: dict, known, ignored=frozenset()) -> None:
    """A key no field reads is a 400 naming it: a typo (`descripton`) must not pass silently."""
    unknown = sorted(set(data) - set(known) - set(ignored))
    if unknown:
        raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})


# Per context key: written out whole, each with its own translation.
NOT_IN_COMPANY = {
    "taskGroup": _("No workflow with this id in your company."),
    "survey": _("No survey with this id in your company."),
    "group": _("No group with this id in your company."),
}
INACTIVE = {
    "taskGroup": _("This workflow is inactive."),
    "survey": _("This survey is inactive."),
    "group": _("This group is inactive."),
}


class WebhookContextInputSerializer(serializers.Serializer):
    taskGroup = ObjectIdOrBlankField(help_text="Workflow ObjectId; required for the task trigger.")
    survey = ObjectIdOrBlankField(help_text="Survey ObjectId; required for the survey trigger.")
    group = ObjectIdOrBlankField(help_text="Group ObjectId; required for the survey trigger.")

    # context key -> (model field on Webhook, model class)
    TARGETS: dict[str, tuple[str, type[Workflow | Survey | Group]]] = {
        "taskGroup": ("workflow", Workflow),
        "survey": ("survey", Survey),
        "group": ("group", Group),
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown_keys_refused(data, self.fields)
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        """Resolve each id to a row of the caller's company (else a field error)."""
        company_id = self.context["company_id"]
        resolved: dict[str, Any] = {}
        errors: dict[str, list] = {}
        for key, value in attrs.items():
            field, model = self.TARGETS[key]
            if not value:
                resolved[field] = None
                continue
            row = model._default_manager.filter(company_id=company_id, pk=value).first()
            if row is None:
                errors[key] = [NOT_IN_COMPANY[key]]
            elif not row.is_active:
                # As in the panel, which offers active ones only: an inactive one produces no events.
                errors[key] = [INACTIVE[key]]
            resolved[field] = row
        if errors:
            raise serializers.ValidationError(errors)
        return resolved


class WebhookInputSerializer(serializers.Serializer):
    """Create (POST) and update (PUT/PATCH) body. Read-only keys of the output (`_id`,
    `company`, `createdAt`, `modifiedAt`, `inactiveReason`, and Mongoose's `__v`) are ignored,
    so a GET body can be PUT back; any other unknown key is a 400."""

    READ_ONLY_KEYS = frozenset(
        {"_id", "company", "createdAt", "modifiedAt", "inactiveReason", "health", "__v"}
    )

    name = ModelRuleCharField(model_field="name", help_text="Free text, up to 200 characters.")
    code = ModelRuleCharField(
        model_field="code", help_text="Unique per company, [a-z0-9_]{1,60}. Cannot change once saved."
    )
    url = StrictURLField(help_text="http(s) URL receiving the POSTed events.")
    description = ModelRuleCharField(model_field="description", allow_blank=True, required=False, default="")
    trigger = serializers.ChoiceField(choices=PUBLIC_TRIGGER_CHOICES)
    isActive = StrictBooleanField(required=False, default=True)
    context: Any = WebhookContextInputSerializer(
        required=False,
        allow_null=True,
        help_text='Unused keys may be omitted, null or ""; keys not used by the trigger are stored as "".',
    )
    headers = ReceiverHeadersField(
        required=False,
        help_text="Our extension: custom request headers sent with every delivery (e.g. Authorization), "
        "name → value. When given, replaces the webhook's headers; a null value keeps the stored value "
        "of that name (so a read can be sent back); omitted (also on PUT), they are kept. Refused: "
        "Host, Content-Type, Content-Length, hop-by-hop headers and webhook-*.",
    )
    events = ActionListField(
        child=serializers.ChoiceField(choices=ACTIONS),
        min_length=1,
        required=False,
        help_text=EVENTS_HELP + " Omitted: all on create, kept on PUT and PATCH.",
    )
    fields: Any = ActionListField(
        child=StrictCharField(max_length=300),
        max_length=FIELDS_MAX,
        required=False,
        help_text=FIELDS_HELP + " Omitted: none on create, kept on PUT and PATCH.",
    )
    ordering = serializers.ChoiceField(
        choices=Ordering.values,
        required=False,
        help_text=ORDERING_HELP + " Omitted: `webhook` on create, kept on PUT and PATCH.",
    )
    maxInFlight = ModelRuleIntegerField(
        model_field="max_in_flight",
        required=False,
        help_text=MAX_IN_FLIGHT_HELP + " Omitted: 4 on create, kept on PUT and PATCH.",
    )

    def __init__(self, *args, mode: str = "create", **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = mode
        if mode != "create":
            # The code cannot change: it is only compared with the stored one.
            self.fields["code"].required = False
            # Absent keys keep their stored value on PATCH; PUT resets description
            # and context, but never flips isActive by omission.
            self.fields["isActive"].default = serializers.empty
            if mode == "patch":
                for field in self.fields.values():
                    field.default = serializers.empty
                    field.required = False

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Send a JSON object with the webhook's fields.")]}
            )
        unknown_keys_refused(data, self.fields, self.READ_ONLY_KEYS)
        return super().to_internal_value(data)

    def model_fields(self) -> dict:
        """The validated body as Webhook model field values (without code and isActive)."""
        data = self.validated_data
        fields = {}
        for key in ("name", "url", "description", "trigger"):
            if key in data:
                fields[key] = data[key]
        if self.mode != "patch" or data.get("context", {}) is None:
            fields.update(workflow=None, survey=None, group=None)
        fields.update(data.get("context") or {})
        for key in ("headers", "events", "fields"):
            if key in data:
                fields[key] = data[key]
        if "ordering" in data:
            fields["ordering"] = data["ordering"]
        if "maxInFlight" in data:
            fields["max_in_flight"] = data["maxInFlight"]
        return fields


class RedeliverFailedSerializer(serializers.Serializer):
    """Body of `POST /logs/{id}/redeliver-failed`."""

    createdAtFrom = serializers.DateTimeField(
        help_text="Failed logs created at or after this ISO-8601 time (UTC if naive)."
    )
    createdAtTo = serializers.DateTimeField(
        required=False, allow_null=True, help_text="... and before this time (default: now)."
    )

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        unknown_keys_refused(data, self.fields)
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("createdAtTo") and attrs["createdAtTo"] <= attrs["createdAtFrom"]:
            raise serializers.ValidationError({"createdAtTo": [_("Must be after createdAtFrom.")]})
        return attrs


class ResumeSerializer(serializers.Serializer):
    """Body of `POST /{id}/resume` (optional: an empty body delivers the backlog)."""

    backlog = serializers.ChoiceField(
        choices=Backlog.values,
        required=False,
        default=Backlog.DELIVER,
        help_text="What to do with the events that queued while the webhook was paused: `deliver` "
        "them, in their original order (the default), or `skip` them (their logs become SKIPPED, "
        "still redeliverable).",
    )

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        unknown_keys_refused(data, self.fields)
        return super().to_internal_value(data)


class QueuedSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="How many failed logs were queued again.")
    remaining = serializers.IntegerField(
        help_text="How many failed logs of the range are left over the cap: call again to queue them."
    )


# ---------------------------------------------------------------------------
# Operational webhook (alerts)


class AlertsSerializer(serializers.Serializer):
    url = serializers.CharField(
        allow_null=True,
        help_text='Where the company\'s alerts are POSTed (docs/api.md, "Operational webhooks"); '
        "null when none is set.",
    )
    subscription = serializers.CharField(
        allow_null=True,
        help_text="The operational webhook's `_id` (null when no URL is set): its logs, signing "
        "secret, secret rotation and test event are under /api/v3/webhook/subscription/… like any "
        "webhook's. It is not listed with the webhooks.",
    )
    isActive = serializers.BooleanField(
        allow_null=True,
        help_text="false when the engine paused it (its receiver kept failing): alerts wait in its queue "
        "until a PUT of the URL activates it again. null when no URL is set.",
    )


class AlertsInputSerializer(serializers.Serializer):
    url = StrictURLField(
        allow_null=True,
        allow_blank=True,
        help_text='An http(s) URL, under the same rules as a webhook\'s; null or "" removes it '
        "(with the operational webhook's logs and any alert still queued).",
    )

    def validate(self, attrs: dict) -> dict:
        unknown_keys_refused(self.initial_data, self.fields)
        return attrs
