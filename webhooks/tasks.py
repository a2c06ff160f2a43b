"""django-q2 entry points: thin wrappers that call the engine with ids."""

from webhooks import alerts
from webhooks.engine import delivery, dispatcher


def webhook_drain(*webhook_ids: str, behind: bool = False) -> int:
    """A doorbell for these webhooks: in a cluster worker its dispatcher drains each queue in a
    thread of its own and the worker is free at once (returns 0); elsewhere the queues are drained
    here, one after the other (returns the attempts made). `behind`: the clock rang retries."""
    running = dispatcher.current()
    if running is not None:
        for webhook_id in webhook_ids:
            running.accept(webhook_id, behind=behind)
        return 0
    return sum(delivery.webhook_drain(webhook_id=webhook_id) for webhook_id in webhook_ids)


def alert_email_send(webhook_id: str, kind: str, details: dict) -> int:
    """An alert's emails to the company's staff administrators (webhooks.alerts): sent by a task
    worker, never on the delivery path. Returns how many were sent."""
    return alerts.alert_emails_send(webhook_id=webhook_id, kind=kind, details=details)
