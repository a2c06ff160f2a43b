"""Many drains in flight per worker process, with the database used from one thread.

A doorbell (the django-q2 task `webhook_drain`) used to run its drain in the worker process, which
then waited on every HTTP request: the installation held at most Q_WORKERS requests at once, and a
receiver that hung took a worker away from everyone. In a cluster worker the task now hands the
webhook id to this process's `Dispatcher` and returns at once:

- each accepted webhook is drained in a thread of its own (`drain threads`, up to
  WEBHOOK_CONCURRENCY at once), by the same code as before (webhooks.engine.delivery): one request
  in flight in `webhook` mode, up to `max_in_flight` in `object` mode, the same lease, fences,
  deadline, retries and budget. A slow or hanging receiver holds its drain thread, never the worker;
- drain threads never touch the database: every statement they need runs on the process's one
  `DatabaseThread` (`db()`), so a worker holds a few connections whatever its concurrency, and the
  statements of different drains that wait together (attempts' records, leases, releases) are
  committed together (one transaction, one commit);
- webhooks waiting for a drain thread are taken in turn by company (`FairQueue`), so a company with
  many busy webhooks does not starve one with few; requests to one host are capped at
  WEBHOOK_MAX_PER_HOST per process (`HostLimits`).

When the worker's main thread ends (django-q2 recycles the worker, or stops the cluster), the
dispatcher stops starting drains; each drain finishes its attempt in progress, releases its lease
and rings its queue again, and the process exits when they are done (multiprocessing joins its
threads). Outside a cluster worker (tests, `sync` tasks) `webhook_drain` drains in the caller's
thread and `db()` runs statements where it is called. See docs/delivery.md, "Many drains per worker".
"""

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from webhooks.engine import doorbell
from webhooks.engine.brokers import CONNECTION_ERRORS, connection_forget

logger = logging.getLogger("webhooks.dispatcher")

T = TypeVar("T")
# At most this many waiting statements are taken at once, to share one transaction; of the
# statements of drains whose receivers fail, this many (DatabaseThread).
GROUP_MAX = 256
BEHIND_GROUP_MAX = 8
# On PostgreSQL a database thread's connection prepares a statement the fifth time it runs it.
PREPARE_THRESHOLD = 5

_local = threading.local()


def db(call: Callable[[], T]) -> T:
    """Run a database call: on the process's database thread when this is a drain thread of the
    dispatcher (where it may share a transaction, and its commit, with other drains' calls), here
    otherwise. A call must be one whose effects may be committed with others': a fenced write, a
    read, a ring."""
    database = getattr(_local, "database", None)
    return call() if database is None else database.call(call, behind=_local.behind)


def receiver_failing(*, webhook_id: str, failing: bool) -> None:
    """In a drain thread: the attempt just made failed, or the drain is about to retry one that
    did (`failing`), or an attempt succeeded. From a failure on, this drain's statements (the
    failure's own record first) wait behind those of drains whose receivers answer, and so do the
    next drains of this webhook in this process, until one of its attempts succeeds."""
    dispatcher = in_drain_thread()
    if dispatcher is None:
        return
    _local.behind = failing
    if failing:
        dispatcher.failing.add(webhook_id)
    else:
        dispatcher.failing.discard(webhook_id)


@dataclass
class _Job:
    call: Callable[[], Any]
    done: Future[Any] = field(default_factory=Future)


