"""The staff panel (docs/panel.md): the list, and a webhook's settings, charts and secret.

Views only parse input, call services and respond. Every view renders the
whole page for a plain request and just the changed fragment (a template
partial) for an HTMX request, so each interaction also works without JS.
"""

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from webhooks import services
from webhooks.models import Webhook
from webhooks.panel import charts, destinations, queries
from webhooks.panel.forms import LIST_FIELDS, WebhookForm, WebhookSelectionForm, posted_initial
from webhooks.panel.settings_page import settings_page
from webhooks.panel.shared import company_webhook, int_param, is_fragment, pager_links, staff_required
from webhooks.staff import PanelRequest, staff_company_id

PER_PAGE_CHOICES = (10, 25, 50, 100)


def _list_context(request: PanelRequest, params, notice: str = "") -> dict:
    show_disabled = params.get("disabled") == "1"
    per_page = int_param(params.get("per_page"), 10, choices=PER_PAGE_CHOICES)
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
        "pager": pager_links(page, list_url, state),
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
    if is_fragment(request):
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
    if is_fragment(request):
        context = _list_context(request, request.POST, notice=notice)
        return render(request, "webhooks/list.html#table", context)
    state = {k: request.POST[k] for k in ("disabled", "per_page", "page") if request.POST.get(k)}
    url = reverse("webhooks:list")
    return redirect(f"{url}?{urlencode(state)}" if state else url)


# --- settings page ---------------------------------------------------------


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
        if is_fragment(request):
            return _form_fragment(request, None, form)
        return settings_page(request, None, form)
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
    if is_fragment(request):
        return _form_fragment(request, None, form)
    return settings_page(request, None, form)


@require_http_methods(["GET", "POST"])
@staff_required
def webhook_edit(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = company_webhook(request, pk, regular=True)
    company_id = staff_company_id(request.user)
    if request.method == "GET":
        form = _trigger_preview(request, webhook)
        if is_fragment(request):
            return _form_fragment(request, webhook, form)
        return settings_page(request, webhook, form, logs_page=request.GET.get("logs_page"))
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
    if is_fragment(request):
        return _form_fragment(request, webhook, form)
    return settings_page(request, webhook, form)


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
    webhook = company_webhook(request, pk, regular=True)
    active = request.POST.get("active") == "1"
    if active and webhook.is_paused:
        # A paused webhook's queue waited: the resume dialog asks what to do with it first.
        resume_url = reverse("webhooks:resume", args=[webhook.pk])
        return HttpResponseClientRedirect(resume_url) if request.htmx else redirect(resume_url)
    try:
        services.webhook_set_active(webhook=webhook, active=active)
    except ValidationError:  # its workflow, survey or group was deleted: choose another first
        error = _("Choose the trigger's workflow, survey or group and save before activating it.")
        if is_fragment(request):
            return _header_fragment(request, {"webhook": webhook, "activate_error": error})
        messages.error(request, error)
        return redirect("webhooks:edit", pk=webhook.pk)
    notice = _("Webhook activated.") if webhook.is_active else _("Webhook deactivated.")
    if is_fragment(request):
        return _header_fragment(request, {"webhook": webhook, "announce": notice})
    messages.success(request, notice)
    return redirect("webhooks:edit", pk=webhook.pk)


@require_GET
@staff_required
def webhook_charts(request: PanelRequest, pk: str) -> HttpResponse:
    """The delivery charts for `?range=24h|7d`: the whole settings page, or only the charts."""
    webhook = company_webhook(request, pk)
    key = charts.range_of(request.GET.get("range"))
    if is_fragment(request):
        context = {"webhook": webhook, "charts": charts.webhook_charts(webhook_id=webhook.pk, key=key)}
        return render(request, "webhooks/settings.html#charts", context)
    form = WebhookForm(company_id=staff_company_id(request.user), webhook=webhook)
    return settings_page(request, webhook, form, chart_range=key)


@require_GET
@staff_required
def webhook_secret(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = company_webhook(request, pk)
    revealed = request.GET.get("reveal", "1") == "1"
    if is_fragment(request):
        return render(
            request, "webhooks/settings.html#secret", {"webhook": webhook, "secret_revealed": revealed}
        )
    form = WebhookForm(company_id=staff_company_id(request.user), webhook=webhook)
    return settings_page(request, webhook, form, secret_revealed=revealed)


@require_POST
@staff_required
def webhook_rotate_secret(request: PanelRequest, pk: str) -> HttpResponse:
    webhook = company_webhook(request, pk)
    services.webhook_rotate_secret(webhook=webhook)
    if is_fragment(request):
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
