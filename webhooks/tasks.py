"""django-q2 entry points: thin wrappers that call the engine with ids."""

from webhooks.engine import delivery, dispatcher


def webhook_drain(*webhook_ids: str) -> int:
    """A doorbell for these webhooks: in a cluster worker its dispatcher drains each queue in a
    thread of its own and the worker is free at once (returns 0); elsewhere the queues are drained
    here, one after the other (returns the attempts made)."""
    running = dispatcher.current()
    if running is not None:
        for webhook_id in webhook_ids:
            running.accept(webhook_id)
        return 0
    return sum(delivery.webhook_drain(webhook_id=webhook_id) for webhook_id in webhook_ids)
