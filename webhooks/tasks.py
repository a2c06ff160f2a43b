"""django-q2 entry points: thin wrappers that call services with ids."""

from webhooks import services


def webhook_drain(webhook_id: str) -> int:
    return services.webhook_drain(webhook_id=webhook_id)
