"""django-q2 entry points: thin wrappers that call the engine with ids."""

from webhooks.engine import delivery


def webhook_drain(webhook_id: str) -> int:
    return delivery.webhook_drain(webhook_id=webhook_id)
