"""The delivery clock: rings queues whose retry fell due, whose drain died, whose doorbell was lost.

django-q2's scheduler looks at schedules only every 30 s, so a retry due in
30 s could fire up to a minute late. Instead each cluster worker runs this
small thread, which every WEBHOOK_CLOCK_INTERVAL seconds asks the database
which queues need a ring (`queues_ring_due`). It reads webhook rows only,
through partial indexes, never a queue's backlog, so its cost does not grow
with the number of pending deliveries, and one webhook's backlog cannot crowd
the others out of a tick. A conditional update rings each queue once however
many clocks (workers, clusters, machines) are ticking.
"""

import logging
import multiprocessing
import random
import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from webhooks.engine import doorbell
from webhooks.models import Webhook

logger = logging.getLogger("webhooks.clock")
_started = False
# Rings per tick at most; the rest wait for the next tick, the most overdue first.
TICK_LIMIT = 500


def clock_start(**kwargs: Any) -> None:
    """django-q2 `post_spawn` receiver: runs in each freshly spawned worker process."""
    global _started
    # django-q2's sync mode (tests) runs a worker in the main process: no clock there.
    if _started or multiprocessing.current_process().name == "MainProcess":
        return
    _started = True
    threading.Thread(target=_tick_forever, name="webhook-clock", daemon=True).start()


def _tick_forever() -> None:
    while True:
        # Jitter keeps the clocks of several workers from ticking in lockstep.
        time.sleep(settings.WEBHOOK_CLOCK_INTERVAL * random.uniform(0.8, 1.2))
        close_old_connections()
        clock_tick()


def clock_tick(*, now: datetime | None = None) -> None:
    """One tick: ring what is due (everything due after a broker outage), then beat. Each part
    fails alone, logged: a broker outage must not stop the rings that need only the database,
    nor the other way round."""
    from webhooks.health import cluster_heartbeat_beat

    try:
        returned = doorbell.broker_returned()
    except Exception:
        _failure_log("the broker does not answer")
        returned = False
    if returned:
        logger.warning("delivery clock: the broker is back; ringing every queue with a due head")
        _sweep.start()
    try:
        _t0 = time.monotonic()
        _r = queues_ring_due(now=now)
        _d = time.monotonic() - _t0
        if _d > 0.03:
            import os

            with open(f"/tmp/clock.{os.getpid()}", "a") as f:
                f.write(f"{time.time():.2f} {len(_r)} rung in {_d * 1000:.0f} ms\n")
    except Exception:
        _failure_log("tick failed")
        return
    # After the ring, so that a fresh heartbeat means "a clock tick succeeded".
    try:
        cluster_heartbeat_beat(force=returned)
    except Exception:
        _failure_log("heartbeat not written")


# During an outage every tick fails alike: the traceback is logged once a minute per kind.
FAILURE_LOG_EVERY = 60.0
_failures_logged: dict[str, float] = {}


def _failure_log(what: str) -> None:
    now = time.monotonic()
    if now - _failures_logged.get(what, -FAILURE_LOG_EVERY) >= FAILURE_LOG_EVERY:
        _failures_logged[what] = now
        logger.exception("delivery clock: %s", what)


class _Sweep:
    """After the broker came back: every queue with a due head is rung, TICK_LIMIT a tick, in
    id order (`after` is where the next tick goes on; None when no sweep is under way)."""

    def __init__(self) -> None:
        self.after: str | None = None

    def start(self) -> None:
        self.after = ""

    def next_ids(self, now: datetime) -> list[str]:
        if self.after is None:
            return []
        due = Webhook.objects.idle_with_due_head(now).filter(pk__gt=self.after).order_by("pk")
        ids = list(due.values_list("pk", flat=True)[:TICK_LIMIT])
        self.after = ids[-1] if len(ids) == TICK_LIMIT else None
        return ids


_sweep = _Sweep()
# Rings this process could not hand to the broker: tried again on the next tick.
_unsent: set[str] = set()


def _claim_wakeable(now: datetime) -> list[str]:
    """The queues to wake (Webhook.objects.wakeable), marked rung in one transaction — one commit
    however many retries fell due at once. Of several clocks ticking at once each claims other
    rows: on PostgreSQL a clock skips the rows another one has locked, and re-checks the rest
    after that one's commit (when they are no longer wakeable); SQLite's write transactions run
    one at a time (IMMEDIATE)."""
    with transaction.atomic():
        due = (
            Webhook.objects.wakeable(now)
            .order_by("wake_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:TICK_LIMIT]
        )
        woken = list(due)
        if woken:
            Webhook.objects.filter(pk__in=woken).update(rung_at=now)
    return woken


def queues_ring_due(*, now: datetime | None = None) -> list[str]:
    """Ring the queues that need it now; returns the webhook ids rung.

    Each ring is a conditional update on the webhook row's own columns, so that of
    several clocks ticking at once exactly one rings a queue. A ring the broker refused
    is kept and tried again on the next tick (its `rung_at` is already written, so no
    other clock would ring that queue before the sweep).
    """
    now = now or timezone.now()
    webhooks = Webhook.objects
    woken = _claim_wakeable(now)
    lost = webhooks.idle_with_old_head(now).values_list("pk", flat=True)[:TICK_LIMIT]
    rung = [pk for pk in lost if webhooks.idle_unrung(now).filter(pk=pk).update(rung_at=now)]
    rung += [pk for pk in _sweep.next_ids(now) if pk not in rung and pk not in woken]
    rung += [pk for pk in _unsent if pk not in rung and pk not in woken]
    try:
        # A retry that fell due (or a dead drain's queue) is drained behind the fresh work of
        # the webhooks whose receivers answer (dispatcher, "Failing receivers wait behind").
        doorbell.ring(webhook_ids=woken, force=True, behind=True)
        doorbell.ring(webhook_ids=rung, force=True)
    except Exception:
        _unsent.update(woken + rung)
        raise
    rung = woken + rung
    _unsent.clear()
    return rung
