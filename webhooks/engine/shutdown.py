"""Stopping a cluster on SIGTERM to its whole process group, which is what systemd sends by
default (KillMode=control-group), `kill -TERM -<pgid>` and a container runtime's stop do.

django-q2 (1.11, django_q/cluster.py) stops cleanly only when SIGTERM reaches the main
`qcluster` process alone: its handler (`Cluster.sig_handler` -> `Cluster.stop`) sets the stop
event and the sentinel stops the pusher, lets each worker finish its task, then stops the
monitor. But `Sentinel.__init__` resets SIGTERM to its default action, which its pusher, monitor
and workers inherit, so SIGTERM to the group kills all of them at once. The sentinel dies inside
`stop_event.wait()`, and the main process's `stop_event.set()` then waits for ever for that dead
sleeper to acknowledge the wake-up (`multiprocessing.synchronize.Condition.notify`): the cluster
logs "stopping" and never exits.

So the `qcluster` command (webhooks/management/commands/qcluster.py) keeps SIGTERM blocked while
it forks the sentinel: every cluster process inherits the blocked signal, whatever disposition
django-q2 gives it, and only the main process acts on SIGTERM. In every cluster process a thread
takes the blocked SIGTERM with `sigwaitinfo`, which names the sender:

- from the process's parent (the sentinel terminating a worker past its timeout): die, as
  django-q2 expects;
- from anyone else (the group's SIGTERM): note that the cluster is stopping, so that a drain in
  progress stops after its current attempt (webhooks.engine.delivery), releases its lease and
  rings its queue again, for the next cluster to take. Drains already handed to the worker
  still run, one attempt each (a drain always makes one), before django-q2 stops it: a worker
  that alone got a stray SIGTERM keeps making progress instead of bouncing its drains.

Ctrl+C needs none of this: django-q2 already has its cluster processes ignore SIGINT.
"""

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("webhooks.shutdown")

_stop_requested = threading.Event()
_watch_registered = False


def stop_requested() -> bool:
    """Whether this cluster process has been sent SIGTERM (the cluster is stopping)."""
    return _stop_requested.is_set()


@contextmanager
def sigterm_held_for_the_cluster() -> Iterator[None]:
    """Block SIGTERM in this process while it starts the cluster, and watch for it in every
    process forked meanwhile. A SIGTERM that arrives during the start is acted on at the end."""
    global _watch_registered
    if not _watch_registered:
        # Fork hooks cannot be removed; this process exists to run one cluster.
        os.register_at_fork(after_in_child=_sigterm_watch_start)
        _watch_registered = True
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _sigterm_watch_start() -> None:
    # Only in children forked with SIGTERM blocked: a fork after the start (there is none in
    # django-q2's main process) must not take SIGTERM from its own handler.
    if signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, set()):
        _stop_requested.clear()
        threading.Thread(target=_sigterm_watch, name="sigterm-watch", daemon=True).start()


def _sigterm_watch() -> None:
    while True:
        sent = signal.sigwaitinfo({signal.SIGTERM})
        if sent.si_pid == os.getppid():
            os._exit(128 + signal.SIGTERM)
        if not _stop_requested.is_set():
            logger.info("SIGTERM from pid %d: this process stops when the cluster stops it", sent.si_pid)
        _stop_requested.set()
