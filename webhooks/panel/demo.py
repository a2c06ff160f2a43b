"""Development only (WEBHOOK_DEMO_RECEIVER): the receiver the seeded sample webhook posts to."""

import contextlib
import json

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from webhooks.panel.shared import staff_required
from webhooks.staff import PanelRequest, staff_company_id

DEMO_RECEIVED_KEY = "webhooks:demo-receiver"
DEMO_KEEP = 20


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
