import contextlib
import json

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

DEMO_RECEIVED_KEY = "webhooks:demo-receiver"
DEMO_KEEP = 20


@csrf_exempt
@require_http_methods(["GET", "POST"])
def demo_receiver(request: HttpRequest) -> HttpResponse:
    """Development only: a receiver the seeded sample webhook posts to, and a page listing what arrived."""
    if not settings.WEBHOOK_DEMO_RECEIVER:
        raise Http404
    if request.method == "POST":
        received = cache.get(DEMO_RECEIVED_KEY, [])
        body = request.body.decode("utf-8", errors="replace")
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        entry = {"id": request.headers.get("webhook-id", ""), "body": body}
        cache.set(DEMO_RECEIVED_KEY, [entry, *received][:DEMO_KEEP], None)
        return JsonResponse({"received": True})
    return render(request, "webhooks/demo_receiver.html", {"received": cache.get(DEMO_RECEIVED_KEY, [])})
