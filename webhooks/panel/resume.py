"""Resume a paused webhook (docs/panel.md, "A webhook that keeps failing"): the dialog that asks
what to do with the deliveries that waited, deliver them in order (the default) or skip them, with
a test event to check the receiver first. Without JS it is a page of its own; with HTMX its body
is loaded into a <dialog> of the settings page or the list. The resume itself is a plain POST."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from webhooks import services
from webhooks.models import Webhook
from webhooks.panel import queries
from webhooks.panel.forms import ResumeForm
from webhooks.panel.shared import company_webhook, is_fragment, staff_required
from webhooks.staff import PanelRequest

TEMPLATE = "webhooks/resume.html"
# Where the dialog was opened from, and so where the resume returns to.
ORIGINS = ("edit", "list")


def _origin(request: PanelRequest) -> str:
    origin = request.POST.get("from") or request.GET.get("from")
    return origin if origin in ORIGINS else "edit"


def _back_url(webhook: Webhook, origin: str) -> str:
    return reverse("webhooks:list") if origin == "list" else reverse("webhooks:edit", args=[webhook.pk])


def _refused(form: ResumeForm, error: ValidationError) -> None:
    """The service's refusal as the form's errors: an unknown backlog on its field, an active
    webhook as said, a missing workflow/survey/group (activate()'s field errors) in words."""
    if hasattr(error, "error_dict") and "backlog" in error.error_dict:
        form.add_error("backlog", error.error_dict["backlog"])
    elif hasattr(error, "error_dict"):
        form.add_error(None, _("Choose the trigger's workflow, survey or group and save before resuming it."))
    else:
        form.add_error(None, error.messages[0])


def _resumed_notice(skipped: int, backlog: str) -> str:
    if backlog == services.Backlog.SKIP:
        return ngettext(
            "Webhook resumed. %(count)d delivery that waited was skipped (SKIPPED in the logs).",
            "Webhook resumed. %(count)d deliveries that waited were skipped (SKIPPED in the logs).",
            skipped,
        ) % {"count": skipped}
    return _("Webhook resumed. What waited is being delivered, in its original order.")


@require_http_methods(["GET", "POST"])
@staff_required
def webhook_resume(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = company_webhook(request, pk)
    origin = _origin(request)
    form = ResumeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        backlog = form.cleaned_data["backlog"]
        try:
            skipped = services.webhook_resume(webhook=webhook, backlog=backlog)
        except ValidationError as error:
            _refused(form, error)
            webhook.refresh_from_db()
        else:
            messages.success(request, _resumed_notice(skipped, backlog))
            return redirect(_back_url(webhook, origin))
    context = {
        "webhook": webhook,
        "form": form,
        "origin": origin,
        "back_url": _back_url(webhook, origin),
        "banner": queries.health_banner(webhook),
        "waiting": queries.waiting_count(webhook),
    }
    return render(request, f"{TEMPLATE}#resume" if is_fragment(request) else TEMPLATE, context)
