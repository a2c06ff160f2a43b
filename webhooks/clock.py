"""The delivery clock: rings retries when they fall due, and lost doorbells.

django-q2's scheduler looks at schedules only every 30 s, so a retry due in
30 s could fire up to a minute late. Instead each cluster worker runs this
small thread, which every WEBHOOK_CLOCK_INTERVAL seconds asks the database
for due deliveries; a conditional update makes sure each is rung once
however many clocks (workers, clusters, machines) are ticking.
"""

import logging
import multiprocessing
import random
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("webhooks.clock")
_started = False


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
    from webhooks.services import deliveries_ring_due

    while True:
        # Jitter keeps the clocks of several workers from ticking in lockstep.
        time.sleep(settings.WEBHOOK_CLOCK_INTERVAL * random.uniform(0.8, 1.2))
        try:
            close_old_connections()
            deliveries_ring_due()
            # After the ring, so that a fresh heartbeat means "a clock tick succeeded".
            cluster_heartbeat_beat()
        except Exception:
            logger.exception("delivery clock tick failed")
