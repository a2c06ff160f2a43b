"""Dates typed in the panel's filters and ranges, in the panel's format and time zone."""

from datetime import UTC, datetime, time

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

# Dates are typed as the panel shows them (the Logs: day first in Spanish, month first in English),
# with a four-digit year; ISO 8601 is accepted too (the address's dates, and a paste).
ISO_DATE = "%Y-%m-%d"
ISO_MINUTE = "%Y-%m-%dT%H:%M"


def date_input_format() -> tuple[str, str]:
    """(strftime format, placeholder) of a typed date in the active language."""
    # Translators: a date typed in a filter, as strftime reads it: day and month in the order of
    # the Logs' dates ("m/d/y - H:i:s" there), with a four-digit year.
    typed = pgettext("date input format", "%m/%d/%Y")
    # Translators: how the date above is shown to the administrator, as a hint in the empty field.
    placeholder = pgettext("date input placeholder", "MM/DD/YYYY")
    return typed, placeholder


def use_date_input_format(field: forms.Field, typed: str, placeholder: str, iso: str) -> None:
    assert isinstance(field, forms.DateField | forms.DateTimeField)
    field.input_formats = [typed, iso]
    field.widget.format = typed
    field.widget.attrs.update({"placeholder": placeholder, "autocomplete": "off", "spellcheck": "false"})


# Dates far from today overflow once moved to UTC (SQLite stores them naive in UTC): a form error.
FIRST_YEAR, LAST_YEAR = 1900, 9998
YEARS = {"first": FIRST_YEAR, "last": LAST_YEAR}
YEAR_OUT_OF_RANGE = _("Enter a date between the years %(first)s and %(last)s.")


def local_midnight(day, zone) -> datetime:
    """The day's first instant in the zone (01:00 where a DST change skips midnight)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).astimezone(zone)
