"""{% load failure_reasons %}: `{{ attempt.error|failure_reason }}` shows a delivery's stored
(English) failure reason in the active language; any other text passes unchanged."""

from django import template

from webhooks.failure_reasons import failure_reason_display

register = template.Library()


@register.filter
def failure_reason(text: str) -> str:
    return str(failure_reason_display(text or ""))
