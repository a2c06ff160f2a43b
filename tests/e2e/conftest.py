"""End-to-end fixtures: a real `manage.py qcluster` process on the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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


class Cluster:
    """One qcluster process (in its own process group, so kill -9 takes all of it)."""

    def __init__(self, log_path: Path, resolv_conf: str | None = None, **env: str) -> None:
        self.log_path = log_path
        self.command = [sys.executable, "manage.py", "qcluster"]
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
        """kill -9 the whole cluster: sentinel, pusher, monitor and workers."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    clusters: list[Cluster] = []

    def start(resolv_conf: str | None = None, **env: str) -> Cluster:
        log_path = tmp_path / f"qcluster-{len(clusters)}.log"
        cluster = Cluster(log_path, resolv_conf, **env).start()
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()
