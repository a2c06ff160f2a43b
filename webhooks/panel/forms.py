"""Forms of the staff panel: they parse input; the services validate and save.

The rules (the code pattern, a taken code, the URL, the trigger labels) and their
messages are written once in the models and shown here as they are, translated
(locale/es); this module marks the panel's own labels. Trigger values themselves
are never translated.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext

from events.models import Group, Survey, Workflow, code_validator
from webhooks import subscription
from webhooks.models import (
    CODE_TAKEN,
    CONTEXT_REQUIRED,
    EVENT_TYPE_BY_TRIGGER,
    HEADERS_MAX,
    MAX_IN_FLIGHT_LIMIT,
    PUBLIC_TRIGGER_CHOICES,
    PUBLIC_TRIGGERS,
    REQUIRED_CONTEXT,
    Delivery,
    Ordering,
    Trigger,
    Webhook,
    http_url_validator,
)
from webhooks.panel import timezones
from webhooks.panel.queries import code_suggest
from webhooks.services import Backlog

TRIGGER_CHOICES = PUBLIC_TRIGGER_CHOICES  # the operational webhook's is the system's own
CONTEXT_FIELDS = REQUIRED_CONTEXT
# Shown with a "*" (aria-required): the code is suggested from the Name when left
# empty, and the context fields are required only for their trigger.
MARKED_REQUIRED = ("name", "code", "url", "trigger", "workflow", "survey", "group", "max_in_flight")
REQUIRED = _("This field is required.")
HEADER_NAME_REQUIRED = _("Give the header's name.")
# Blank rows offered for new custom headers, below the stored ones.
HEADER_BLANK_ROWS = 2
HEADER_ROW = re.compile(r"^header_name_(\d+)$")
INVALID_CHOICE = _("Select a valid choice. That choice is not one of the available choices.")
# Django's own Spanish says "menos de 200 caracteres" where 200 are allowed: the panel says it right.
MAX_LENGTH = ngettext_lazy(
    "Enter at most %(limit_value)d character (it has %(show_value)d).",
    "Enter at most %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)
ACTION_CHOICES = [
    (subscription.CREATE, _("Creates")),
    (subscription.EDIT, _("Edits")),
    (subscription.DELETE, _("Removals")),
]
# The order of deliveries: the model's labels, and a line of help each (docs/delivery.md).
ORDERING_HELP = {
    Ordering.WEBHOOK: _("Each event waits until the one before it is delivered or has failed."),
    Ordering.OBJECT: _(
        "Events about the same task, user, survey answer, element or note wait for each other; "
        "events about different ones are sent at the same time."
    ),
}
DEFAULT_MAX_IN_FLIGHT = 4
IN_FLIGHT_ERROR = format_lazy(_("Enter a whole number from 1 to {limit}."), limit=MAX_IN_FLIGHT_LIMIT)
# The subscription's form fields (the model's `events` and `fields`), posted as lists.
LIST_FIELDS = ("events", "field_paths")
# Model field -> form field, for the services' errors.
SERVICE_ERROR_FIELDS = {"fields": "field_paths"}


def posted_initial(data) -> dict:
    """A QueryDict as a form's `initial`, the subscription's lists kept whole."""
    initial = data.dict()
    if "subscription_shown" in data:  # the checkboxes the form showed, as they were ticked
        initial.update({name: data.getlist(name) for name in LIST_FIELDS})
    return initial


class WebhookForm(forms.Form):
    """General information of a webhook, for create (`webhook=None`) and edit.

    On edit the Code is disabled: Django ignores whatever is posted for it,
    and the view hands the posted value to `webhook_update`, which rejects a
    change.
    """

    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": REQUIRED})
    code = forms.CharField(
        label=_("Code"),
        max_length=60,
        required=False,
        validators=[code_validator],
        help_text=_("Lowercase letters, digits and underscores. It cannot be changed once saved."),
    )
    url = forms.CharField(
        label=_("Url"), max_length=2000, widget=forms.URLInput, error_messages={"required": REQUIRED}
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    trigger = forms.ChoiceField(
        label=_("Trigger"),
        choices=TRIGGER_CHOICES,
        initial=Trigger.USER,
        error_messages={"required": REQUIRED, "invalid_choice": INVALID_CHOICE},
    )
    workflow = forms.ModelChoiceField(
        label=_("Workflow"),
        queryset=Workflow.objects.none(),
        required=False,
        empty_label=_("Select a workflow"),
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.none(),
        required=False,
        empty_label=_("Select a survey"),
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Select a group"),
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    events = forms.MultipleChoiceField(
        label=_("Send"),
        choices=ACTION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    field_paths = forms.MultipleChoiceField(
        label=_("Only edits of these fields"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    # Not posted (a form of an older page, a script): the stored values are kept.
    ordering = forms.ChoiceField(
        label=_("Order of deliveries"),
        choices=Ordering.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": INVALID_CHOICE},
    )
    max_in_flight = forms.IntegerField(
        label=_("Deliveries in flight at once"),
        required=False,
        min_value=1,
        max_value=MAX_IN_FLIGHT_LIMIT,
        help_text=format_lazy(
            _(
                "With the order per object: how many events about different objects may be sent "
                "at once (1-{limit})."
            ),
            limit=MAX_IN_FLIGHT_LIMIT,
        ),
        error_messages={
            "invalid": IN_FLIGHT_ERROR,
            "min_value": IN_FLIGHT_ERROR,
            "max_value": IN_FLIGHT_ERROR,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"}),
    )

    def __init__(
        self, *args, company_id: str, webhook: Webhook | None = None, unsaved: bool = False, **kwargs
    ):
        # Drawn with values that are not the stored ones (a trigger change, "Show the fields of
        # this trigger"), or bound (a post with errors): the page has unsaved edits to lose.
        self.unsaved = unsaved
        if webhook is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": webhook.name,
                "code": webhook.code,
                "url": webhook.url,
                "description": webhook.description,
                "trigger": webhook.trigger,
                "workflow": webhook.workflow_id,
                "survey": webhook.survey_id,
                "group": webhook.group_id,
                "events": list(webhook.events),
                "field_paths": list(webhook.fields),
                "ordering": webhook.ordering,
                "max_in_flight": webhook.max_in_flight,
            }
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("events", subscription.default_events())
        initial.setdefault("ordering", webhook.ordering if webhook else Ordering.WEBHOOK)
        initial.setdefault("max_in_flight", webhook.max_in_flight if webhook else DEFAULT_MAX_IN_FLIGHT)
        super().__init__(*args, **kwargs)
        self.company_id = company_id
        self.webhook = webhook
        self.fields["workflow"].queryset = Workflow.objects.filter(company_id=company_id, is_active=True)
        self.fields["survey"].queryset = Survey.objects.filter(company_id=company_id, is_active=True)
        self.fields["group"].queryset = Group.objects.filter(company_id=company_id, is_active=True)
        for name in MARKED_REQUIRED:
            self.fields[name].marked_required = True
            self.fields[name].widget.attrs["aria-required"] = "true"
        if webhook is not None:
            self.fields["code"].disabled = True
            self.fields["code"].validators = []
            self.fields["code"].widget.attrs["readonly"] = True
            del self.fields["code"].widget.attrs["aria-required"]
        else:
            self.fields["code"].widget.attrs["data-code-suggest"] = "true"
            self.fields["name"].widget.attrs["data-code-source"] = "true"
        self.fields["trigger"].widget.attrs["data-trigger"] = "true"
        self.fields["field_paths"].choices = [(path, path) for path in self.offered_paths]
        self._add_header_fields()
        # No maxlength in the HTML: a browser cuts a longer paste silently; the server's
        # "at most N characters" error says what happened instead.
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)
            field.error_messages["max_length"] = MAX_LENGTH

    # --- custom request headers: a row of fields each (name, value, and "remove" once stored)

    def _add_header_fields(self) -> None:
        self.stored_header_names = self.webhook.header_names() if self.webhook else []
        rows = len(self.stored_header_names) + HEADER_BLANK_ROWS
        if self.is_bound:  # rows a browser added beyond the usual ones
            posted = [int(m.group(1)) for key in self.data if (m := HEADER_ROW.match(key))]
            rows = min(max([rows, *(index + 1 for index in posted)]), HEADERS_MAX + HEADER_BLANK_ROWS)
        for index in range(rows):
            stored = index < len(self.stored_header_names)
            self.fields[f"header_name_{index}"] = forms.CharField(
                label=_("Header name"),
                required=False,
                initial=self.stored_header_names[index] if stored else "",
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
            self.fields[f"header_value_{index}"] = forms.CharField(
                label=_("Header value"),
                required=False,
                strip=False,
                # Never rendered back: a value is write-only once saved.
                widget=forms.PasswordInput(
                    attrs={
                        "autocomplete": "new-password",
                        "placeholder": _("Unchanged") if stored else _("Value"),
                    }
                ),
            )
            if stored:
                self.fields[f"header_remove_{index}"] = forms.BooleanField(label=_("Remove"), required=False)
        self.header_row_count = rows

    @property
    def header_rows(self) -> list["HeaderRow"]:
        return [
            HeaderRow(
                number=index + 1,
                name=self[f"header_name_{index}"],
                value=self[f"header_value_{index}"],
                remove=self[f"header_remove_{index}"] if f"header_remove_{index}" in self.fields else None,
            )
            for index in range(self.header_row_count)
        ]

    def _clean_headers(self, data: dict) -> dict[str, str | None]:
        """name → value; an empty value keeps a stored header's value (None)."""
        headers: dict[str, str | None] = {}
        for index in range(self.header_row_count):
            name = (data.get(f"header_name_{index}") or "").strip()
            value = data.get(f"header_value_{index}") or ""
            if data.get(f"header_remove_{index}") or not (name or value):
                continue
            if not name:
                self.add_error(f"header_name_{index}", ValidationError(HEADER_NAME_REQUIRED, code="required"))
                continue
            headers[name] = value.strip() or None
        return headers

    @property
    def shows_unsaved_values(self) -> bool:
        return self.is_bound or self.unsaved

    @property
    def trigger_value(self) -> str:
        """The trigger to lay the context fields out for: posted, else initial."""
        value = self.data.get(self.add_prefix("trigger")) if self.is_bound else self.initial.get("trigger")
        return value if value in {trigger.value for trigger in PUBLIC_TRIGGERS} else Trigger.USER

    @property
    def context_field_names(self) -> tuple[str, ...]:
        return CONTEXT_FIELDS.get(self.trigger_value, ())

    @property
    def offered_paths(self) -> list[str]:
        """The trigger's fields an edit can change, plus any path below a free-form object
        that the webhook already has (set through the API)."""
        event_type = EVENT_TYPE_BY_TRIGGER.get(self.trigger_value)
        paths = list(subscription.trigger_paths(event_type))
        stored = self.webhook.fields if self.webhook else []
        return paths + sorted(
            p for p in stored if p not in paths and subscription.path_is_known(event_type, p)
        )

    @property
    def ordering_options(self) -> list[dict]:
        """The radio buttons of the order of deliveries, each with its line of help."""
        return [
            {"tag": choice, "value": choice.data["value"], "help": ORDERING_HELP[choice.data["value"]]}
            for choice in self["ordering"]
        ]

    @property
    def is_logout(self) -> bool:
        return self.trigger_value == Trigger.LOGOUT

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "")
        if self.webhook is not None:
            return self.webhook.code
        if not code:
            code = code_suggest(self.data.get(self.add_prefix("name"), ""))
            if not code:
                raise ValidationError(REQUIRED, code="required")
        if Webhook.objects.for_company(self.company_id).filter(code=code).exists():
            raise ValidationError(CODE_TAKEN, code="unique")
        return code

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url", "").strip()
        http_url_validator(url)
        return url

    def clean(self) -> dict:
        data = super().clean()
        for name in CONTEXT_FIELDS.get(data.get("trigger"), ()):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, ValidationError(CONTEXT_REQUIRED[name], code="required"))
        data["headers"] = self._clean_headers(data)
        self._clean_subscription(data)
        self._clean_ordering(data)
        return data

    def _clean_ordering(self, data: dict) -> None:
        """Not posted: as stored (the defaults on create). Posted empty: an error, in either mode."""
        if not data.get("ordering") and "ordering" not in self.errors:
            data["ordering"] = self.webhook.ordering if self.webhook else Ordering.WEBHOOK
        if data.get("max_in_flight") is None and "max_in_flight" not in self.errors:
            if self.add_prefix("max_in_flight") in self.data:
                self.add_error("max_in_flight", ValidationError(IN_FLIGHT_ERROR, code="required"))
            else:
                data["max_in_flight"] = self.webhook.max_in_flight if self.webhook else DEFAULT_MAX_IN_FLIGHT

    def _clean_subscription(self, data: dict) -> None:
        """A logout webhook sends every logout: its actions are kept as they are, unseen. A post
        without the checkboxes (they were not shown) keeps the stored subscription too."""
        stored_events = self.webhook.events if self.webhook else subscription.default_events()
        if data.get("trigger") == Trigger.LOGOUT:
            data["events"], data["field_paths"] = stored_events, []
        elif "subscription_shown" not in self.data:
            data["events"] = stored_events
            data["field_paths"] = self.webhook.fields if self.webhook else []
        elif not data.get("events") and "events" not in self.errors:
            self.add_error("events", ValidationError(subscription.EVENTS_EMPTY, code="required"))

    def service_fields(self) -> dict:
        """cleaned_data as the keyword arguments of webhook_create/webhook_update."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "url": data["url"],
            "description": data["description"],
            "trigger": data["trigger"],
            "workflow": data["workflow"],
            "survey": data["survey"],
            "group": data["group"],
            "headers": data["headers"],
            "events": data["events"],
            "fields": data["field_paths"],
            "ordering": data["ordering"],
            "max_in_flight": data["max_in_flight"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError next to the fields it names, in the active language."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            field = SERVICE_ERROR_FIELDS.get(field, field)
            if field == NON_FIELD_ERRORS and any(e.code == "unique" for e in errors):
                # The (company, code) unique constraint: a concurrent create won the code.
                self.add_error("code", CODE_TAKEN)
            elif field in self.fields:
                self.add_error(field, ValidationError(errors))
            else:
                self.add_error(None, ValidationError(errors))


@dataclass
class HeaderRow:
    number: int
    name: forms.BoundField
    value: forms.BoundField
    remove: forms.BoundField | None


class WebhookSelectionForm(forms.Form):
    """The checked rows of the list, for bulk deactivation."""

    ids = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; the service only touches the company's own webhooks.
        self.fields["ids"].valid_value = lambda value: isinstance(value, str) and len(value) <= 24


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
        choices = [("", _("Detect from this browser")), _zone_choice("UTC")]
        if current and current not in listed and timezones.zone_from(current):
            choices.append(_zone_choice(current))
        for area, names in timezones.zone_groups():
            choices.append((REGION_LABELS[area], [_zone_choice(name) for name in names]))
        self.fields["zone"].choices = choices

    def zone_to_remember(self) -> str | None:
        """The chosen zone; with detection, the browser's zone if it sent a known one, else None
        (the cookie is forgotten and the browser tells its zone on the next page)."""
        chosen = self.cleaned_data["zone"]
        if chosen:
            return chosen
        detected = self.cleaned_data.get("detected", "")
        return detected if timezones.zone_from(detected) else None


RESULT_CHOICES = [
    ("", _("Any result")),
    (Delivery.State.SUCCESS, _("SUCCESS")),
    (Delivery.State.FAILED, _("FAILED")),
    (Delivery.State.PENDING, _("PENDING")),
    (Delivery.State.SKIPPED, _("SKIPPED")),
]
OBJECT_ID = RegexValidator(r"^[0-9a-fA-F]{24}\Z", _("Enter a 24-character hexadecimal id."))


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
    object_id = forms.CharField(
        label=_("Object id"),
        required=False,
        validators=[OBJECT_ID],
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
        data = super().clean()
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
        data = super().clean()
        for name in ("created_from", "created_to"):
            if data.get(name) and not FIRST_YEAR <= data[name].year <= LAST_YEAR:
                self.add_error(name, ValidationError(YEAR_OUT_OF_RANGE, code="invalid", params=YEARS))
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end <= start:
            self.add_error("created_to", _("The end must be after the start."))
        return data


class ResumeForm(forms.Form):
    """The resume dialog of a paused webhook: what to do with the deliveries that waited
    (services.webhook_resume's `backlog`). Delivering them is the default, nothing is lost."""

    CHOICES = [
        (Backlog.DELIVER, _("Deliver them, in their original order")),
        (Backlog.SKIP, _("Skip them")),
    ]
    HELP = {
        Backlog.DELIVER: _("Each is sent as it would have been, oldest first, before any new event."),
        Backlog.SKIP: _("None is sent. They stay in the logs as SKIPPED, and each can still be redelivered."),
    }

    backlog = forms.ChoiceField(
        label=_("What should happen to the events that waited?"),
        choices=CHOICES,
        initial=Backlog.DELIVER,
        widget=forms.RadioSelect,
    )

    def options(self) -> list[dict]:
        """Each choice with its help text (a radio described by its own sentence)."""
        return [
            {"tag": tag, "value": tag.data["value"], "help": self.HELP[tag.data["value"]]}
            for tag in self["backlog"]
        ]


class AlertsUrlForm(forms.Form):
    """The company's alerts URL (webhooks.alerts.alerts_webhook_set): empty removes it. The URL's
    rules are the service's (a webhook's), whose errors come back on this field."""

    url = forms.CharField(
        label=_("Alerts URL"),
        required=False,
        max_length=2000,
        help_text=_(
            "Alerts about this company's webhooks (failing, paused, delivering again, a delivery that "
            "used up its attempts) are POSTed here, signed, in order and retried like any delivery."
        ),
    )
