"""The settings page's form of a webhook (create and edit): a ModelForm whose errors are
Webhook.full_clean()'s (webhooks.rules), next to their fields."""

from typing import cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from events.models import Group, Survey, Workflow
from webhooks import subscription
from webhooks.models import (
    EVENT_TYPE_BY_TRIGGER,
    PUBLIC_TRIGGER_CHOICES,
    PUBLIC_TRIGGERS,
    Ordering,
    Trigger,
    Webhook,
)
from webhooks.panel.forms.common import INVALID_CHOICE
from webhooks.panel.forms.headers import HeaderRow, HeaderRows
from webhooks.panel.queries import code_suggest
from webhooks.rules import (
    IN_FLIGHT_ERROR,
    MAX_IN_FLIGHT_LIMIT,
    MAX_LENGTH,
    REQUIRED,
    REQUIRED_CONTEXT,
)
from webhooks.services import WEBHOOK_EDITABLE_FIELDS

TRIGGER_CHOICES = PUBLIC_TRIGGER_CHOICES  # the operational webhook's is the system's own
CONTEXT_FIELDS = REQUIRED_CONTEXT
# Shown with a "*" (aria-required): the code is suggested from the Name when left
# empty, and the context fields are required only for their trigger.
MARKED_REQUIRED = ("name", "code", "url", "trigger", "workflow", "survey", "group", "max_in_flight")
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
        # What the services let a form change (the subscription's `fields` are `field_paths`).
        fields = ["code", *(name for name in WEBHOOK_EDITABLE_FIELDS if name != "fields")]
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
        # `instance` is also BaseModelForm.__init__'s ninth positional parameter, so mypy cannot tell
        # that `args` (data, files) never reaches it.
        super().__init__(*args, instance=instance, **kwargs)  # type: ignore[misc]
        self.company_id = company_id
        self.webhook = webhook
        for name, model in (("workflow", Workflow), ("survey", Survey), ("group", Group)):
            choice = cast(forms.ModelChoiceField, self.fields[name])
            choice.queryset = model.objects.filter(company_id=company_id, is_active=True)
        for name in MARKED_REQUIRED:
            self.fields[name].marked_required = True  # type: ignore[attr-defined]  # read by _field.html
            self.fields[name].widget.attrs["aria-required"] = "true"
        if webhook is not None:
            self.fields["code"].disabled = True
            self.fields["code"].widget.attrs["readonly"] = True
            del self.fields["code"].widget.attrs["aria-required"]
        else:
            self.fields["code"].widget.attrs["data-code-suggest"] = "true"
            self.fields["name"].widget.attrs["data-code-source"] = "true"
        self.fields["trigger"].widget.attrs["data-trigger"] = "true"
        cast(forms.MultipleChoiceField, self.fields["field_paths"]).choices = [
            (p, p) for p in self.offered_paths
        ]
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
        super().clean()
        data = self.cleaned_data
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
        super()._post_clean()  # type: ignore[misc]  # the stubs do not declare ModelForm._post_clean

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
