"""webhooks.engine.shutdown: a process forked by the cluster takes SIGTERM from anyone but its
parent as "the cluster is stopping", and dies on SIGTERM from its parent (django-q2's sentinel
terminating a worker past its timeout)."""

import multiprocessing
import signal
import subprocess
import threading

from tests.waiting import wait_until
from webhooks.engine import shutdown

fork = multiprocessing.get_context("fork")


def note_the_stop_then_wait(noted) -> None:
    wait_until(shutdown.stop_requested, timeout=30, message="the stop to be noted")
    noted.set()
    threading.Event().wait()  # until killed


def test_a_cluster_process_notes_sigterm_from_the_group_and_dies_on_sigterm_from_its_parent():
    noted = fork.Event()
    with shutdown.sigterm_held_for_the_cluster():
        child = fork.Process(target=note_the_stop_then_wait, args=(noted,), daemon=True)
        child.start()
    try:
        # From another process, as systemd or `kill -TERM -<pgid>` would send it.
        subprocess.run(["kill", "-TERM", str(child.pid)], check=True)

        assert noted.wait(30)
        assert child.is_alive()
        assert not shutdown.stop_requested()  # in the child only

        child.terminate()  # from its parent
        child.join(30)
        assert child.exitcode == 128 + signal.SIGTERM
    finally:
        child.kill()


def test_the_process_that_starts_the_cluster_takes_sigterm_again_once_it_has_started():
    with shutdown.sigterm_held_for_the_cluster():
        assert signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
