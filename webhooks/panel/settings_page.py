"""The settings page of a webhook, with its Logs section: drawn whole by the views of its
sections (settings, Logs, charts, secret) when a request asks for the page, not a fragment.
"""

import contextlib
from urllib.parse import urlencode, urlsplit

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from webhooks.models import Webhook
from webhooks.panel import charts, queries
from webhooks.panel.forms import LogFilterForm, WebhookForm
from webhooks.panel.shared import pager_links
from webhooks.staff import PanelRequest

LOGS_PER_PAGE = 10


def _redeliver_failed_url(webhook: Webhook, query: dict) -> str:
    """The bulk redelivery page, for the days the Logs are filtered on (if any)."""
    days = {name: query[name] for name in ("from", "to") if name in query}
    url = reverse("webhooks:redeliver_failed", args=[webhook.pk])
    return f"{url}?{urlencode(days)}" if days else url


def logs_context(
    request: PanelRequest,
    webhook: Webhook,
    page_number,
    *,
    filters: LogFilterForm | None = None,
    oob: bool = False,
    announce: str = "",
    error: str = "",
) -> dict:
    filters = filters if filters is not None else LogFilterForm()
    logs = queries.deliveries_for(webhook)
    invalid = filters.is_bound and not filters.is_valid()
    if invalid:
        logs = logs.none()  # the form shows what to correct; no rows until it is
    elif filters.is_bound:
        logs = logs.log_filter(company_id=webhook.company_id, **filters.filters())
    query = filters.query()
    page = queries.CappedPaginator(logs, LOGS_PER_PAGE).get_page(page_number)
    waiting = queries.waiting_for(webhook, page)
    rows = [
        {
            "delivery": d,
            "result": queries.result_of(d.state, d.attempts),
            "kind": queries.kind_label(d.kind),
            "waiting_for": waiting.get(d.pk),
        }
        for d in page
    ]
    pending = queries.has_pending(page)
    poll = None
    if invalid:
        pass  # nothing to refresh
    elif pending:
        poll = "every 2s"
    elif page.number == 1:
        poll = "every 4s"  # new rows appear on the first page without a reload
    logs_url = reverse("webhooks:logs", args=[webhook.pk])
    return {
        "webhook": webhook,
        "logs_page": page,
        "log_rows": rows,
        "log_filters": filters,
        "logs_filtered": bool(query),
        "logs_filter_invalid": invalid,
        "logs_url": logs_url,
        "redeliver_failed_url": _redeliver_failed_url(webhook, query),
        "logs_pager": pager_links(page, logs_url, query),
        "logs_poll": poll,
        # The live refresh keeps the filters (and the page) it shows.
        "logs_poll_url": f"{logs_url}?{urlencode({**query, 'page': page.number})}",
        "oob": oob,
        "announce": announce,
        "logs_error": error,
    }


def shown_filters(request: PanelRequest) -> LogFilterForm:
    """The filters of the Logs table the browser shows: those of the page's URL for an HTMX
    request (a redelivery or test event from a filtered view keeps its filters)."""
    params = request.GET
    if request.htmx and request.htmx.current_url:
        # A malformed header (say `http://[`) is ignored: the action ran, the Logs show unfiltered.
        with contextlib.suppress(ValueError):
            params = QueryDict(urlsplit(request.htmx.current_url).query)
    return LogFilterForm(params)


def settings_page(
    request: PanelRequest,
    webhook: Webhook | None,
    form: WebhookForm,
    *,
    logs_page=1,
    filters: LogFilterForm | None = None,
    secret_revealed: bool = False,
    chart_range: str | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, object] = {"webhook": webhook, "form": form, "secret_revealed": secret_revealed}
    if webhook is not None:
        context["banner"] = queries.health_banner(webhook)
        context.update(logs_context(request, webhook, logs_page, filters=filters))
        context["charts"] = charts.webhook_charts(webhook_id=webhook.pk, key=charts.range_of(chart_range))
    return render(request, "webhooks/settings.html", context, status=status)
