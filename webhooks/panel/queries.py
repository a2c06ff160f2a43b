"""Read-side helpers of the staff panel: queries and presentation, no writes.

Each query here runs a fixed number of SQL statements whatever the number
of webhooks or log rows (the health marks are correlated subqueries of the
one page query, not a query per row).
"""

import json
import re
import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.paginator import Paginator
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_stubs_ext import StrOrPromise

from webhooks.failure_reasons import failure_reason_display
from webhooks.models import (
    LOGS_ORDER,
    Delivery,
    DeliveryQuerySet,
    HealthState,
    InactiveReason,
    Ordering,
    Webhook,
    routed,
)

HEALTH_WINDOW = timedelta(hours=24)
HEALTH_SAMPLE = 1000
CODE_MAX_LENGTH = 60

# Shown in the panel in the active language; the stored values (and the API) stay as they are.
KIND_LABELS: dict[str, StrOrPromise] = {
    Delivery.Kind.EVENT: _("Event"),
    Delivery.Kind.REDELIVERY: _("Redelivery"),
    Delivery.Kind.TEST: _("Test"),
}


def code_suggest(name: str) -> str:
    """The Code suggested for a Name: "Órdenes de Trabajo 2-C" -> "ordenes_de_trabajo_2c".

    Accents are transliterated, whitespace becomes "_", anything else outside
    [a-z0-9_] is dropped. static/js/panel.js does the same in the browser.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    code = re.sub(r"\s+", "_", ascii_name.strip())
    code = re.sub(r"[^a-z0-9_]", "", code)
    code = re.sub(r"_+", "_", code).strip("_")
    return code[:CODE_MAX_LENGTH].rstrip("_")


class _Health(TypedDict):
    last_state: str | None
    last_status: int | None
    last_attempts: int | None
    recent_total: int
    recent_ok: int


if TYPE_CHECKING:  # WithAnnotations takes its second argument for the type checker only
    from django_stubs_ext import WithAnnotations

    # A webhook of `webhooks_with_health`.
    WebhookWithHealth = WithAnnotations[Webhook, _Health]


def webhooks_with_health(queryset: QuerySet[Webhook], *, now=None) -> "QuerySet[WebhookWithHealth]":
    """Annotate each webhook with its last result and its success counts, both over the last 24 h.

    Annotations: last_state, last_status, last_attempts, recent_total
    (finished deliveries created in the window) and recent_ok.
    """
    since = (now or timezone.now()) - HEALTH_WINDOW
    # The last result within the window, newest by creation time: an index range on
    # (webhook, created_at), whatever the planner's statistics. "ORDER BY id DESC LIMIT 1"
    # may instead walk the primary key backwards through every delivery of every webhook.
    last = Delivery.objects.filter(webhook=OuterRef("pk"), created_at__gte=since).order_by("-created_at")
    # The rate covers at most the latest HEALTH_SAMPLE finished deliveries of the window, so a
    # webhook with a million logs costs what one with a thousand does.
    recent = (
        Delivery.objects.filter(webhook=OuterRef(OuterRef("pk")), created_at__gte=since)
        .exclude(state=Delivery.State.PENDING)
        .order_by("-created_at")
        .values("pk")[:HEALTH_SAMPLE]
    )

    def counted(**conditions):
        # COUNT as a plain function, not an aggregate: one row, no GROUP BY.
        count = Func(F("pk"), function="COUNT")
        rows = Delivery.objects.filter(pk__in=recent, **conditions).order_by()
        return Subquery(rows.annotate(n=count).values("n")[:1], output_field=IntegerField())

    return queryset.annotate(
        last_state=Subquery(last.values("state")[:1]),
        last_status=Subquery(last.values("status_code")[:1]),
        last_attempts=Subquery(last.values("attempts")[:1]),
        recent_total=counted(),
        recent_ok=counted(state=Delivery.State.SUCCESS),
    )


def health(webhook: "WebhookWithHealth") -> dict:
    """Presentation of the annotations of `webhooks_with_health` for one row."""
    rate = None
    if webhook.recent_total:
        rate = round(100 * webhook.recent_ok / webhook.recent_total)
    result = result_of(webhook.last_state, webhook.last_attempts or 0) if webhook.last_state else None
    if rate is None:
        level = "none"
    elif rate >= 95:
        level = "good"
    elif rate >= 50:
        level = "warn"
    else:
        level = "bad"
    total = f"{HEALTH_SAMPLE}+" if webhook.recent_total >= HEALTH_SAMPLE else webhook.recent_total
    return {"result": result, "status": webhook.last_status, "rate": rate, "level": level, "total": total}


def result_of(state: str, attempts: int) -> dict:
    """The Result badge of a log row: a label (never colour alone) and a CSS modifier."""
    if state == Delivery.State.SUCCESS:
        return {"label": _("SUCCESS"), "css": "success"}
    if state == Delivery.State.FAILED:
        return {"label": _("FAILED"), "css": "failed"}
    if state == Delivery.State.SKIPPED:  # a resume skipped it: never sent, still redeliverable
        return {"label": _("SKIPPED"), "css": "pending"}
    if attempts:
        return {"label": _("RETRYING"), "css": "retrying"}
    return {"label": _("PENDING"), "css": "pending"}


def kind_label(kind: str) -> StrOrPromise:
    """What started a delivery (Event, Redelivery, Test), in the active language."""
    return KIND_LABELS.get(kind, kind)


def deliveries_for(webhook: Webhook) -> DeliveryQuerySet:
    """A webhook's log rows, newest first (served by the (webhook, created_at) index)."""
    return Delivery.objects.filter(webhook=webhook).order_by(*LOGS_ORDER)


