"""The list's forms: the rows checked for bulk deactivation, and the resume dialog of a
paused webhook."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.services import Backlog


class WebhookSelectionForm(forms.Form):
    """The checked rows of the list, for bulk deactivation."""

    ids = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; the service only touches the company's own webhooks.
        ids = cast(forms.MultipleChoiceField, self.fields["ids"])
        ids.valid_value = lambda value: isinstance(value, str) and len(value) <= 24  # type: ignore[method-assign]


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
