"""A webhook's Logs: the filtered table, a delivery's detail, and its redelivery."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from webhooks import services
from webhooks.models import Delivery
from webhooks.panel import queries
from webhooks.panel.forms import LogFilterForm, WebhookForm
from webhooks.panel.settings_page import logs_context, settings_page, shown_filters
from webhooks.panel.shared import company_webhook, is_fragment, staff_required
from webhooks.staff import PanelRequest, staff_company_id


@require_GET
@staff_required
def webhook_logs(request: PanelRequest, pk: str) -> HttpResponse:
    """The Logs table, filtered by the query string (LogFilterForm): the whole settings page,
    the Logs section (a filter or a page change), or only its table (the live refresh)."""
    webhook = company_webhook(request, pk)
    filters = LogFilterForm(request.GET)
    if is_fragment(request):
        context = logs_context(request, webhook, request.GET.get("page"), filters=filters)
        if request.htmx.target == "log-table":  # the live refresh
            return render(request, "webhooks/settings.html#log_table", context)
        response = render(request, "webhooks/settings.html#logs", context)
        if request.htmx.trigger in ("log-filters", "log-filters-clear"):
            # The address of what is shown, without the form's empty fields, for sharing.
            query = filters.query() if filters.is_valid() else request.GET.dict()
            push_url(response, context["logs_url"] + (f"?{urlencode(query)}" if query else ""))
        return response
    if filters.typed_dates and filters.is_valid():
        # A filter sent without JS has its days as typed (01/12/2026): the address gets ISO dates,
        # which read the same for an administrator of the other language.
        query = {**filters.query(), **({"page": request.GET["page"]} if request.GET.get("page") else {})}
        return redirect(f"{reverse('webhooks:logs', args=[webhook.pk])}?{urlencode(query)}#logs")
    form = WebhookForm(company_id=staff_company_id(request.user), webhook=webhook)
    return settings_page(request, webhook, form, logs_page=request.GET.get("page"), filters=filters)


def company_delivery(request: PanelRequest, pk: str, delivery_id: str) -> Delivery:
    webhook = company_webhook(request, pk)
    return get_object_or_404(
        Delivery.objects.select_related("event", "webhook").prefetch_related("attempt_set"),
        webhook=webhook,
        object_id=delivery_id,
    )


@require_GET
@staff_required
def delivery_detail(request: PanelRequest, pk: str, delivery_id: str) -> HttpResponse:
    delivery = company_delivery(request, pk, delivery_id)
    context = {
        "webhook": delivery.webhook,
        "delivery": delivery,
        "result": queries.result_of(delivery.state, delivery.attempts),
        "kind": queries.kind_label(delivery.kind),
        "event_json": queries.pretty_json(delivery.event.body),
        "response_text": queries.pretty_json(delivery.response),
        "attempts": delivery.attempt_set.all(),
        "waiting_for": queries.waiting_for(delivery.webhook, [delivery]).get(delivery.pk),
    }
    if is_fragment(request):
        return render(request, "webhooks/delivery.html#log", context)
    return render(request, "webhooks/delivery.html", context)


@require_POST
@staff_required
def delivery_redeliver(request: PanelRequest, pk: str, delivery_id: str) -> HttpResponse:
    delivery = company_delivery(request, pk, delivery_id)
    try:
        services.delivery_redeliver(delivery=delivery)
    except ValidationError as refused:
        notice, error = "", refused.messages[0]
    else:
        notice, error = _("Redelivery queued."), ""
    if is_fragment(request):
        context = logs_context(
            request,
            delivery.webhook,
            1,
            filters=shown_filters(request),
            announce=notice or error,
            error=error,
        )
        return render(request, "webhooks/settings.html#logs", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(reverse("webhooks:edit", args=[delivery.webhook_id]) + "#logs")
