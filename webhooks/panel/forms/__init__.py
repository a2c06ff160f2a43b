"""Forms of the staff panel, a module per page: they parse input and show the rules' errors.

The rules (the code pattern, a taken code, the URL, the lengths, the in-flight range, the
headers) and their messages are written once, in webhooks.rules, and applied by
Webhook.full_clean(); these modules mark the panel's own labels (translated, locale/es).
Trigger values themselves are never translated.
"""

from webhooks.panel.forms.account import ApiTokenForm, TimeZoneForm
from webhooks.panel.forms.dates import local_midnight
from webhooks.panel.forms.headers import HeaderForm, HeaderFormSet, HeaderRow
from webhooks.panel.forms.listing import ResumeForm, WebhookSelectionForm
from webhooks.panel.forms.logs import LogFilterForm, RedeliverFailedForm
from webhooks.panel.forms.operational import AlertsUrlForm
from webhooks.panel.forms.webhook import LIST_FIELDS, WebhookForm, posted_initial

__all__ = [
    "LIST_FIELDS",
    "AlertsUrlForm",
    "ApiTokenForm",
    "HeaderForm",
    "HeaderFormSet",
    "HeaderRow",
    "LogFilterForm",
    "RedeliverFailedForm",
    "ResumeForm",
    "TimeZoneForm",
    "WebhookForm",
    "WebhookSelectionForm",
    "local_midnight",
    "posted_initial",
]
