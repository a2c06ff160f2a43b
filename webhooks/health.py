"""Health of a running installation: `GET /healthz` for load balancers and monitors.

The answer is JSON, needs no login and holds no secrets (failures are named by
their exception class; the details go to the `webhooks.health` log):

    {"status": "ok" | "fail",
     "database": {"ok": true},
     "broker": {"ok": true, "type": "redis" | "orm", "queued": 0},
     "cluster": {"ok": true, "heartbeat_age_seconds": 0.8, "max_age_seconds": 60.0},
     "deliveries": {"ok": true, "pending": 3, "oldest_due_age_seconds": 0.2, "max_age_seconds": null}}

It is 503 when the database or the broker does not answer, when no delivery clock
has beaten for HEALTH_HEARTBEAT_MAX_AGE seconds (no `qcluster` is running, or its
clocks are stuck), or, if HEALTH_DELIVERY_MAX_AGE is above 0, when a due delivery
has waited longer than that; 200 otherwise.

The heartbeat: every cluster worker runs a delivery clock thread
(`webhooks.clock`), which calls `cluster_heartbeat_beat()` on each tick. The beat
is written to the "heartbeat" cache, which every process on every machine
shares (Redis when REDIS_URL is set, else a database table), so the web
process sees the clusters' heartbeat wherever they run.
"""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from webhooks.models import Delivery

logger = logging.getLogger("webhooks.health")

HEARTBEAT_CACHE = "heartbeat"
HEARTBEAT_KEY = "webhooks:cluster-heartbeat"
# Without an expiry the last beat stays readable however long the clusters are down.
HEARTBEAT_TIMEOUT = None

_last_beat = 0.0
_beat_lock = threading.Lock()


def _beat_interval() -> float:
    """How often one process writes its beat: often enough for the allowed age, at most every 10 s."""
    return min(10.0, settings.HEALTH_HEARTBEAT_MAX_AGE / 4)


def cluster_heartbeat_beat(*, now: float | None = None, force: bool = False) -> bool:
    """Record that a delivery clock is alive; call it on every clock tick.

    Writes at most every `_beat_interval()` seconds per process (so N workers on
    M machines do not write N x M times a second). Returns whether it wrote.
    """
    global _last_beat
    now = time.time() if now is None else now
    with _beat_lock:
        if not force and 0 <= now - _last_beat < _beat_interval():
            return False
        # Counted once written: a beat that failed (the cache's Redis is down) is tried again on
        # the next tick, so health recovers with the first tick after the outage.
        caches[HEARTBEAT_CACHE].set(HEARTBEAT_KEY, now, timeout=HEARTBEAT_TIMEOUT)
        _last_beat = now
    return True


def cluster_heartbeat_age(*, now: float | None = None) -> float | None:
    """Seconds since any delivery clock last beat, or None if none ever did."""
    beat = caches[HEARTBEAT_CACHE].get(HEARTBEAT_KEY)
    if beat is None:
        return None
    now = time.time() if now is None else now
    # Machines' clocks may disagree by a little: never report a negative age.
    return max(0.0, now - float(beat))


def _failure(check: str, exc: Exception) -> dict:
    logger.warning("health check %s failed: %s: %s", check, type(exc).__name__, exc)
    return {"ok": False, "error": type(exc).__name__}


def database_check() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _failure("database", exc)
    return {"ok": True}


_broker = None


def _get_broker():
    """django-q2's broker for this process, made once (a Redis broker keeps its connection pool)."""
    global _broker
    if _broker is None:
        from django_q.brokers import get_broker

        _broker = get_broker()
    return _broker


def broker_check() -> dict:
    """Redis: PING. ORM broker: a query on its table (its own `ping()` always says yes)."""
    kind = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
    try:
        broker = _get_broker()
        if broker.ping() is False:
            raise ConnectionError("broker did not answer the ping")
        queued = broker.queue_size()
    except Exception as exc:
        return {**_failure("broker", exc), "type": kind}
    return {"ok": True, "type": kind, "queued": queued}


def cluster_check() -> dict:
    max_age = settings.HEALTH_HEARTBEAT_MAX_AGE
    try:
        age = cluster_heartbeat_age()
    except Exception as exc:
        return {**_failure("cluster", exc), "heartbeat_age_seconds": None, "max_age_seconds": max_age}
    return {
        "ok": age is not None and age <= max_age,
        "heartbeat_age_seconds": None if age is None else round(age, 3),
        "max_age_seconds": max_age,
    }


def deliveries_check() -> dict:
    """Pending deliveries, and how long the oldest one that may be sent now has been due."""
    max_age = settings.HEALTH_DELIVERY_MAX_AGE or None
    now = timezone.now()
    try:
        pending = Delivery.objects.pending().count()
        oldest = (
            Delivery.objects.due(now).order_by("next_attempt_at").values_list("next_attempt_at", flat=True)
        )
        oldest_due = oldest.first()
    except Exception as exc:
        return {**_failure("deliveries", exc), "max_age_seconds": max_age}
    age = None if oldest_due is None else max(0.0, (now - oldest_due).total_seconds())
    return {
        "ok": max_age is None or age is None or age <= max_age,
        "pending": pending,
        "oldest_due_age_seconds": None if age is None else round(age, 3),
        "max_age_seconds": max_age,
    }


def health_report() -> dict:
    database = database_check()
    report: dict[str, Any] = {
        "status": "ok",
        "database": database,
        "broker": broker_check(),
        "cluster": cluster_check(),
        "deliveries": deliveries_check() if database["ok"] else {"ok": False, "error": "database"},
    }
    if not all(check["ok"] for name, check in report.items() if name != "status"):
        report["status"] = "fail"
    return report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """GET (or HEAD) /healthz: 200 when healthy, else 503; the same JSON either way."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
