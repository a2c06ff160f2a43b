"""Faults through real qclusters on PostgreSQL + Redis (docs/production.md, "What a fault costs").

- A 10 s Redis outage: a private `redis-server` is killed and, 10 s later, started again empty
  (as a restart without persistence does: every queued drain and doorbell flag is gone).
- A 10 s PostgreSQL blip: the cluster's and the web server's connections to the test database
  are cut and new ones refused for 10 s (`ALLOW_CONNECTIONS false` and `pg_terminate_backend`;
  this test's own connection, which watches, is kept).

After each, with no new traffic, delivery resumes within 5 s of the service's return, every
event arrives once and in its order, and `/healthz` (a real gunicorn) is 200 again within 5 s.
Each cluster has a worker for each webhook (`Q_WORKERS`): a drain holds its worker, so with fewer
workers a webhook would also wait for one to be free, which is not what these tests measure.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django_q.conf import Conf

from tests.e2e import conftest as e2e
from tests.e2e.conftest import wait_until
from tests.e2e.test_delivery import create_tasks, make_webhook, sent_task_ids
from tests.pg_faults import connections_cut
from tests.receiver import Reply
from webhooks.engine import doorbell
from webhooks.models import Attempt, Delivery

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="faults of PostgreSQL + Redis: covered by CI's PostgreSQL runs"
)

OUTAGE_SECONDS = 10.0
RESUME_WITHIN = 5.0
BROKER_CLASS = "webhooks.engine.brokers.PatientRedis"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, which it may kill and start again (empty)."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_until(lambda: _answers(client), timeout=30, message="the private Redis to answer")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def on_private_redis(private_redis, settings, monkeypatch) -> dict[str, str]:
    """This process's django-q2 on the private Redis, as the web process's would be (a change's
    doorbell is rung there after commit); returns the environment for the cluster and web server."""
    name = f"faults_{uuid.uuid4().hex[:8]}"
    cluster = {key: value for key, value in settings.Q_CLUSTER.items() if key != "orm"}
    settings.Q_CLUSTER = {**cluster, "name": name, "redis": private_redis.url, "broker_class": BROKER_CLASS}
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", private_redis.url)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    monkeypatch.setattr(Conf, "PREFIX", name)  # the salt of its task signatures
    monkeypatch.setattr(Conf, "BROKER_CLASS", BROKER_CLASS)
    monkeypatch.setattr(doorbell, "_broker", None)
    yield {"REDIS_URL": private_redis.url, "Q_CLUSTER_NAME": name}
    monkeypatch.setattr(doorbell, "_broker", None)


class WebServer:
    """gunicorn, as in production, for /healthz."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.log_path = log_path
        self.env = {**os.environ, "DATABASE_URL": e2e.test_database_url(), **env}
        self.process: subprocess.Popen | None = None

    def start(self) -> "WebServer":
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    gunicorn,
                    "cotalker_webhooks.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                ],
                cwd=e2e.ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(lambda: self.health() is not None, timeout=60, message="gunicorn to answer")
        return self

    def health(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=3) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture
