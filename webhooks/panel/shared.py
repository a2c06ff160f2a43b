"""What every page of the staff panel uses: the staff check, the company's webhook, fragment
or page, and pager links.
"""

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, cast
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect

from webhooks.models import Webhook
from webhooks.staff import PanelRequest, staff_company_id

P = ParamSpec("P")


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


def is_fragment(request: PanelRequest) -> bool:
    """True when HTMX asks for a fragment (not when it restores history, which needs a page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def int_param(value, default: int, *, choices=None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if choices is not None and number not in choices:
        return default
    return max(number, 1)


def pager_links(page, url: str, params: dict, *, param: str = "page") -> dict:
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


def company_webhook(request: PanelRequest, pk: str, *, regular: bool = False) -> Webhook:
    """A webhook of the user's company, or 404. `regular`: not the operational (alerts) webhook,
    whose URL only the alerts settings change (webhooks.alerts); its logs and secret are reachable."""
    webhooks = Webhook.objects.for_company(staff_company_id(request.user))
    return get_object_or_404(webhooks.regular() if regular else webhooks, pk=pk)
