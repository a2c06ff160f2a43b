"""AUTOMATIONS -> Operational alerts: the company's alerts URL (docs/panel.md, "Operational
alerts"), where its operational webhook (webhooks.alerts) POSTs alerts about the other webhooks.
Set, change or clear it; its signing secret on demand. A plain page, with no JS needed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from webhooks import alerts
from webhooks.panel import queries
from webhooks.panel.forms import AlertsUrlForm
from webhooks.panel.shared import staff_required
from webhooks.staff import PanelRequest, staff_company, staff_company_id


@require_http_methods(["GET", "POST"])
@staff_required
def alerts_settings(request: PanelRequest) -> HttpResponse:
    company_id = staff_company_id(request.user)
    webhook = alerts.alerts_webhook(company_id=company_id)
    if request.method == "POST":
        form = AlertsUrlForm(request.POST)
        if "clear" in request.POST:
            form = AlertsUrlForm({"url": ""})
        if form.is_valid():
            try:
                webhook = alerts.alerts_webhook_set(
                    company=staff_company(request.user), url=form.cleaned_data["url"]
                )
            except ValidationError as error:
                for message in error.message_dict.get("url", error.messages):
                    form.add_error("url", message)
            else:
                messages.success(request, _("Alerts URL saved.") if webhook else _("Alerts URL removed."))
                return redirect("webhooks:alerts")
    else:
        form = AlertsUrlForm(initial={"url": webhook.url if webhook else ""})
    context = {
        "form": form,
        "alerts_webhook": webhook,
        "banner": queries.health_banner(webhook) if webhook else None,
        "secret_revealed": webhook is not None and request.GET.get("reveal") == "1",
    }
    return render(request, "webhooks/alerts.html", context)
