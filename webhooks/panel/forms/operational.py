"""The operational (alerts) page's form."""

from django import forms
from django.utils.translation import gettext_lazy as _


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
