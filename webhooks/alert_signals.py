"""Signals sent when a webhook's health changes (docs/delivery.md, "When a webhook keeps failing").

Each is sent once per transition, after the change has committed (transaction.on_commit), with
keyword arguments `webhook_id` (str), `kind` (one of ALERT_KINDS) and `details` (a JSON-able dict:
`failures` int, the run of failed deliveries; `since` ISO 8601 str or None; `last_error` str, the
reason in English; `status_code` int or None; `delivery_id` str or None, set for delivery.exhausted).
"""

from django.dispatch import Signal

WEBHOOK_FAILING = "webhook.failing"
WEBHOOK_PAUSED = "webhook.paused"
WEBHOOK_RECOVERED = "webhook.recovered"
DELIVERY_EXHAUSTED = "delivery.exhausted"
ALERT_KINDS = (WEBHOOK_FAILING, WEBHOOK_PAUSED, WEBHOOK_RECOVERED, DELIVERY_EXHAUSTED)

webhook_alert = Signal()
