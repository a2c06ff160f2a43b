"""The signed-in administrator's own pages: API tokens (Security) and the time zone."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from webhooks.models import ApiToken
from webhooks.panel import timezones
from webhooks.panel.forms import ApiTokenForm, TimeZoneForm
from webhooks.panel.shared import is_fragment, staff_required
from webhooks.staff import PanelRequest

# --- API tokens ------------------------------------------------------------


def _tokens_page(request: PanelRequest, form: ApiTokenForm, created: str = "") -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    context = {"tokens": tokens, "form": form, "created_token": created}
    template = "webhooks/token.html#tokens" if is_fragment(request) else "webhooks/token.html"
    return render(request, template, context)


@never_cache  # a created token is in the page: keep it out of every cache
@require_http_methods(["GET", "POST"])
@staff_required
def api_token(request: PanelRequest) -> HttpResponse:
    """The user's named API tokens; a POST creates one and shows it, once (never a redirect:
    the token is stored nowhere it could be shown from again)."""
    if request.method == "GET":
        return _tokens_page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form)
    days = form.cleaned_data["expires_in"]
    _, token = ApiToken.objects.create(
        user=request.user, name=form.cleaned_data["name"], expiry=timedelta(days=days) if days else None
    )
    return _tokens_page(request, ApiTokenForm(), created=token)


@require_POST
@staff_required
def api_token_revoke(request: PanelRequest, key: str) -> HttpResponse:
    revoked, _by_model = ApiToken.objects.filter(user=request.user, token_key=key).delete()
    if not revoked:
        raise Http404
    if is_fragment(request):
        return _tokens_page(request, ApiTokenForm())
    messages.success(request, _("Token revoked: scripts using it can no longer call the API."))
    return redirect("webhooks:token")


# --- time zone ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def time_zone(request: PanelRequest) -> HttpResponse:
    """Choose the zone the panel shows dates in; an empty choice lets the browser detect it."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("webhooks:list")
    current = timezone.get_current_timezone_name()
    form = TimeZoneForm(request.POST or None, initial={"zone": current}, current=current)
    if request.method == "POST" and form.is_valid():
        response = redirect(back)
        timezones.remember(response, form.zone_to_remember(), secure=request.is_secure())
        return response
    return render(request, "webhooks/time_zone.html", {"form": form, "next": back})
