"""The Logs' forms: the filters (read from the address) and the range of a bulk redelivery."""

from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks.models import (
    Delivery,
)
from webhooks.panel.forms.common import INVALID_CHOICE
from webhooks.panel.forms.dates import (
    FIRST_YEAR,
    ISO_DATE,
    ISO_MINUTE,
    LAST_YEAR,
    YEAR_OUT_OF_RANGE,
    YEARS,
    date_input_format,
    local_midnight,
    use_date_input_format,
)
from webhooks.rules import (
    REQUIRED,
    object_id_validator,
)

RESULT_CHOICES = [
    ("", _("Any result")),
    (Delivery.State.SUCCESS, _("SUCCESS")),
    (Delivery.State.FAILED, _("FAILED")),
    (Delivery.State.PENDING, _("PENDING")),
    (Delivery.State.SKIPPED, _("SKIPPED")),
]


class ObjectIdSearchField(forms.CharField):
    """An object id typed to search by: any case (a pasted id), folded to the ObjectId rule's
    lower case before the rule (webhooks.rules) is applied, as the API's objectId filter does."""

    default_validators = [object_id_validator]

    def to_python(self, value) -> str:
        return (super().to_python(value) or "").lower()


class LogFilterForm(forms.Form):
    """The Logs table's filters, read from the URL (GET), so a filtered view can be shared.

    Dates are whole days in the panel's time zone: `to` includes its day.
    """

    result = forms.ChoiceField(
        label=_("Result"),
        choices=RESULT_CHOICES,
        required=False,
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    status = forms.IntegerField(
        label=_("Status code"),
        required=False,
        min_value=100,
        max_value=599,
        error_messages={"invalid": _("Enter an HTTP status code (100-599).")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )
    object_id = ObjectIdSearchField(
        label=_("Object id"),
        required=False,
        help_text=_("The _id of the task, user, survey answer, element or note."),
        widget=forms.TextInput(attrs={"class": "mono", "spellcheck": "false", "autocomplete": "off"}),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput)

    # The names in the URL (the API's, for the ones they share).
    PARAMS = {
        "result": "result",
        "status": "status",
        "object_id": "objectId",
        "date_from": "from",
        "date_to": "to",
    }

    DATE_PARAMS = ("from", "to")

    def __init__(self, data=None, **kwargs):
        typed, placeholder = date_input_format()
        # The address keeps ISO dates (shareable whatever the reader's language); the fields
        # show them as typed in the panel's format.
        self.typed_dates = False
        if data is not None:
            data = data.copy()
            for param in self.DATE_PARAMS:
                value = (data.get(param) or "").strip()
                try:
                    day = datetime.strptime(value, ISO_DATE)
                except ValueError:
                    self.typed_dates = self.typed_dates or bool(value)
                else:
                    if FIRST_YEAR <= day.year <= LAST_YEAR:  # else left as is, for clean()'s error
                        data[param] = day.strftime(typed)
        super().__init__(data, auto_id="logs-%s", **kwargs)
        for name in ("date_from", "date_to"):
            use_date_input_format(self.fields[name], typed, placeholder, ISO_DATE)

    def add_prefix(self, field_name: str) -> str:
        return self.PARAMS.get(field_name, field_name)

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        for name in ("date_from", "date_to"):
            if data.get(name) and not FIRST_YEAR <= data[name].year <= LAST_YEAR:
                self.add_error(name, ValidationError(YEAR_OUT_OF_RANGE, code="invalid", params=YEARS))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    def query(self) -> dict:
        """The applied filters as URL parameters (empty ones left out)."""
        if not self.is_bound or not self.is_valid():
            return {}
        query = {}
        for name, param in self.PARAMS.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            query[param] = value.isoformat() if isinstance(value, date) else self.data[param].strip()
        return query

    def filters(self) -> dict:
        """cleaned_data as the keyword arguments of `DeliveryQuerySet.log_filter`."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()

        def midnight(day):
            return local_midnight(day, zone)

        return {
            "result": data.get("result") or None,
            "status": data.get("status"),
            "object_id": data.get("object_id") or None,
            "created_from": midnight(data["date_from"]) if data.get("date_from") else None,
            "created_to": midnight(data["date_to"] + timedelta(days=1)) if data.get("date_to") else None,
        }


class RedeliverFailedForm(forms.Form):
    """The time range of a bulk redelivery, in the panel's time zone (to the minute), typed in the
    panel's date format and 24-hour time (ISO 8601, 2026-12-01T10:00, is accepted too)."""

    created_from = forms.DateTimeField(
        label=_("Failed from"), widget=forms.DateTimeInput, error_messages={"required": REQUIRED}
    )
    created_to = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput, error_messages={"required": REQUIRED}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        typed, placeholder = date_input_format()
        for name in ("created_from", "created_to"):
            use_date_input_format(self.fields[name], f"{typed} %H:%M", f"{placeholder} HH:MM", ISO_MINUTE)

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        for name in ("created_from", "created_to"):
            if data.get(name) and not FIRST_YEAR <= data[name].year <= LAST_YEAR:
                self.add_error(name, ValidationError(YEAR_OUT_OF_RANGE, code="invalid", params=YEARS))
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end <= start:
            self.add_error("created_to", _("The end must be after the start."))
        return data
