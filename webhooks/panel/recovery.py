"""Recover after an outage: redeliver the failed deliveries of a time range, with a count of what
will be sent and a confirmation (the API's `redeliver-failed`, docs/api.md)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from webhooks import services
from webhooks.models import Delivery
from webhooks.panel.forms import RedeliverFailedForm, local_midnight
from webhooks.panel.shared import company_webhook, is_fragment, staff_required
from webhooks.staff import PanelRequest

TEMPLATE = "webhooks/redeliver_failed.html"


def _initial_range(request: PanelRequest) -> dict:
    """The Logs filter's days (`from`, `to`, both included) when given, else the last 24 hours."""
    zone, now = timezone.get_current_timezone(), timezone.now()
    # Computed in UTC (24 real hours, never a local time a DST change skips), to the minute,
    # the end rounded up: what failed a few seconds ago is in the range.
    start, end = timezone.localtime(now - timedelta(days=1)), timezone.localtime(now + timedelta(minutes=1))
    try:
        if request.GET.get("from"):
            start = local_midnight(datetime.strptime(request.GET["from"], "%Y-%m-%d").date(), zone)
        if request.GET.get("to"):
            end = local_midnight(
                datetime.strptime(request.GET["to"], "%Y-%m-%d").date() + timedelta(days=1), zone
            )
    except (ValueError, OverflowError):
        pass  # a hand-edited address: the default range
    return {
        "created_from": start.replace(second=0, microsecond=0),
        "created_to": end.replace(second=0, microsecond=0),
    }


def _queued_notice(batch: services.RedeliveryBatch) -> str:
    notice = ngettext(
        "%(count)d failed delivery queued again.", "%(count)d failed deliveries queued again.", batch.queued
    ) % {"count": batch.queued}
    if batch.remaining:
        notice += " " + ngettext(
            "%(count)d more is left (at most %(max)d at a time): redeliver failed again to continue.",
            "%(count)d more are left (at most %(max)d at a time): redeliver failed again to continue.",
            batch.remaining,
        ) % {"count": batch.remaining, "max": settings.WEBHOOK_REDELIVER_FAILED_MAX}
    return notice


@require_http_methods(["GET", "POST"])
@staff_required
def logs_redeliver_failed(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = company_webhook(request, pk)
    bound = (
        request.POST if request.method == "POST" else (request.GET if "created_from" in request.GET else None)
    )
    form = RedeliverFailedForm(bound, initial=_initial_range(request))
    count = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["created_from"], form.cleaned_data["created_to"]
        if request.method == "POST":
            batch = services.deliveries_redeliver_failed(webhook=webhook, created_from=start, created_to=end)
            messages.success(request, _queued_notice(batch))
            return redirect(reverse("webhooks:edit", args=[webhook.pk]) + "#logs")
        count = len(Delivery.objects.failed_to_redeliver(webhook.pk, start, end))
    context = {"webhook": webhook, "form": form, "count": count, "cap": settings.WEBHOOK_REDELIVER_FAILED_MAX}
    return render(request, f"{TEMPLATE}#recovery" if is_fragment(request) else TEMPLATE, context)
