"""Forms of the staff panel: they parse input and show the rules' errors.

The rules (the code pattern, a taken code, the URL, the lengths, the in-flight range, the
headers) and their messages are written once, in webhooks.rules, and applied by
Webhook.full_clean(): the webhook's form is a ModelForm, whose errors come from the model's,
translated (locale/es); this module marks the panel's own labels. Trigger values themselves
are never translated.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from events.models import Group, Survey, Workflow
from webhooks import subscription
from webhooks.models import (
    EVENT_TYPE_BY_TRIGGER,
    PUBLIC_TRIGGER_CHOICES,
    PUBLIC_TRIGGERS,
    Delivery,
    Ordering,
    Trigger,
    Webhook,
)
from webhooks.panel import timezones
from webhooks.panel.queries import code_suggest
from webhooks.rules import (
    HEADERS_MAX,
    IN_FLIGHT_ERROR,
    MAX_IN_FLIGHT_LIMIT,
    MAX_LENGTH,
    REQUIRED,
    REQUIRED_CONTEXT,
    object_id_validator,
)
from webhooks.services import Backlog

TRIGGER_CHOICES = PUBLIC_TRIGGER_CHOICES  # the operational webhook's is the system's own
CONTEXT_FIELDS = REQUIRED_CONTEXT
# Shown with a "*" (aria-required): the code is suggested from the Name when left
# empty, and the context fields are required only for their trigger.
MARKED_REQUIRED = ("name", "code", "url", "trigger", "workflow", "survey", "group", "max_in_flight")
HEADER_NAME_REQUIRED = _("Give the header's name.")
# Blank rows offered for new custom headers, below the stored ones.
HEADER_BLANK_ROWS = 2
HEADER_ROW = re.compile(r"^header_name_(\d+)$")
INVALID_CHOICE = _("Select a valid choice. That choice is not one of the available choices.")
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
# The subscription's form fields (the model's `events` and `fields`), posted as lists.
LIST_FIELDS = ("events", "field_paths")
# Model field -> form field, for the model's errors; the headers' go above the form.
FORM_FIELD_OF = {"fields": "field_paths", "headers": NON_FIELD_ERRORS}


def posted_initial(data) -> dict:
    """A QueryDict as a form's `initial`, the subscription's lists kept whole."""
    initial = data.dict()
    if "subscription_shown" in data:  # the checkboxes the form showed, as they were ticked
        initial.update({name: data.getlist(name) for name in LIST_FIELDS})
    return initial


# --- custom request headers: a row each (name, value, and "remove" once stored)


class HeaderForm(forms.Form):
    """One row of custom request headers. Its fields are posted as header_name_N, header_value_N
    and header_remove_N, the names the panel has always used (no management form to forge)."""

    name = forms.CharField(
        label=_("Header name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # Never rendered back: a value is write-only once saved.
    value = forms.CharField(label=_("Header value"), required=False, strip=False, widget=forms.PasswordInput)
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args, index: int, stored: bool, **kwargs):
        self.index, self.stored = index, stored
        super().__init__(*args, **kwargs)
        self.fields["value"].widget.attrs.update(
            {"autocomplete": "new-password", "placeholder": _("Unchanged") if stored else _("Value")}
        )
        if not stored:
            del self.fields["remove"]

    def add_prefix(self, field_name: str) -> str:
        return f"header_{field_name}_{self.index}"

    def header(self) -> tuple[str, str | None] | None:
        """(name, value) of the row, the value None to keep a stored one; None for no header."""
        data = self.cleaned_data
        name, value = (data.get("name") or "").strip(), data.get("value") or ""
        if data.get("remove") or not (name or value):
            return None
        if not name:
            self.add_error("name", ValidationError(HEADER_NAME_REQUIRED, code="required"))
            return None
        return name, value.strip() or None


class HeaderFormSet(forms.BaseFormSet):
    """The rows: the stored headers (by name), two blank ones, and any a browser added. The row
    count comes from the posted names, so a post needs no management form."""

    def __init__(self, data=None, *, stored_names: list[str], **kwargs):
        self.stored_names = stored_names
        rows = len(stored_names) + HEADER_BLANK_ROWS
        if data is not None:  # rows a browser added beyond the usual ones
            posted = [int(m.group(1)) for key in data if (m := HEADER_ROW.match(key))]
            rows = min(max([rows, *(index + 1 for index in posted)]), HEADERS_MAX + HEADER_BLANK_ROWS)
        self.rows = rows
        initial = [{"name": name} for name in stored_names]
        super().__init__(data, initial=initial, prefix="header", **kwargs)

    @property
    def management_form(self) -> ManagementForm:
        counts = {TOTAL_FORM_COUNT: self.rows, INITIAL_FORM_COUNT: len(self.stored_names)}
        form = ManagementForm(
            {f"{self.prefix}-{key}": value for key, value in counts.items()}, prefix=self.prefix
        )
        form.full_clean()
        return form

    def get_form_kwargs(self, index: int) -> dict:
        return {"index": index, "stored": index < len(self.stored_names)}

    def headers(self) -> dict[str, str | None]:
        """name → value; an empty value keeps a stored header's value (None). Call after is_valid()."""
        rows = (form.header() for form in self.forms if hasattr(form, "cleaned_data"))
        return dict(row for row in rows if row is not None)


