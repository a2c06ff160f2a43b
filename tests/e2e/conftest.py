"""End-to-end fixtures: a real `manage.py qcluster` process on the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.receiver import Receiver
from tests.waiting import wait_until  # noqa: F401  (the e2e tests import it from here)

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_group_members(pgid: int) -> list[int]:
    """The live processes of a process group (zombies, already dead, are not counted)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(group) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


class ClusterDidNotStop(AssertionError):
    pass


class Cluster:
    """One qcluster process, in its own process group (a session of its own, as systemd starts a
    service): SIGTERM to the group is how it is stopped, kill -9 to the group takes all of it."""

    def __init__(
        self, log_path: Path, resolv_conf: str | None = None, command: list[str] | None = None, **env: str
    ) -> None:
        self.log_path = log_path
        self.command = command or [sys.executable, "manage.py", "qcluster"]
        if resolv_conf:
            # Its own mount namespace, where /etc/resolv.conf is the given file: every DNS
            # lookup of the cluster (and only of the cluster) goes to the test's resolver.
            bind = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
            self.command = ["unshare", "--mount", "sh", "-c", bind, resolv_conf, *self.command]
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "WEBHOOK_RETRY_DELAY": "1",
            "WEBHOOK_CLOCK_INTERVAL": "0.2",
            "WEBHOOK_CONNECT_TIMEOUT": "1",
            "WEBHOOK_TIMEOUT": "2",
            # Short, so that a killed cluster's queue is taken over within seconds; not 1 s, or a
            # drain whose last write waits that long on a loaded machine loses its lease and a
            # second drain sends again what is still in flight.
            "WEBHOOK_LEASE_MARGIN": "5",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "Q_WORKERS": "2",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> "Cluster":  # a healthy start takes 2-4 s; a loaded one more
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"running." in self.log_path.read_bytes():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"qcluster did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9 the whole cluster: sentinel, pusher, monitor and workers; returns once none of
        them is left (a worker outliving its parent for a moment would still hold a connection)."""
        if self.process and self.process.poll() is None:
            pgid = self.process.pid
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(10)
            wait_until(lambda: not process_group_members(pgid), timeout=10, message="the killed cluster gone")

    @property
    def timeout(self) -> float:
        """django-q2's task timeout for this cluster (Q_TIMEOUT): a stop must not take longer."""
        return float(self.env["Q_TIMEOUT"]) if "Q_TIMEOUT" in self.env else settings.Q_CLUSTER["timeout"]

    def sigterm_the_group(self) -> float:
        """SIGTERM to the whole process group, as systemd sends it; returns the seconds until no
        process of the group is left. Raises ClusterDidNotStop (after kill -9) past the timeout."""
        assert self.process is not None
        pgid, started = self.process.pid, time.monotonic()
        deadline = started + self.timeout
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(self.timeout)
            while process_group_members(pgid):
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(self.command, self.timeout)
                time.sleep(0.05)
        except subprocess.TimeoutExpired:
            left = process_group_members(pgid)
            self.kill()
            raise ClusterDidNotStop(
                f"qcluster: {len(left)} processes still running {self.timeout:g}s after SIGTERM to its "
                f"process group; killed with SIGKILL. Its log ends:\n{self.log_path.read_text()[-3000:]}"
            ) from None
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.sigterm_the_group()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    clusters: list[Cluster] = []

    def start(resolv_conf: str | None = None, command: list[str] | None = None, **env: str) -> Cluster:
        log_path = tmp_path / f"qcluster-{len(clusters)}.log"
        cluster = Cluster(log_path, resolv_conf, command, **env).start()
        clusters.append(cluster)
        return cluster

    yield start
    # Every cluster is stopped (killed if it must be) before a failure to stop is reported.
    not_stopped = []
    for cluster in clusters:
        try:
            cluster.stop()
        except ClusterDidNotStop as error:
            not_stopped.append(error)
    if not_stopped:
        raise not_stopped[0]
