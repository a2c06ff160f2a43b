"""The staff panel (docs/panel.md) and the development demo receiver.

Views only parse input, call services and respond. Every view renders the
whole page for a plain request and just the changed fragment (a template
partial) for an HTMX request, so each interaction also works without JS.
"""

import contextlib
import functools
import json
from collections.abc import Callable, MutableMapping
from typing import Any, Concatenate, ParamSpec, cast
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from webhooks import limits, services
from webhooks.engine import resend
from webhooks.failure_reasons import failure_reason_display
from webhooks.models import Delivery, Webhook
from webhooks.panel import charts, destinations, queries
from webhooks.panel.forms import LIST_FIELDS, LogFilterForm, WebhookForm, WebhookSelectionForm, posted_initial
from webhooks.staff import PanelRequest, staff_company_id

DEMO_RECEIVED_KEY = "webhooks:demo-receiver"
DEMO_KEEP = 20

PER_PAGE_CHOICES = (10, 25, 50, 100)
LOGS_PER_PAGE = 10

P = ParamSpec("P")


# --- helpers ---------------------------------------------------------------


def staff_required(
    view: Callable[Concatenate[PanelRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Signed-in staff of a company only: others are sent to log in, or refused (403)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            login_url = reverse("login")
            if cast(PanelRequest, request).htmx:
                return HttpResponseClientRedirect(f"{login_url}?{urlencode({'next': request.path})}")
            return redirect_to_login(request.get_full_path(), login_url)
        if not (request.user.is_staff and request.user.company_id):
            raise PermissionDenied(_("The panel is for staff of a company."))
        # What PanelRequest promises holds from here on: a signed-in user (and HtmxMiddleware's `htmx`).
        response = view(cast(PanelRequest, request), *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return never_cache(wrapper)


def _fragment(request: PanelRequest) -> bool:
    """True when HTMX asks for a fragment (not when it restores history, which needs a page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _int(value, default: int, *, choices=None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if choices is not None and number not in choices:
        return default
    return max(number, 1)


def _pager(page, url: str, params: dict, *, param: str = "page") -> dict:
    """Links of a paginator: each is both an href and an hx-get."""

    def link(number: int) -> str:
        return f"{url}?{urlencode({**params, param: number})}"

    paginator = page.paginator
    return {
        "start": page.start_index(),
        "end": page.end_index(),
        "count": f"{paginator.count}+" if getattr(paginator, "capped", False) else paginator.count,
        "first": link(1) if page.number > 1 else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "last": link(paginator.num_pages) if page.number < paginator.num_pages else None,
        "number": page.number,
        "num_pages": paginator.num_pages,
    }


def _redeliver_failed_url(webhook: Webhook, query: dict) -> str:
    """The bulk redelivery page, for the days the Logs are filtered on (if any)."""
    days = {name: query[name] for name in ("from", "to") if name in query}
    url = reverse("webhooks:redeliver_failed", args=[webhook.pk])
    return f"{url}?{urlencode(days)}" if days else url


def _company_webhook(request: PanelRequest, pk: str, *, regular: bool = False) -> Webhook:
    """A webhook of the user's company, or 404. `regular`: not the operational (alerts) webhook,
    whose URL only the alerts settings change (webhooks.alerts); its logs and secret are reachable."""
    webhooks = Webhook.objects.for_company(staff_company_id(request.user))
    return get_object_or_404(webhooks.regular() if regular else webhooks, pk=pk)


# --- list ------------------------------------------------------------------


def _list_context(request: PanelRequest, params, notice: str = "") -> dict:
    show_disabled = params.get("disabled") == "1"
    per_page = _int(params.get("per_page"), 10, choices=PER_PAGE_CHOICES)
    webhooks = queries.webhooks_in_company(staff_company_id(request.user), show_disabled=show_disabled)
    page = Paginator(queries.webhooks_with_health(webhooks), per_page).get_page(params.get("page"))
    state: dict[str, str | int] = {"disabled": "1"} if show_disabled else {}
    if per_page != 10:
        state["per_page"] = per_page
    list_url = reverse("webhooks:list")
    toggle = {k: v for k, v in state.items() if k != "disabled"}
    if not show_disabled:
        toggle["disabled"] = "1"
    return {
        "page": page,
        "rows": [
            {
                "webhook": webhook,
                "health": queries.health(webhook),
                "failures": queries.failures_sentence(webhook),
            }
            for webhook in page
        ],
        "pager": _pager(page, list_url, state),
        "show_disabled": show_disabled,
        "per_page": per_page,
        "per_page_choices": PER_PAGE_CHOICES,
        "state": {**state, "page": page.number},
        "toggle_disabled_url": f"{list_url}?{urlencode(toggle)}",
        "notice": notice,
    }


@require_GET
@staff_required
def webhook_list(request: PanelRequest) -> HttpResponse:
    context = _list_context(request, request.GET)
    if _fragment(request):
        return render(request, "webhooks/list.html#table", context)
    return render(request, "webhooks/list.html", context)


@require_POST
@staff_required
def webhooks_deactivate(request: PanelRequest) -> HttpResponse:
    form = WebhookSelectionForm(request.POST)
    ids = form.cleaned_data["ids"] if form.is_valid() else []
    count = services.webhooks_deactivate(company_id=staff_company_id(request.user), webhook_ids=ids)
    if not ids:
        notice = _("Select the webhooks to deactivate.")
    elif not count:
        notice = _("Nothing changed: the selected webhooks were already disabled.")
    else:
        notice = ngettext("%(count)d webhook deactivated.", "%(count)d webhooks deactivated.", count) % {
            "count": count
        }
    if _fragment(request):
        context = _list_context(request, request.POST, notice=notice)
        return render(request, "webhooks/list.html#table", context)
    state = {k: request.POST[k] for k in ("disabled", "per_page", "page") if request.POST.get(k)}
    url = reverse("webhooks:list")
    return redirect(f"{url}?{urlencode(state)}" if state else url)


# --- settings panel --------------------------------------------------------


def _logs_context(
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
        "logs_pager": _pager(page, logs_url, query),
        "logs_poll": poll,
        # The live refresh keeps the filters (and the page) it shows.
        "logs_poll_url": f"{logs_url}?{urlencode({**query, 'page': page.number})}",
        "oob": oob,
        "announce": announce,
        "logs_error": error,
    }


def _shown_filters(request: PanelRequest) -> LogFilterForm:
    """The filters of the Logs table the browser shows: those of the page's URL for an HTMX
    request (a redelivery or test event from a filtered view keeps its filters)."""
    params = request.GET
    if request.htmx and request.htmx.current_url:
        # A malformed header (say `http://[`) is ignored: the action ran, the Logs show unfiltered.
        with contextlib.suppress(ValueError):
            params = QueryDict(urlsplit(request.htmx.current_url).query)
    return LogFilterForm(params)


def _settings_page(
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
        context.update(_logs_context(request, webhook, logs_page, filters=filters))
        context["charts"] = charts.webhook_charts(webhook_id=webhook.pk, key=charts.range_of(chart_range))
    return render(request, "webhooks/settings.html", context, status=status)


def _form_fragment(request: PanelRequest, webhook: Webhook | None, form: WebhookForm) -> HttpResponse:
    return render(request, "webhooks/settings.html#general", {"webhook": webhook, "form": form})


def _trigger_preview(request: PanelRequest, webhook: Webhook | None) -> WebhookForm:
    """An unsaved form laid out for the trigger in the query string (trigger change)."""
    initial: MutableMapping[str, Any] = {}
    if webhook is not None:
        initial = WebhookForm(company_id=staff_company_id(request.user), webhook=webhook).initial
    names = ["name", "url", "description", "trigger", "workflow", "survey", "group"]
    if webhook is None:
        names.append("code")  # a saved webhook's code is never taken from the request
    for name in names:
        if name in request.GET:
            initial[name] = request.GET[name]
    if "subscription_shown" in request.GET:  # the checkboxes the form showed, as they were ticked
        initial.update({name: request.GET.getlist(name) for name in LIST_FIELDS})
    unsaved = any(name in request.GET for name in names)
    return WebhookForm(
        company_id=staff_company_id(request.user), webhook=webhook, initial=initial, unsaved=unsaved
    )


def _warn_about_the_url(request: PanelRequest, url: str) -> None:
    """A URL to localhost or a private address is saved (development allows it), with a warning."""
    host = destinations.private_host(url)
    if host is None:
        return
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        warning = _("This URL points to a private address (%(host)s): it cannot be delivered in production.")
    else:
        warning = _(
            "This URL points to a private address (%(host)s): its deliveries are blocked here "
            "(WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)."
        )
    messages.warning(request, warning % {"host": host})


@require_http_methods(["GET", "POST"])
@staff_required
def webhook_create(request: PanelRequest) -> HttpResponse:
    company_id = staff_company_id(request.user)
    if request.method == "GET":
        form = _trigger_preview(request, None)
        if _fragment(request):
            return _form_fragment(request, None, form)
        return _settings_page(request, None, form)
    form = WebhookForm(request.POST, company_id=company_id)
    if form.is_valid() and "refresh" not in request.POST:
        try:
            webhook = services.webhook_create(
                company_id=company_id,
                code=form.cleaned_data["code"],
                is_active=form.instance.is_active,  # the Active checkbox, read by the form
                **form.service_fields(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Webhook created."))
            _warn_about_the_url(request, webhook.url)
            return redirect("webhooks:edit", pk=webhook.pk)
    elif "refresh" in request.POST:
        form = WebhookForm(initial=posted_initial(request.POST), company_id=company_id, unsaved=True)
    if _fragment(request):
        return _form_fragment(request, None, form)
    return _settings_page(request, None, form)


@require_http_methods(["GET", "POST"])
@staff_required
def webhook_edit(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = _company_webhook(request, pk, regular=True)
    company_id = staff_company_id(request.user)
    if request.method == "GET":
        form = _trigger_preview(request, webhook)
        if _fragment(request):
            return _form_fragment(request, webhook, form)
        return _settings_page(request, webhook, form, logs_page=request.GET.get("logs_page"))
    form = WebhookForm(request.POST, company_id=company_id, webhook=webhook)
    if "refresh" in request.POST:
        form = WebhookForm(
            initial=posted_initial(request.POST), company_id=company_id, webhook=webhook, unsaved=True
        )
    elif form.is_valid():
        try:
            # The posted code, if any, goes to the service, which refuses a change.
            services.webhook_update(
                webhook=webhook, code=request.POST.get("code") or None, **form.service_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Saved."))
            _warn_about_the_url(request, webhook.url)
            return redirect("webhooks:edit", pk=webhook.pk)
    if form.is_bound:  # the form wrote its values on the webhook to validate them: draw it as stored
        webhook.refresh_from_db()
    if _fragment(request):
        return _form_fragment(request, webhook, form)
    return _settings_page(request, webhook, form)


def _header_fragment(request: PanelRequest, context: dict) -> HttpResponse:
    """The page's header, and out of band its health banner (a paused webhook's, say) and its
    messages emptied: an earlier "Saved." is stale once the webhook's state changed."""
    header = render_to_string("webhooks/settings.html#header", context, request=request)
    banner = render_to_string(
        "webhooks/settings.html#health",
        {"webhook": context["webhook"], "banner": queries.health_banner(context["webhook"]), "oob": True},
        request=request,
    )
    cleared = render_to_string("_messages.html", {"messages": [], "oob": True}, request=request)
    return HttpResponse(header + banner + cleared)


@require_POST
@staff_required
def webhook_set_active(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = _company_webhook(request, pk, regular=True)
    active = request.POST.get("active") == "1"
    if active and webhook.is_paused:
        # A paused webhook's queue waited: the resume dialog asks what to do with it first.
        resume_url = reverse("webhooks:resume", args=[webhook.pk])
        return HttpResponseClientRedirect(resume_url) if request.htmx else redirect(resume_url)
    try:
        services.webhook_set_active(webhook=webhook, active=active)
    except ValidationError:  # its workflow, survey or group was deleted: choose another first
        error = _("Choose the trigger's workflow, survey or group and save before activating it.")
        if _fragment(request):
            return _header_fragment(request, {"webhook": webhook, "activate_error": error})
        messages.error(request, error)
        return redirect("webhooks:edit", pk=webhook.pk)
    notice = _("Webhook activated.") if webhook.is_active else _("Webhook deactivated.")
    if _fragment(request):
        return _header_fragment(request, {"webhook": webhook, "announce": notice})
    messages.success(request, notice)
    return redirect("webhooks:edit", pk=webhook.pk)


@require_GET
@staff_required
def webhook_logs(request: PanelRequest, pk: str) -> HttpResponse:
    """The Logs table, filtered by the query string (LogFilterForm): the whole settings page,
    the Logs section (a filter or a page change), or only its table (the live refresh)."""
    webhook = _company_webhook(request, pk)
    filters = LogFilterForm(request.GET)
    if _fragment(request):
        context = _logs_context(request, webhook, request.GET.get("page"), filters=filters)
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
    return _settings_page(request, webhook, form, logs_page=request.GET.get("page"), filters=filters)


@require_GET
@staff_required
def webhook_charts(request: PanelRequest, pk: str) -> HttpResponse:
    """The delivery charts for `?range=24h|7d`: the whole settings page, or only the charts."""
    webhook = _company_webhook(request, pk)
    key = charts.range_of(request.GET.get("range"))
    if _fragment(request):
        context = {"webhook": webhook, "charts": charts.webhook_charts(webhook_id=webhook.pk, key=key)}
        return render(request, "webhooks/settings.html#charts", context)
    form = WebhookForm(company_id=staff_company_id(request.user), webhook=webhook)
    return _settings_page(request, webhook, form, chart_range=key)


def _company_delivery(request: PanelRequest, pk: str, delivery_id: str) -> Delivery:
    webhook = _company_webhook(request, pk)
    return get_object_or_404(
        Delivery.objects.select_related("event", "webhook").prefetch_related("attempt_set"),
        webhook=webhook,
        object_id=delivery_id,
    )


@require_GET
@staff_required
def delivery_detail(request: PanelRequest, pk: str, delivery_id: str) -> HttpResponse:
    delivery = _company_delivery(request, pk, delivery_id)
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
    if _fragment(request):
        return render(request, "webhooks/delivery.html#log", context)
    return render(request, "webhooks/delivery.html", context)


@require_POST
@staff_required
def delivery_redeliver(request: PanelRequest, pk: str, delivery_id: str) -> HttpResponse:
    delivery = _company_delivery(request, pk, delivery_id)
    try:
        services.delivery_redeliver(delivery=delivery)
    except ValidationError as refused:
        notice, error = "", refused.messages[0]
    else:
        notice, error = _("Redelivery queued."), ""
    if _fragment(request):
        context = _logs_context(
            request,
            delivery.webhook,
            1,
            filters=_shown_filters(request),
            announce=notice or error,
            error=error,
        )
        return render(request, "webhooks/settings.html#logs", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(reverse("webhooks:edit", args=[delivery.webhook_id]) + "#logs")


@require_POST
@staff_required
def webhook_send_test(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = _company_webhook(request, pk)
    to_resume = request.POST.get("next") == "resume"  # sent from the resume dialog
    wait = limits.send_test_wait(webhook=webhook)
    if wait:
        return _send_test_limited(request, webhook, wait, to_resume=to_resume)
    delivery = resend.webhook_send_test(webhook=webhook)
    if to_resume:
        return _resume_test_result(request, webhook, delivery)
    if not _fragment(request):
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
        _logs_context(request, webhook, 1, filters=_shown_filters(request), oob=True),
        request=request,
    )
    return HttpResponse(result + logs)


def _resume_test_result(request: PanelRequest, webhook: Webhook, delivery: Delivery) -> HttpResponse:
    """A test event sent from the resume dialog: its result in the dialog (the receiver is back,
    or not yet), or without JS on the resume page again, as a message."""
    result = queries.result_of(delivery.state, delivery.attempts)
    if _fragment(request):
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
    if to_resume and _fragment(request):
        response = render(
            request, "webhooks/resume.html#resume_test", {"webhook": webhook, "limited": notice}
        )
    elif to_resume:
        messages.error(request, notice)
        response = redirect("webhooks:resume", pk=webhook.pk)
    elif _fragment(request):
        # 200, so that htmx swaps the message in; the status is in the header for scripts.
        response = render(
            request, "webhooks/settings.html#test_result", {"webhook": webhook, "limited": notice}
        )
    else:
        messages.error(request, notice)
        response = redirect("webhooks:edit", pk=webhook.pk)
    response["Retry-After"] = str(wait)
    return response


@require_GET
@staff_required
def webhook_secret(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = _company_webhook(request, pk)
    revealed = request.GET.get("reveal", "1") == "1"
    if _fragment(request):
        return render(
            request, "webhooks/settings.html#secret", {"webhook": webhook, "secret_revealed": revealed}
        )
    form = WebhookForm(company_id=staff_company_id(request.user), webhook=webhook)
    return _settings_page(request, webhook, form, secret_revealed=revealed)


@require_POST
@staff_required
def webhook_rotate_secret(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = _company_webhook(request, pk)
    services.webhook_rotate_secret(webhook=webhook)
    if _fragment(request):
        context = {"webhook": webhook, "secret_revealed": True, "rotated": True}
        return render(request, "webhooks/settings.html#secret", context)
    messages.success(
        request,
        _(
            "Secret rotated. The previous secret keeps signing requests, "
            "alongside the new one, for a grace period."
        ),
    )
    return redirect(reverse("webhooks:secret", args=[webhook.pk]) + "#secret")


# --- development demo receiver -------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def demo_receiver(request: HttpRequest) -> HttpResponse:
    """Development only: a receiver the seeded sample webhook posts to (POST, open like any
    receiver), and a page listing what arrived for the signed-in staff user's company (GET)."""
    if not settings.WEBHOOK_DEMO_RECEIVER:
        raise Http404
    if request.method == "GET":
        return _demo_received(request)
    received = cache.get(DEMO_RECEIVED_KEY, [])
    text = request.body.decode("utf-8", errors="replace")
    body, company = text, None
    # Not JSON, or nested too deeply for the parser (RecursionError): kept as text, for nobody.
    with contextlib.suppress(ValueError, AttributeError, RecursionError):
        document = json.loads(text)
        body = json.dumps(document, indent=2, ensure_ascii=False)
        company = document.get("company")
    entry = {"id": request.headers.get("webhook-id", ""), "company": company, "body": body}
    cache.set(DEMO_RECEIVED_KEY, [entry, *received][:DEMO_KEEP], None)
    return JsonResponse({"received": True})


@staff_required
def _demo_received(request: PanelRequest) -> HttpResponse:
    company_id = staff_company_id(request.user)
    received = [entry for entry in cache.get(DEMO_RECEIVED_KEY, []) if entry.get("company") == company_id]
    return render(request, "webhooks/demo_receiver.html", {"received": received})