def start_web(tmp_path):
    servers: list[WebServer] = []

    def start(env: dict[str, str]) -> WebServer:
        server = WebServer(tmp_path / f"gunicorn-{len(servers)}.log", env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _hooks(company, workflow, receiver, count: int = 3):
    hooks = []
    for n in range(count):
        path = f"/hook{n}"
        receiver.script(path, then=Reply(delay=0.05))
        hooks.append((make_webhook(company, workflow, receiver.url(path), code=f"hook{n}"), path))
    return hooks


def _wait_for_health(web: WebServer, status: int, timeout: float) -> float:
    """Seconds until /healthz answers `status` (AssertionError past `timeout`)."""
    began = time.monotonic()
    wait_until(lambda: web.health() == status, timeout=timeout, message=f"/healthz {status}")
    return time.monotonic() - began


def _hold_the_fault(until: float) -> None:
    # The fault's length is what is tested: a fixed duration here, not a wait for a condition.
    time.sleep(max(0.0, until - time.monotonic()))


def _assert_each_hook_got_every_event_once_in_order(receiver, hooks, task_ids, back: float) -> None:
    resumed_after = {}
    for _, path in hooks:
        requests = receiver.wait_for(path, len(task_ids), timeout=120)
        assert sent_task_ids(requests) == task_ids, path
        resumed = [r.at for r in requests if r.at >= back]
        assert resumed, f"{path}: nothing was left to deliver after the fault"
        resumed_after[path] = round(resumed[0] - back, 2)
    print(f"resumed after the fault (s): {resumed_after}")
    for _, path in hooks:
        resumed = [r.at for r in receiver.on(path) if r.at >= back]
        assert resumed[0] - back <= RESUME_WITHIN, (
            f"{path}: resumed {resumed[0] - back:.1f} s after the fault"
        )
    wait_until(lambda: not Delivery.objects.pending().exists(), message="every delivery to settle")
    assert set(Delivery.objects.values_list("state", "attempts")) == {("success", 1)}
    assert receiver.overlaps == []


def test_after_a_10_s_redis_outage_delivery_resumes_within_5_s_with_nothing_lost(
    start_cluster, start_web, receiver, on_private_redis, private_redis, company_a, workflow_a
):
    hooks = _hooks(company_a, workflow_a, receiver)
    # The lost-doorbell sweep (60 s) is not what brings delivery back; drains end after 2 s, so
    # the one busy when Redis dies ends during the outage and fails to ring itself again.
    env = {**on_private_redis, "WEBHOOK_SWEEP_AFTER": "60", "WEBHOOK_DRAIN_BUDGET": "2", "Q_WORKERS": "3"}
    start_cluster(**env)
    web = start_web(env)
    _wait_for_health(web, 200, timeout=60)
    backlog = create_tasks(workflow_a, 60, "Before")  # 3 s of work per hook at 50 ms a request
    receiver.wait_for("/hook0", 5)

    private_redis.kill()
    outage_end = time.monotonic() + OUTAGE_SECONDS
    during = create_tasks(workflow_a, 5, "During")  # committed; their doorbells fail
    _wait_for_health(web, 503, timeout=OUTAGE_SECONDS)
    _hold_the_fault(outage_end)
    private_redis.start()
    back = time.monotonic()

    healthy_after = _wait_for_health(web, 200, timeout=30)
    print(f"/healthz 200 again {healthy_after:.2f} s after the fault")
    assert healthy_after <= RESUME_WITHIN
    _assert_each_hook_got_every_event_once_in_order(receiver, hooks, backlog + during, back)


@pytest.fixture
def database_blip():
    """Cuts every other connection to the test database and refuses new ones until undone."""
    database = connection.settings_dict["NAME"]
    yield lambda allowed: connections_cut(database, allowed=allowed)
    connections_cut(database, allowed=True)


def test_after_a_10_s_postgresql_blip_delivery_resumes_within_5_s_and_nothing_is_sent_twice(
    start_cluster, start_web, receiver, on_private_redis, database_blip, company_a, workflow_a
):
    hooks = _hooks(company_a, workflow_a, receiver)
    # The production lease margin (30 s): a drain cut mid-queue outlives the blip and goes on.
    env = {**on_private_redis, "WEBHOOK_LEASE_MARGIN": "30", "WEBHOOK_SWEEP_AFTER": "60", "Q_WORKERS": "3"}
    start_cluster(**env)
    web = start_web(env)
    _wait_for_health(web, 200, timeout=60)
    backlog = create_tasks(workflow_a, 100, "Before")  # 5 s of work per hook at 50 ms a request
    receiver.wait_for("/hook0", 5)

    database_blip(False)
    blip_end = time.monotonic() + OUTAGE_SECONDS
    # Committed on this process's connection, which the blip keeps: their drains start while the
    # cluster cannot reach the database.
    during = create_tasks(workflow_a, 5, "During")
    _wait_for_health(web, 503, timeout=OUTAGE_SECONDS)
    _hold_the_fault(blip_end)
    database_blip(True)
    back = time.monotonic()

    healthy_after = _wait_for_health(web, 200, timeout=30)
    print(f"/healthz 200 again {healthy_after:.2f} s after the fault")
    assert healthy_after <= RESUME_WITHIN
    _assert_each_hook_got_every_event_once_in_order(receiver, hooks, backlog + during, back)
    # Nothing was resent, so no attempt says it may have been.
    assert not Attempt.objects.filter(after_lost_lease=True).exists()
