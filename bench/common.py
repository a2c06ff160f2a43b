"""Shared parts of the benchmarks: scratch database, receiver and qcluster processes, summaries."""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def backend() -> str:
    db = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    broker = "redis" if os.environ.get("REDIS_URL") else "orm"
    return f"{db}+{broker}"


def is_postgres() -> bool:
    return backend().startswith("postgresql")


def is_redis() -> bool:
    return backend().endswith("redis")


@contextlib.contextmanager
def scratch_database():
    """Point DATABASE_URL at a new, empty database for this process and its children; drop it after.

    PostgreSQL: `bench_<random>` on the server of DATABASE_URL. Otherwise a SQLite file in a
    temporary directory. Also gives the django-q2 queue a name of its own (Redis isolation).
    """
    token = secrets.token_hex(4)
    os.environ["Q_CLUSTER_NAME"] = f"bench_{token}"
    # Measure what production runs: DEBUG off (no query log kept per query).
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cotalker_webhooks.settings")
    original = os.environ.get("DATABASE_URL", "")
    if is_postgres():
        import psycopg

        parts = urlsplit(original)
        name = f"bench_{token}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        try:
            yield os.environ["DATABASE_URL"]
        finally:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        folder = tempfile.mkdtemp(prefix="bench_")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        try:
            yield os.environ["DATABASE_URL"]
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def run_with_workdir(run) -> None:
    """A benchmark's main(): `run(workdir)` on a scratch database, with a temporary folder for
    its processes' logs."""
    with scratch_database(), tempfile.TemporaryDirectory(prefix="bench_") as workdir:
        django_setup()
        run(Path(workdir))


def django_setup() -> None:
    """Configure Django on the scratch database and migrate it."""
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(ROOT))
    django.setup()
    call_command("migrate", verbosity=0)


class ReceiverProcess:
    """bench.receiver in a child process (so it does not share a GIL with what it measures)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()
        self.port = int(line.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return json.loads(response.read())

    def records(self) -> list[tuple[str, int | None, float]]:
        return [tuple(r) for r in self._get("/_stats")["records"]]

    def spans(self) -> dict:
        """Requests sent with ?delay=: spans, peak in progress per path, object overlaps."""
        return self._get("/_spans")

    def count(self, path: str) -> tuple[int, float]:
        answer = self._get(f"/_count?path={path}")
        return answer["count"], answer["last"]

    def reset(self) -> None:
        request = urllib.request.Request(self.base + "/_reset", data=b"{}", method="POST")
        urllib.request.urlopen(request, timeout=30).read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class ClusterProcess:
    """One `manage.py qcluster` on the scratch database, in its own process group."""

    def __init__(self, log_path: Path, **env: str) -> None:
        self.log_path = log_path
        self.env = {
            **os.environ,
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "Q_WORKERS": "2",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self, timeout: float = 60) -> "ClusterProcess":
        self.started_at = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
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
            time.sleep(0.05)
        raise RuntimeError(f"qcluster did not start:\n{self.log_path.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        """Workers log "<name> ready for work at <pid>"; keep those still alive."""
        pids = [int(p) for p in re.findall(rb"ready for work at (\d+)", self.log_path.read_bytes())]
        return [pid for pid in pids if Path(f"/proc/{pid}").exists()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def summary(name: str, parts: list[str]) -> None:
    print(f"SUMMARY {name} [{backend()}]: " + "; ".join(parts), flush=True)


def wait_until(predicate, timeout: float, message: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {message}")
