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
from collections.abc import Iterator
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
        assert self.process.stdout is not None  # stdout=PIPE
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

    def flight(self) -> dict:
        """Totals: arrived, ended (delayed ones), in_flight_all, peak_all, hung_up."""
        return self._get("/_flight")

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

    def pids(self) -> list[int]:
        """Every live process of the cluster (its process group: main, sentinel, pusher, monitor,
        workers)."""
        if not self.process:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ")".
                if int(stat.rsplit(")", 1)[1].split()[2]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

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


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _tcp_sockets() -> dict[int, tuple[int, int]]:
    """inode -> (local port, remote port) of every TCP socket of the machine's network namespace."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], int(fields[9])
                sockets[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16))
    return sockets


def database_connections(pids: list[int]) -> dict[int, list[int]]:
    """pid -> the database connections it holds: on PostgreSQL the local ports of its TCP sockets
    to the server's port; on SQLite one entry per open file descriptor of the database file (each
    SQLite connection opens the file once; the -wal and -shm files are not counted)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    held: dict[int, list[int]] = {}
    if is_postgres():
        server_port = url.port or 5432
        sockets = _tcp_sockets()
        for pid in pids:
            held[pid] = sorted(
                sockets[inode][0]
                for inode in _socket_inodes(pid)
                if inode in sockets and sockets[inode][1] == server_port
            )
    else:
        path = os.path.realpath(url.path)
        for pid in pids:
            fds = []
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) == path:
                            fds.append(int(fd.name))
            held[pid] = fds
    return held


def pg_activity_ports() -> list[int]:
    """PostgreSQL: the client ports of pg_stat_activity's rows for this database, without the
    row of the connection asking."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [port for (port,) in cursor.fetchall()]


@contextlib.contextmanager
def receiver_process() -> Iterator[ReceiverProcess]:
    """A loopback receiver, stopped however the benchmark ends."""
    receiver = ReceiverProcess()
    try:
        yield receiver
    finally:
        receiver.stop()


@contextlib.contextmanager
def receiver_and_cluster(workdir: Path, **env: str) -> Iterator[tuple[ReceiverProcess, ClusterProcess]]:
    """A loopback receiver (running) and a qcluster (not started: the benchmark starts it once its
    data is in place), both stopped however the benchmark ends."""
    receiver = ReceiverProcess()
    cluster = ClusterProcess(workdir / "qcluster.log", **env)
    try:
        yield receiver, cluster
    finally:
        cluster.stop()
        receiver.stop()


class ClusterSampler:
    """Samples a running cluster: worker peak RSS (VmHWM, kept per pid, so a worker replaced
    meanwhile still counts) and the database connections each process holds (the most seen at
    once, per process and for the whole cluster). On PostgreSQL each sample also counts the
    database's rows in pg_stat_activity, apart from the benchmark's own connection, and how many
    of them are the cluster's (matched by client port)."""

    def __init__(self, cluster: ClusterProcess) -> None:
        self.cluster = cluster
        self.hwm_kib: dict[int, int] = {}
        self.conns_per_worker = 0
        self.conns_per_other = 0
        self.conns_cluster = 0
        self.pg_rows = 0  # the most rows in pg_stat_activity besides ours, at one sample
        self.pg_rows_cluster = 0
        self.samples = 0

    def sample(self) -> None:
        workers = set(self.cluster.worker_pids())
        pids = self.cluster.pids()
        for pid in workers:
            with contextlib.suppress(OSError, KeyError):
                self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), proc_status_kib(pid, "VmHWM"))
        held = database_connections(pids)
        for pid, conns in held.items():
            if pid in workers:
                self.conns_per_worker = max(self.conns_per_worker, len(conns))
            else:
                self.conns_per_other = max(self.conns_per_other, len(conns))
        self.conns_cluster = max(self.conns_cluster, sum(len(c) for c in held.values()))
        if is_postgres():
            ports = pg_activity_ports()
            mine = {port for conns in held.values() for port in conns}
            self.pg_rows = max(self.pg_rows, len(ports))
            self.pg_rows_cluster = max(self.pg_rows_cluster, sum(1 for port in ports if port in mine))
        self.samples += 1

    def worker_peak_mb(self) -> float:
        return max(self.hwm_kib.values(), default=0) * 1024 / 1e6

    def report(self, peak_in_flight: int) -> list[str]:
        """The lines printed before SUMMARY, and the SUMMARY parts (returned)."""
        workers = ", ".join(f"{pid}: {kib * 1024 / 1e6:.0f} MB" for pid, kib in sorted(self.hwm_kib.items()))
        print(f"worker peak RSS (VmHWM): {workers or 'none read'}")
        what = "TCP connections to PostgreSQL" if is_postgres() else "open descriptors of the SQLite file"
        print(
            f"database connections ({what}, the most at one of {self.samples} samples): "
            f"{self.conns_per_worker} per worker process, {self.conns_per_other} per other cluster "
            f"process, {self.conns_cluster} for the whole cluster"
        )
        if is_postgres():
            print(
                f"pg_stat_activity: at most {self.pg_rows} rows for the database besides the benchmark's "
                f"own connection, {self.pg_rows_cluster} of them the cluster's"
            )
        rss = self.worker_peak_mb()
        judged = verdict(rss <= 300)
        if peak_in_flight < 500:
            judged = f"not judged: {peak_in_flight} in flight, not 500"
        return [
            f"peak in flight at the receiver {peak_in_flight}",
            f"worker peak RSS {rss:.0f} MB (target <=300 MB per worker at 500 in flight) {judged}",
            f"DB connections {self.conns_per_worker} per worker, {self.conns_cluster} cluster"
            f"{'' if is_postgres() else ' (SQLite file descriptors)'} (target <=4 per worker) "
            f"{verdict(self.conns_per_worker <= 4)}",
        ]


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