class DatabaseThread:
    """The threads of a process that talk to the database for the drain threads: `threads` of them
    (WEBHOOK_DATABASE_THREADS), each with its own connection, taking the waiting statements in
    batches. A drain waits for each of its statements, so its own run in order.

    Statements wait in two lanes. A drain whose receiver failed (see `receiver_failing`) queues
    behind. A batch takes every statement waiting ahead (up to GROUP_MAX) and one from behind;
    when none waits ahead, BEHIND_GROUP_MAX from behind, on all the threads but one. So when a
    hundred hanging requests time out together, or their retries fall due together, their
    records, leases and releases go a few at a time, and a statement of a drain whose receiver
    answers waits for at most a small batch, never behind all of them (docs/delivery.md, "Many
    drains per worker")."""

    def __init__(self, threads: int = 1) -> None:
        self.ready = threading.Condition()
        self.ahead: deque[_Job] = deque()
        self.behind: deque[_Job] = deque()
        self.stopped = False
        self.threads = [threading.Thread(target=self._run, name="webhook-database") for _ in range(threads)]
        # Batches of statements from behind run on all threads but one (one if there is only one),
        # so that a statement ahead finds a thread free, or one running a batch ahead.
        self.behind_threads = max(1, threads - 1)
        self.running_behind = 0
        self.commits = 0  # transactions run (a test reads it)

    def start(self) -> "DatabaseThread":
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Run what waits, then end the threads."""
        with self.ready:
            self.stopped = True
            self.ready.notify_all()
        for thread in self.threads:
            thread.join()

    def call(self, call: Callable[[], T], *, behind: bool = False) -> T:
        job = _Job(call)
        with self.ready:
            (self.behind if behind else self.ahead).append(job)
            self.ready.notify()
        result: T = job.done.result()
        return result

    def waiting(self) -> int:
        """Statements waiting for a database thread (a test reads it)."""
        with self.ready:
            return len(self.ahead) + len(self.behind)

    def _take(self) -> tuple[list[_Job], bool]:
        """The next batch, and whether it holds only statements from behind; an empty batch once
        stopped with nothing waiting."""
        with self.ready:
            while True:
                if self.ahead:
                    batch = [self.ahead.popleft() for _ in range(min(len(self.ahead), GROUP_MAX))]
                    if self.behind:  # one from behind, so that a steady flow ahead starves none
                        batch.append(self.behind.popleft())
                    return batch, False
                if self.behind and self.running_behind < self.behind_threads:
                    self.running_behind += 1
                    count = min(len(self.behind), BEHIND_GROUP_MAX)
                    return [self.behind.popleft() for _ in range(count)], True
                if self.stopped and not self.behind:
                    return [], False
                self.ready.wait()

    def _run(self) -> None:
        _local.prepares = True  # this thread's connections prepare (database_connection_created)
        while True:
            batch, behind_only = self._take()
            if not batch:
                break
            # No close_old_connections() here: this thread is not request-bound (on SQLite,
            # CONN_MAX_AGE 0 would reconnect for every batch); a broken connection is closed
            # where its error is caught.
            try:
                self._run_batch(batch)
            finally:
                if behind_only:
                    with self.ready:
                        self.running_behind -= 1
                        self.ready.notify_all()
        connection_forget(DEFAULT_DB_ALIAS)

    def _run_batch(self, batch: list[_Job]) -> None:
        if len(batch) == 1:
            self._run_alone(batch[0])
        else:
            self._run_together(batch)

    def _run_together(self, jobs: list[_Job]) -> None:
        """The statements of different drains that waited together, in one transaction: one commit
        for their attempts' records, leases and releases. Each is fenced on its own row and raises
        nothing when its fence fails. A call that raises something other than a database error (a
        ring while Redis is down) wrote nothing: it gets its error and the others are committed.
        A database error rolls the transaction back and each is run again alone; rolling back the
        others for a ring would make them run twice, and a record run twice finds its own first
        run in its fence (the attempt count it set in memory) and reports the attempt as taken
        over, so the delivery would be sent again."""
        try:
            with transaction.atomic():
                outcomes = [self._call_keeping_other_errors(job) for job in jobs]
        except CONNECTION_ERRORS as error:
            connection_forget(DEFAULT_DB_ALIAS)
            for job in jobs:
                job.done.set_exception(error)
            return
        except DatabaseError:
            for job in jobs:
                self._run_alone(job)
            return
        self.commits += 1
        for job, (result, failure) in zip(jobs, outcomes, strict=True):
            if failure is None:
                job.done.set_result(result)
            else:
                job.done.set_exception(failure)

    @staticmethod
    def _call_keeping_other_errors(job: _Job) -> tuple[Any, Exception | None]:
        try:
            return job.call(), None
        except DatabaseError:
            raise
        except Exception as error:
            return None, error

    def _run_alone(self, job: _Job) -> None:
        try:
            result = job.call()
        except CONNECTION_ERRORS as error:
            connection_forget(DEFAULT_DB_ALIAS)
            job.done.set_exception(error)
        except BaseException as error:  # handed to the drain, which decides
            job.done.set_exception(error)
        else:
            self.commits += 1
            job.done.set_result(result)


def database_connection_created(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """A new connection of a database thread prepares the statements it runs often
    (DATABASE_PREPARED_STATEMENTS, PostgreSQL only). The engine runs the same few statements for
    every attempt, and planning them cost the server as much as running them. No other connection
    prepares: PostgreSQL may then keep one generic plan for every parameter, and a web request's
    best plan depends on them (a small company's filtered Logs, planned for a large company's,
    took 266 ms instead of 17)."""
    on_a_database_thread = getattr(_local, "prepares", False)
    if on_a_database_thread and connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS:
        connection.connection.prepare_threshold = PREPARE_THRESHOLD


class FairQueue:
    """Webhook ids waiting for a drain thread, taken in turn by company (a webhook whose company is
    not known yet counts as a company of its own)."""

    def __init__(self) -> None:
        self.by_company: OrderedDict[str, deque[str]] = OrderedDict()
        self.queued: set[str] = set()

    def __len__(self) -> int:
        return len(self.queued)

    def add(self, webhook_id: str, company_id: str | None) -> None:
        if webhook_id in self.queued:
            return
        self.queued.add(webhook_id)
        self.by_company.setdefault(company_id or webhook_id, deque()).append(webhook_id)

    def take(self) -> str | None:
        if not self.by_company:
            return None
        company, waiting = next(iter(self.by_company.items()))
        webhook_id = waiting.popleft()
        del self.by_company[company]
        if waiting:  # the company goes to the back of the line
            self.by_company[company] = waiting
        self.queued.discard(webhook_id)
        return webhook_id


class HostLimits:
    """At most `per_host` requests in flight to one host (scheme, host, port) from this process."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.lock = threading.Lock()
        self.semaphores: dict[str, threading.BoundedSemaphore] = {}

    @staticmethod
    def host_of(url: str) -> str:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        return f"{parts.scheme}://{parts.hostname}:{port}"

    def acquire(self, url: str, until: float) -> bool:
        host = self.host_of(url)
        with self.lock:
            semaphore = self.semaphores.setdefault(host, threading.BoundedSemaphore(self.per_host))
        return semaphore.acquire(timeout=max(until - time.monotonic(), 0))

    def release(self, url: str) -> None:
        self.semaphores[self.host_of(url)].release()


