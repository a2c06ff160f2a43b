"""Forms of the staff panel: they parse input; the services validate and save."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from events.models import Group, Survey, Workflow, code_validator
from webhooks.models import Trigger, Webhook
from webhooks.panel import code_suggest

REQUIRED_LABELS = {
    "name": "Name *",
    "code": "Code *",
    "url": "Url *",
    "trigger": "Trigger *",
    "workflow": "Workflow *",
    "survey": "Survey *",
    "group": "Group *",
}
CONTEXT_FIELDS = {Trigger.TASK: ("workflow",), Trigger.SURVEY: ("survey", "group")}


class WebhookForm(forms.Form):
    """General information of a webhook, for create (`webhook=None`) and edit.

    On edit the Code is disabled: Django ignores whatever is posted for it,
    and the view hands the posted value to `webhook_update`, which rejects a
    change.
    """

    name = forms.CharField(max_length=200)
    code = forms.CharField(
        max_length=60,
        required=False,
        validators=[code_validator],
        help_text="Lowercase letters, digits and underscores. It cannot be changed once saved.",
    )
    url = forms.CharField(label="Url", max_length=2000, widget=forms.URLInput)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    trigger = forms.ChoiceField(choices=Trigger.choices, initial=Trigger.USER)
    workflow = forms.ModelChoiceField(queryset=Workflow.objects.none(), required=False)
    survey = forms.ModelChoiceField(queryset=Survey.objects.none(), required=False)
    group = forms.ModelChoiceField(queryset=Group.objects.none(), required=False)

    def __init__(self, *args, company_id: str, webhook: Webhook | None = None, **kwargs):
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
            }
        super().__init__(*args, **kwargs)
        self.company_id = company_id
        self.webhook = webhook
        self.fields["workflow"].queryset = Workflow.objects.filter(company_id=company_id, is_active=True)
        self.fields["survey"].queryset = Survey.objects.filter(company_id=company_id, is_active=True)
        self.fields["group"].queryset = Group.objects.filter(company_id=company_id, is_active=True)
        for name, label in REQUIRED_LABELS.items():
            self.fields[name].label = label
        if webhook is not None:
            self.fields["code"].disabled = True
            self.fields["code"].validators = []
            self.fields["code"].widget.attrs["readonly"] = True
        else:
            self.fields["code"].widget.attrs["data-code-suggest"] = "true"
            self.fields["name"].widget.attrs["data-code-source"] = "true"
        self.fields["trigger"].widget.attrs["data-trigger"] = "true"

    @property
    def trigger_value(self) -> str:
        """The trigger to lay the context fields out for: posted, else initial."""
        value = self.data.get(self.add_prefix("trigger")) if self.is_bound else self.initial.get("trigger")
        return value if value in Trigger.values else Trigger.USER

    @property
    def context_field_names(self) -> tuple[str, ...]:
        return CONTEXT_FIELDS.get(self.trigger_value, ())

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "")
        if self.webhook is not None:
            return self.webhook.code
        if not code:
            code = code_suggest(self.data.get(self.add_prefix("name"), ""))
            if not code:
                raise ValidationError("This field is required.", code="required")
        if Webhook.objects.for_company(self.company_id).filter(code=code).exists():
            raise ValidationError("A webhook with this code already exists.", code="unique")
        return code

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
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError next to the fields it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            if field == NON_FIELD_ERRORS and any(e.code == "unique" for e in errors):
                # The (company, code) unique constraint: a concurrent create won the code.
                self.add_error("code", "A webhook with this code already exists.")
            elif field in self.fields:
                self.add_error(field, errors)
            else:
                self.add_error(None, errors)


class WebhookSelectionForm(forms.Form):
    """The checked rows of the list, for bulk deactivation."""

    ids = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; the service only touches the company's own webhooks.
        self.fields["ids"].valid_value = lambda value: isinstance(value, str) and len(value) <= 24
