"""django-q2 entry points: thin wrappers that call the engine with ids."""

from webhooks import alerts
from webhooks.engine import delivery, dispatcher


def webhook_drain(webhook_id: str) -> int:
    """A doorbell: in a cluster worker its dispatcher drains the queue in a thread of its own and
    the worker is free at once (returns 0); elsewhere the queue is drained here (returns the
    attempts made)."""
    running = dispatcher.current()
    if running is not None:
        running.accept(webhook_id)
        return 0
    return delivery.webhook_drain(webhook_id=webhook_id)


def alert_email_send(webhook_id: str, kind: str, details: dict) -> int:
    """An alert's emails to the company's staff administrators (webhooks.alerts): sent by a task
    worker, never on the delivery path. Returns how many were sent."""
    return alerts.alert_emails_send(webhook_id=webhook_id, kind=kind, details=details)
