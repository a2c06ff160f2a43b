"""Dates of the panel in the administrator's zone (webhooks.panel.timezones), with the zone named."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_ms(value: datetime | None) -> str:
    """Full ISO-8601 in the active zone, with milliseconds: `2026-12-01T23:49:02.123-03:00`."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(timespec="milliseconds")


@register.filter
def zone_label(value: datetime | None) -> str:
    """The zone's short name where it has one (UTC, CET, EST), else its offset (GMT-3, GMT+5:30)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.utcoffset()  # an aware datetime's: never None
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


@register.simple_tag
def current_zone_name() -> str:
    return timezone.get_current_timezone_name()