HeaderRows = forms.formset_factory(HeaderForm, formset=HeaderFormSet, extra=0)


@dataclass
class HeaderRow:
    number: int
    name: forms.BoundField
    value: forms.BoundField
    remove: forms.BoundField | None


class WebhookForm(forms.ModelForm):
    """General information of a webhook, for create (`webhook=None`) and edit: a ModelForm whose
    errors are Webhook.full_clean()'s (webhooks.rules), next to their fields.

    On edit the Code is disabled: Django ignores whatever is posted for it,
    and the view hands the posted value to `webhook_update`, which rejects a
    change.
    """

    code = forms.CharField(
        label=_("Code"),
        required=False,
        help_text=_("Lowercase letters, digits and underscores. It cannot be changed once saved."),
    )
    url = forms.CharField(label=_("Url"), widget=forms.URLInput, error_messages={"required": REQUIRED})
    trigger = forms.ChoiceField(
        label=_("Trigger"),
        choices=TRIGGER_CHOICES,
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
    # Parsed here (a whole number); its range is the model's rule.
    max_in_flight = forms.IntegerField(
        label=_("Deliveries in flight at once"),
        required=False,
        help_text=format_lazy(
            _(
                "With the order per object: how many events about different objects may be sent "
                "at once (1-{limit})."
            ),
            limit=MAX_IN_FLIGHT_LIMIT,
        ),
        error_messages={"invalid": IN_FLIGHT_ERROR},
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "class": "narrow", "min": 1, "max": MAX_IN_FLIGHT_LIMIT}
        ),
    )

    class Meta:
        model = Webhook
        fields = [
            "name",
            "code",
            "url",
            "description",
            "trigger",
            "workflow",
            "survey",
            "group",
            "events",
            "ordering",
            "max_in_flight",
        ]
        labels = {"name": _("Name"), "description": _("Description")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"name": {"required": REQUIRED}}

    def __init__(
        self, *args, company_id: str, webhook: Webhook | None = None, unsaved: bool = False, **kwargs
    ):
        # Drawn with values that are not the stored ones (a trigger change, "Show the fields of
        # this trigger"), or bound (a post with errors): the page has unsaved edits to lose.
        self.unsaved = unsaved
        initial = kwargs.setdefault("initial", {})
        if webhook is not None:
            initial.setdefault("field_paths", list(webhook.fields))
            instance = webhook
        else:
            data = args[0] if args else kwargs.get("data")
            active = data is None or data.get("is_active", "1") == "1"
            instance = Webhook(company_id=company_id, is_active=active)
        super().__init__(*args, instance=instance, **kwargs)
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
            self.fields["code"].widget.attrs["readonly"] = True
            del self.fields["code"].widget.attrs["aria-required"]
        else:
            self.fields["code"].widget.attrs["data-code-suggest"] = "true"
            self.fields["name"].widget.attrs["data-code-source"] = "true"
        self.fields["trigger"].widget.attrs["data-trigger"] = "true"
        self.fields["field_paths"].choices = [(path, path) for path in self.offered_paths]
        self.header_formset = HeaderRows(
            self.data if self.is_bound else None,
            stored_names=webhook.header_names() if webhook else [],
        )
        # No maxlength in the HTML: a browser cuts a longer paste silently; the server's
        # "at most N characters" error says what happened instead.
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)
            field.error_messages["max_length"] = MAX_LENGTH

    @property
    def header_rows(self) -> list[HeaderRow]:
        return [
            HeaderRow(
                number=form.index + 1,
                name=form["name"],
                value=form["value"],
                remove=form["remove"] if "remove" in form.fields else None,
            )
            for form in self.header_formset
        ]

    @property
    def shows_unsaved_values(self) -> bool:
        return self.is_bound or self.unsaved

    @property
    def trigger_value(self) -> str:
        """The trigger to lay the context fields out for: posted, else initial."""
        if self.is_bound:
            value = self.data.get(self.add_prefix("trigger"))
        else:
            value = self.initial.get("trigger", self.instance.trigger)
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
        """Left empty: suggested from the Name (its rules are the model's)."""
        code = self.cleaned_data.get("code", "")
        if self.webhook is not None:
            return self.webhook.code
        if not code:
            code = code_suggest(self.data.get(self.add_prefix("name"), ""))
            if not code:
                raise ValidationError(REQUIRED, code="required")
        return code

    def clean_url(self) -> str:
        return self.cleaned_data.get("url", "").strip()

    def clean(self) -> dict:
        data = super().clean()
        self.header_formset.is_valid()
        data["headers"] = self.header_formset.headers()
        self._clean_subscription(data)
        self._clean_ordering(data)
        return data

    def _clean_ordering(self, data: dict) -> None:
        """Not posted: as stored (the defaults on create). Posted empty: an error, in either mode."""
        if not data.get("ordering") and "ordering" not in self.errors:
            data["ordering"] = self.instance.ordering
        if data.get("max_in_flight") is None and "max_in_flight" not in self.errors:
            if self.add_prefix("max_in_flight") in self.data:
                self.add_error("max_in_flight", ValidationError(IN_FLIGHT_ERROR, code="required"))
            else:
                data["max_in_flight"] = self.instance.max_in_flight

    def _clean_subscription(self, data: dict) -> None:
        """A logout webhook sends every logout: its actions are kept as they are, unseen. A post
        without the checkboxes (they were not shown) keeps the stored subscription too."""
        stored_events = self.webhook.events if self.webhook else subscription.default_events()
        if data.get("trigger") == Trigger.LOGOUT:
            data["events"], data["field_paths"] = stored_events, []
        elif "subscription_shown" not in self.data:
            data["events"] = stored_events
            data["field_paths"] = self.webhook.fields if self.webhook else []

    def _post_clean(self) -> None:
        """The instance as posted, then Webhook.full_clean(): the rules, in one place."""
        data = self.cleaned_data
        if "field_paths" in data:
            self.instance.fields = data["field_paths"]
        if not self.header_formset.total_error_count():
            self.instance.replace_receiver_headers(data["headers"])
        super()._post_clean()

    def is_valid(self) -> bool:
        return super().is_valid() and not self.header_formset.total_error_count()

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

    def _update_errors(self, errors: ValidationError) -> None:
        """The model's errors, in its words (not the form fields' messages for the same codes),
        next to this form's fields: the subscription's fields as `field_paths`; the headers',
        and any field the form lacks, above the form."""
        if not hasattr(errors, "error_dict"):
            self.add_error(None, errors)
            return
        mapped: dict[str, list] = {}
        for field, field_errors in errors.error_dict.items():
            field = FORM_FIELD_OF.get(field, field)
            if field != NON_FIELD_ERRORS and field not in self.fields:
                field = NON_FIELD_ERRORS
            mapped.setdefault(field, []).extend(field_errors)
        self.add_error(None, ValidationError(mapped))

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError next to the fields it names, in the active language."""
        self._update_errors(error)


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


class ObjectIdSearchField(forms.CharField):
    """An object id typed to search by: any case (a pasted id), folded to the ObjectId rule's
    lower case before the rule (webhooks.rules) is applied, as the API's objectId filter does."""

    default_validators = [object_id_validator]

    def to_python(self, value) -> str:
        return super().to_python(value).lower()


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
        help_text=_(
            "Alerts about this company's webhooks (failing, paused, delivering again, a delivery that "
            "used up its attempts) are POSTed here, signed, in order and retried like any delivery."
        ),
    )