class Dispatcher:
    """This worker process's drains: see the module's docstring."""

    def __init__(self, *, concurrency: int, per_host: int, drain: Callable[[str], Any]) -> None:
        self.concurrency = concurrency
        self.hosts = HostLimits(per_host)
        self.drain = drain
        self.database = DatabaseThread(threads=settings.WEBHOOK_DATABASE_THREADS)
        self.lock = threading.Lock()
        self.running: set[str] = set()
        # Rung again while its drain ran: drained once more when that drain ends.
        self.rerun: set[str] = set()
        self.waiting = FairQueue()
        # Rung while the dispatcher stopped: rung again for another worker before it exits.
        self.dropped: set[str] = set()
        self.company_of: dict[str, str] = {}
        # Webhooks whose last attempt in this process failed (`receiver_failing`).
        self.failing: set[str] = set()
        self.stopping = threading.Event()
        self.in_flight = 0
        self.peak_in_flight = 0

    def start(self) -> "Dispatcher":
        self.database.start()
        watch = threading.Thread(
            target=self._stop_with_main_thread, name="webhook-dispatch-watch", daemon=True
        )
        watch.start()
        return self

    def accept(self, webhook_id: str, *, behind: bool = False) -> None:
        """A doorbell rang for this webhook: drain it now, or as soon as a drain thread is free.
        `behind`: a retry fell due, so its receiver failed: its statements wait behind."""
        if behind:
            self.failing.add(webhook_id)
        with self.lock:
            if self.stopping.is_set():
                self.dropped.add(webhook_id)
                return
            if webhook_id in self.running:
                self.rerun.add(webhook_id)
                return
            if len(self.running) >= self.concurrency:
                self.waiting.add(webhook_id, self.company_of.get(webhook_id))
                return
            self.running.add(webhook_id)
        self._start(webhook_id)

    def note_company(self, webhook_id: str, company_id: str) -> None:
        self.company_of[webhook_id] = company_id

    def request_started(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def request_ended(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def _start(self, webhook_id: str) -> None:
        threading.Thread(target=self._drain_thread, args=(webhook_id,), name="webhook-drain").start()

    def _drain_thread(self, webhook_id: str | None) -> None:
        _local.database, _local.dispatcher = self.database, self
        while webhook_id is not None:
            _local.behind = webhook_id in self.failing
            try:
                self.drain(webhook_id)
            except Exception:
                logger.exception("webhook %s: the drain failed", webhook_id)
            webhook_id = self._next_for_this_thread(webhook_id)

    def _next_for_this_thread(self, finished: str) -> str | None:
        with self.lock:
            if finished in self.rerun and not self.stopping.is_set():
                self.rerun.discard(finished)
                return finished
            if finished in self.rerun:
                self.dropped.add(finished)
            self.running.discard(finished)
            self.rerun.discard(finished)
            following = None if self.stopping.is_set() else self.waiting.take()
            if following is not None:
                self.running.add(following)
            return following

    def _stop_with_main_thread(self) -> None:
        threading.main_thread().join()
        self.stopping.set()
        # Drains see `stopping()` and end after their attempt in progress; then the database.
        while True:
            with self.lock:
                if not self.running:
                    break
            time.sleep(0.05)
        # Their doorbells were answered by nobody (the flag still says "queued"): ring them past
        # the flag, for the other workers, before the database thread goes.
        with self.lock:
            unserved = sorted(self.dropped | self.waiting.queued)
        if unserved:
            try:
                self.database.call(lambda: doorbell.ring(webhook_ids=unserved, force=True))
            except Exception:
                logger.exception("%d webhooks left to the clock's sweep", len(unserved))
        self.database.stop()


_dispatcher: Dispatcher | None = None


def dispatcher_start(*, drain: Callable[[str], Any]) -> Dispatcher:
    """Start this process's dispatcher (a cluster worker, once)."""
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = Dispatcher(
            concurrency=settings.WEBHOOK_CONCURRENCY, per_host=settings.WEBHOOK_MAX_PER_HOST, drain=drain
        ).start()
    return _dispatcher


def dispatcher_spawned(**kwargs: Any) -> None:
    """django-q2 `post_spawn` receiver: each cluster worker process runs a dispatcher."""
    import multiprocessing

    from webhooks.engine import delivery

    # django-q2's sync mode (tests) runs a worker in the main process: it drains in place.
    if multiprocessing.current_process().name != "MainProcess":
        dispatcher_start(drain=lambda webhook_id: delivery.webhook_drain(webhook_id=webhook_id))


def current() -> Dispatcher | None:
    """This process's dispatcher, if it runs one."""
    return _dispatcher


def in_drain_thread() -> Dispatcher | None:
    """The dispatcher whose drain thread this is, if it is one."""
    return getattr(_local, "dispatcher", None)


def stopping() -> bool:
    """Whether this drain thread's dispatcher stops (its worker recycles or the cluster stops)."""
    dispatcher = in_drain_thread()
    return dispatcher is not None and dispatcher.stopping.is_set()
