"""Strict input fields of the API: a string field takes only a JSON string, a boolean only a
JSON boolean (a wrong type is a 400, not a silent conversion), and rule-checked fields run the
model's rule (webhooks/rules.py) so that its message is the API's.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.models import Webhook
from webhooks.rules import (
    OBJECT_ID_PATTERN,
    field_check,
    field_validators,
    object_id_validator,
)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and other non-strings instead of converting them."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelRuleMixin:
    """A field whose rules are those of a Webhook model field (webhooks.rules): the schema shows
    its validators, and they run as Webhook.full_clean() runs them, in the same words, so the API
    says what the panel says, and says it along with the body's other errors. Parsing the JSON
    type stays the field's own work."""

    validators: list[Any]

    def __init__(self, *, model_field: str, **kwargs):
        super().__init__(**kwargs)
        self.model_field = Webhook._meta.get_field(model_field)
        # The field's own (no NUL character in a string: the parsing), then the model's rules.
        self.parse_validators = list(self.validators)
        self.validators = [*self.parse_validators, *field_validators(self.model_field)]

    def run_validators(self, value) -> None:
        for validator in self.parse_validators:
            validator(value)
        field_check(self.model_field, value)


class ModelRuleCharField(ModelRuleMixin, StrictCharField):
    pass


class ActionListField(serializers.ListField):
    """A list whose length rules (at least one action, at most FIELDS_MAX fields) are the
    subscription's (webhooks.subscription, applied by Webhook.full_clean()): shown in the
    schema, not checked twice."""

    def run_validators(self, value) -> None:
        pass


@extend_schema_field({"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2000})
class StrictURLField(ModelRuleCharField):
    """The webhook URL: a JSON string; its rules are the model's (an http(s) URL, no credentials)."""

    def __init__(self, **kwargs):
        super().__init__(model_field="url", **kwargs)


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that takes only a JSON integer: not "4", 4.0 or true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelRuleIntegerField(ModelRuleMixin, StrictIntegerField):
    pass


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field(
    {"type": "string", "nullable": True, "pattern": OBJECT_ID_PATTERN, "example": "6261612a8f1e99002e5c8cce"}
)
class ObjectIdOrBlankField(StrictCharField):
    """An ObjectId string, or "" / null for "none" (Cotalker stores unused context keys as "")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)
        self.validators.append(object_id_validator)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "nullable": True, "maxLength": 4096},
        "maxProperties": 20,
        "example": {"Authorization": "Bearer 0123abcd", "X-Api-Key": None},
    }
)
class ReceiverHeadersField(serializers.Field):
    """Our extension: custom request headers, name → value. Write-only values: a read shows
    each name with null; null in a write keeps the stored value of that name."""

    default_error_messages = {
        "invalid": _("Send an object of header name → value (a string, or null to keep the stored value).")
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value
