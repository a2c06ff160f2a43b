"""django-q2 entry points: thin wrappers that call the engine with ids."""

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
