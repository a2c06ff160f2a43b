"""The webhooks app's models, a module each (webhook, event, delivery, rollup, limit, policy,
token); `from webhooks.models import X` names any of them, and the choices and rules the code
has always imported from here. The rules themselves are in webhooks.rules, the choices in
webhooks.choices."""

from webhooks.choices import (
    ALERTS_CODE,
    PAUSED_REASONS,
    PUBLIC_TRIGGER_CHOICES,
    PUBLIC_TRIGGERS,
    HealthState,
    InactiveReason,
    Ordering,
    Trigger,
)
from webhooks.models.delivery import LOGS_ORDER, Attempt, Delivery, DeliveryQuerySet
from webhooks.models.event import Event, event_subject_id
from webhooks.models.limit import LimitCounter
from webhooks.models.policy import DeliveryPolicy
from webhooks.models.rollup import DeliveryHour, DeliveryHourWatermark
from webhooks.models.token import ApiToken
from webhooks.models.webhook import (
    CONTEXT_KEYS,
    ENGINE_FIELDS,
    EVENT_TYPE_BY_TRIGGER,
    HEALTH_FIELDS,
    QUEUE_FIELDS,
    TRIGGER_BY_EVENT_TYPE,
    Webhook,
    WebhookQuerySet,
    queue_free,
    routed,
)
from webhooks.rules import http_url_validator  # the migrations name webhooks.models.http_url_validator

__all__ = [
    "ALERTS_CODE",
    "CONTEXT_KEYS",
    "ENGINE_FIELDS",
    "EVENT_TYPE_BY_TRIGGER",
    "HEALTH_FIELDS",
    "LOGS_ORDER",
    "PAUSED_REASONS",
    "PUBLIC_TRIGGERS",
    "PUBLIC_TRIGGER_CHOICES",
    "QUEUE_FIELDS",
    "TRIGGER_BY_EVENT_TYPE",
    "ApiToken",
    "Attempt",
    "Delivery",
    "DeliveryHour",
    "DeliveryHourWatermark",
    "DeliveryPolicy",
    "DeliveryQuerySet",
    "Event",
    "HealthState",
    "InactiveReason",
    "LimitCounter",
    "Ordering",
    "Trigger",
    "Webhook",
    "WebhookQuerySet",
    "event_subject_id",
    "http_url_validator",
    "queue_free",
    "routed",
]
