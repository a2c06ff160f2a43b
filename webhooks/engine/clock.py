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

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from webhooks.engine import doorbell
from webhooks.models import Webhook

logger = logging.getLogger("webhooks.clock")
_started = False
# Rings per tick at most; the rest wait for the next tick, the most overdue first.
TICK_LIMIT = 500


def clock_start(**kwargs) -> None:
    """django-q2 `post_spawn` receiver: runs in each freshly spawned worker process."""
    global _started
    # django-q2's sync mode (tests) runs a worker in the main process: no clock there.
    if _started or multiprocessing.current_process().name == "MainProcess":
        return
    _started = True
    threading.Thread(target=_tick_forever, name="webhook-clock", daemon=True).start()


def _tick_forever() -> None:
    from webhooks.health import cluster_heartbeat_beat

    while True:
        # Jitter keeps the clocks of several workers from ticking in lockstep.
        time.sleep(settings.WEBHOOK_CLOCK_INTERVAL * random.uniform(0.8, 1.2))
        try:
            close_old_connections()
            queues_ring_due()
            # After the ring, so that a fresh heartbeat means "a clock tick succeeded".
            cluster_heartbeat_beat()
        except Exception:
            logger.exception("delivery clock tick failed")


def queues_ring_due(*, now=None) -> list[str]:
    """Ring the queues that need it now; returns the webhook ids rung.

    Each ring is a conditional update on the webhook row's own columns, so that of
    several clocks ticking at once exactly one rings a queue.
    """
    now = now or timezone.now()
    webhooks = Webhook.objects
    due = webhooks.wakeable(now).order_by("wake_at").values_list("pk", flat=True)[:TICK_LIMIT]
    rung = [pk for pk in due if webhooks.wakeable(now).filter(pk=pk).update(rung_at=now)]
    lost = webhooks.idle_with_old_head(now).values_list("pk", flat=True)[:TICK_LIMIT]
    rung += [pk for pk in lost if webhooks.idle_unrung(now).filter(pk=pk).update(rung_at=now)]
    doorbell.ring(webhook_ids=rung, force=True)
    return rung
