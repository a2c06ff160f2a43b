"""Send test event: from the settings page (its result and the Logs) or from the resume dialog."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webhooks import limits
from webhooks.engine import resend
from webhooks.failure_reasons import failure_reason_display
from webhooks.models import Delivery, Webhook
from webhooks.panel import queries
from webhooks.panel.settings_page import logs_context, shown_filters
from webhooks.panel.shared import company_webhook, is_fragment, staff_required
from webhooks.staff import PanelRequest


@require_POST
@staff_required
def webhook_send_test(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = company_webhook(request, pk)
    to_resume = request.POST.get("next") == "resume"  # sent from the resume dialog
    wait = limits.send_test_wait(webhook=webhook)
    if wait:
        return _send_test_limited(request, webhook, wait, to_resume=to_resume)
    delivery = resend.webhook_send_test(webhook=webhook)
    if to_resume:
        return _resume_test_result(request, webhook, delivery)
    if not is_fragment(request):
        return redirect("webhooks:delivery", pk=webhook.pk, delivery_id=delivery.object_id)
    context = {
        "webhook": webhook,
        "delivery": delivery,
        "result": queries.result_of(delivery.state, delivery.attempts),
        "response_text": queries.pretty_json(delivery.response),
    }
    result = render_to_string("webhooks/settings.html#test_result", context, request=request)
    logs = render_to_string(
        "webhooks/settings.html#logs",
        logs_context(request, webhook, 1, filters=shown_filters(request), oob=True),
        request=request,
    )
    return HttpResponse(result + logs)


def _resume_test_result(request: PanelRequest, webhook: Webhook, delivery: Delivery) -> HttpResponse:
    """A test event sent from the resume dialog: its result in the dialog (the receiver is back,
    or not yet), or without JS on the resume page again, as a message."""
    result = queries.result_of(delivery.state, delivery.attempts)
    if is_fragment(request):
        context = {"webhook": webhook, "test_delivery": delivery, "test_result": result}
        return render(request, "webhooks/resume.html#resume_test", context)
    if delivery.state == Delivery.State.SUCCESS:
        messages.success(
            request,
            _("Test event delivered: the receiver answered %(status)s.") % {"status": delivery.status_code},
        )
    else:
        messages.error(
            request,
            _("Test event not delivered: %(reason)s")
            % {"reason": failure_reason_display(delivery.response) if delivery.response else result["label"]},
        )
    return redirect("webhooks:resume", pk=webhook.pk)


def _send_test_limited(
    request: PanelRequest, webhook: Webhook, wait: int, *, to_resume: bool = False
) -> HttpResponse:
    notice = _("Too many test events for now. Try again in %(seconds)s s.") % {"seconds": wait}
    if to_resume and is_fragment(request):
        response = render(
            request, "webhooks/resume.html#resume_test", {"webhook": webhook, "limited": notice}
        )
    elif to_resume:
        messages.error(request, notice)
        response = redirect("webhooks:resume", pk=webhook.pk)
    elif is_fragment(request):
        # 200, so that htmx swaps the message in; the status is in the header for scripts.
        response = render(
            request, "webhooks/settings.html#test_result", {"webhook": webhook, "limited": notice}
        )
    else:
        messages.error(request, notice)
        response = redirect("webhooks:edit", pk=webhook.pk)
    response["Retry-After"] = str(wait)
    return response
