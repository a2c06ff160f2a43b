"""The account pages' forms: API tokens and the time zone."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.panel import timezones
from webhooks.rules import (
    MAX_LENGTH,
)

EXPIRY_CHOICES = [
    ("", _("Never")),
    ("7", _("In 7 days")),
    ("30", _("In 30 days")),
    ("90", _("In 90 days")),
    ("365", _("In a year")),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, strip=True, error_messages={"max_length": MAX_LENGTH}
    )
    expires_in = forms.TypedChoiceField(
        label=_("Expires"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )


# The tz database's areas, as the time zone chooser's groups (webhooks/panel/timezones.py: REGIONS).
REGION_LABELS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
}


def _zone_choice(name: str) -> tuple[str, str]:
    return name, name.replace("_", " ")


class TimeZoneForm(forms.Form):
    """The zone the panel shows dates in: a current IANA name, grouped by area, or detection.

    `current` is the zone in use: an older name (an alias such as Chile/Continental, chosen before
    aliases were left out of the list) stays offered, and selected, so that saving keeps it.
    `detected` is the browser's zone, filled in by static/js/panel.js: with "Detect from this
    browser" it is remembered at once, so the next page is already drawn in it.
    """

    zone = forms.ChoiceField(label=_("Time zone"), required=False)
    detected = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-browser-zone": "true"}))

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        listed = set(timezones.zone_names())
        choices: list[Any] = [("", _("Detect from this browser")), _zone_choice("UTC")]
        if current and current not in listed and timezones.zone_from(current):
            choices.append(_zone_choice(current))
        for area, names in timezones.zone_groups():
            choices.append((REGION_LABELS[area], [_zone_choice(name) for name in names]))
        cast(forms.ChoiceField, self.fields["zone"]).choices = choices

    def zone_to_remember(self) -> str | None:
        """The chosen zone; with detection, the browser's zone if it sent a known one, else None
        (the cookie is forgotten and the browser tells its zone on the next page)."""
        chosen = self.cleaned_data["zone"]
        if chosen:
            return chosen
        detected = self.cleaned_data.get("detected", "")
        return detected if timezones.zone_from(detected) else None