def waiting_for(webhook: Webhook, deliveries) -> dict[int, Delivery]:
    """What each pending delivery of a page waits for, in `object` ordering: delivery id → the
    oldest older pending delivery of the same webhook whose event is about the same object
    (Event.subject_id). Deliveries queued before the last switch to `object` mode (id <=
    per_object_after), and events about no object, are left out. One query for the page,
    scoped to the webhook; the returned deliveries carry only their id and ObjectId (anything
    else is read on access)."""
    if webhook.ordering != Ordering.OBJECT:
        return {}
    ids = [d.pk for d in deliveries if d.state == Delivery.State.PENDING and d.pk > webhook.per_object_after]
    if not ids:
        return {}
    # Filtered on the event's company and object id, the columns of the events' (company,
    # subject_id) index: a planner may start from the events about the object, not walk the queue.
    earlier = Delivery.objects.filter(
        webhook_id=webhook.pk,
        state=Delivery.State.PENDING,
        event__company_id=webhook.company_id,
        event__subject_id=OuterRef("event__subject_id"),
        id__lt=OuterRef("id"),
    ).order_by("id")[:1]
    rows = (
        Delivery.objects.filter(webhook_id=webhook.pk, pk__in=ids)
        .exclude(event__subject_id="")
        .annotate(
            earlier_id=Subquery(earlier.values("id")), earlier_object_id=Subquery(earlier.values("object_id"))
        )
        .filter(earlier_id__isnull=False)
        .values_list("id", "earlier_id", "earlier_object_id")
    )
    return {
        delivery_id: Delivery.from_db(
            None, ["id", "object_id", "webhook_id"], (earlier_id, object_id, webhook.pk)
        )
        for delivery_id, earlier_id, object_id in rows
    }


def has_pending(deliveries) -> bool:
    return any(d.state == Delivery.State.PENDING for d in deliveries)


def pretty_json(text: str) -> str:
    """Indent a JSON text for display; anything that is not JSON is returned unchanged."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


def webhooks_in_company(company_id: str, *, show_disabled: bool) -> QuerySet[Webhook]:
    """The list's webhooks: without `show_disabled`, the active and the paused ones (a paused
    webhook needs its administrator: hiding it with the ones stopped by hand would hide that)."""
    # The operational webhook is set on its own page (webhooks.alerts), not listed with these.
    webhooks = Webhook.objects.for_company(company_id).regular()
    if not show_disabled:
        webhooks = webhooks.filter(routed())
    return webhooks


def waiting_count(webhook: Webhook) -> int:
    """How many deliveries wait in the webhook's queue (what a resume delivers or skips): one
    count over the (webhook, state, id) index."""
    return Delivery.objects.queue(webhook.pk).order_by().count()


def failures_sentence(webhook: Webhook) -> str:
    """What is wrong, in words: "The last 12 deliveries failed; the receiver answered HTTP 503."
    (the stored English reason shown in the active language)."""
    count = webhook.failed_in_a_row
    if not count:  # a 410 Gone pauses before any delivery ends FAILED: the pause's reason says it
        return ""
    reason = failure_reason_display(webhook.last_error) if webhook.last_error else ""
    if reason:
        return ngettext(
            "The last delivery failed; %(reason)s.",
            "The last %(count)d deliveries failed; %(reason)s.",
            count,
        ) % {"count": count, "reason": reason}
    # The same words as the alert emails' (templates/webhooks/email/alert.txt, branch notify): one
    # translation.
    return ngettext("The last delivery failed.", "The last %(counter)s deliveries failed.", count) % {
        "counter": count
    }


def health_banner(webhook: Webhook) -> dict | None:
    """The settings page's banner for a failing or paused webhook (None when healthy)."""
    state = webhook.health_state
    if state == HealthState.HEALTHY:
        return None
    paused = state == HealthState.PAUSED
    return {
        "state": state,
        "paused": paused,
        "gone": webhook.inactive_reason == InactiveReason.PAUSED_GONE,
        "failures": failures_sentence(webhook),
        "since": webhook.failing_since,
        "waiting": waiting_count(webhook) if paused else None,
    }


class CappedPaginator(Paginator):
    """Counts at most `cap` rows, so a log of a million rows pages as fast as one of a thousand.

    Past the cap the total reads "10000+" and the pages end there; older logs
    are reachable through the API's date filters.
    """

    cap = 10_000
    object_list: QuerySet[Any]  # what the panel pages: a QuerySet, counted with a LIMIT

    @cached_property
    def _counted(self) -> int:
        # Unordered: how many rows there are up to the cap does not depend on their order, and
        # without one the database may count from any index, e.g. one that holds every filter.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
