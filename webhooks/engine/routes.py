"""The route table: each process knows which webhooks have which route, so that capture
needs no query to find them (docs/delivery.md, "Capture without a query").

Per company, the routes of its active and paused webhooks as `routing.company_routes()` reads
them (one indexed ORM query), kept until a webhook of the company changes. How a process learns
of the change depends on the database:

- PostgreSQL: a trigger (migration 0005, 0014) sends `NOTIFY webhook_routes, '<company id>'` in
  every transaction that writes a webhook's routing columns, `'*'` on TRUNCATE. Each process keeps
  one LISTEN connection and, before every answer, reads what notifications arrived, without a round
  trip, and forgets the companies they name. A notification arrives after its commit, so the table
  may be a little behind another process: `behind_possible()` is then True and the outbox statement
  re-checks its candidates (webhooks.engine.outbox). A webhook written in this thread's own,
  uncommitted transaction is not notified yet: a webhook's post_save/post_delete and
  `WebhookQuerySet.update()`/`bulk_create()` call `routes_written()`, which marks the company
  "dirty" for the thread until its transaction commits (the entry is then dropped) or ends
  otherwise; a dirty company is always asked of the database.
- SQLite (development): triggers (installed by `sqlite_version_install()` after every migrate)
  set `webhooks_routes_version.version` to a new random number in every transaction that writes a
  webhook's routing columns. Capture reads it (ROUTES_VERSION_READ, a primary-key read in the
  caller's transaction, which sees its own uncommitted writes too) and uses an entry only when it
  was read at that version: never behind, even for a write made in the same transaction or by
  another process.

`routes_of()` answers a company's routes, or None: "ask the database" (no table: the setting
`WEBHOOK_ROUTE_TABLE` is off, the LISTEN connection is lost, the company is dirty).
"""

import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction

from webhooks.models import Webhook

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

CHANNEL = "webhook_routes"
ROUTE_FIELDS = frozenset({"company", "company_id", "trigger", "is_active", "inactive_reason",
                          "workflow", "workflow_id", "survey", "survey_id", "group", "group_id",
                          "events", "fields"})  # fmt: skip
RECONNECT_AFTER = 5.0  # seconds between attempts to reopen a lost LISTEN connection
ALL = "*"

# A company's routes (webhooks.engine.routing.Routes) and the function that reads them.
Routes = dict[tuple[Any, ...], Any]
Reader = Callable[[str], Routes]


class _Table:
    """PostgreSQL: the LISTEN connection and what was read, for one process (module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection: psycopg.Connection[Any] | None = None
        self.pid: int | None = None
        self.routes: dict[str, Routes] = {}  # company -> its routes
        self.generation = 0  # bumped by every notification: a read that overlaps one is not kept
        self.retry_at = 0.0
        # A parent's connection after fork: never used, never closed.
        self.inherited: list[psycopg.Connection[Any]] = []

    def routes_of(self, company_id: str, read: Reader) -> Routes | None:
        with self.lock:
            if not self._listening():
                return None
            known = self.routes.get(company_id)
            if known is not None:
                return known
            generation = self.generation
        # Read outside the lock, on this thread's connection (READ COMMITTED: each statement sees
        # what was committed before it; the company is not dirty, so this transaction wrote none
        # of its webhooks). A notification read meanwhile may be about this company: then the
        # answer is used once and not kept.
        known = read(company_id)
        with self.lock:
            if generation == self.generation and self.connection is not None:
                self.routes[company_id] = known
        return known

    def forget(self, company_id: str) -> None:
        """Drop a company's routes (ALL: every company's), as a notification would."""
        with self.lock:
            self._notified(company_id)

    def _listening(self) -> bool:
        if self.pid != os.getpid() and self.connection is not None:
            self.inherited.append(self.connection)  # its socket is the parent's: leave it be
            self.connection = None
        if self.connection is None and not self._connect():
            return False
        assert self.connection is not None  # _connect() opened it
        from psycopg import pq

        try:
            pgconn = self.connection.pgconn
            pgconn.consume_input()  # what the socket holds; no round trip
            while notify := pgconn.notifies():
                self._notified(notify.extra.decode())
            if pgconn.status != pq.ConnStatus.OK:
                raise ConnectionError("closed by the server")
        except Exception as error:  # the connection is gone: every entry may be stale
            log.warning("webhook routes: LISTEN connection lost (%s); asking the database", error)
            self._drop()
            return False
        return True

    def _connect(self) -> bool:
        if time.monotonic() < self.retry_at:
            return False
        import psycopg

        params = connections[Webhook.objects.db].get_connection_params()
        try:
            self.connection = psycopg.connect(**params, autocommit=True)
            self.connection.add_notify_handler(lambda notify: self._notified(notify.payload))
            self.connection.execute(f"LISTEN {CHANNEL}")
        except Exception as error:
            log.warning("webhook routes: cannot LISTEN (%s); asking the database", error)
            self._drop()
            return False
        self.pid, self.routes = os.getpid(), {}
        return True

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already broken
                self.connection.close()
        self.connection, self.routes = None, {}
        self.generation += 1
        self.retry_at = time.monotonic() + RECONNECT_AFTER

    def _notified(self, company_id: str) -> None:
        self.generation += 1
        if company_id == ALL:
            self.routes.clear()
        else:
            self.routes.pop(company_id, None)


_table = _Table()


def close() -> None:
    """Close this process's LISTEN connection (it is reopened when next needed)."""
    with _table.lock:
        _table._drop()
        _table.retry_at = 0.0


# --- SQLite: a version the webhook table's triggers change --------------------------------------

ROUTES_VERSION_READ = "SELECT version FROM webhooks_routes_version WHERE id = 1"
"""The routes' version as the caller's transaction sees it (SQLite; a primary-key read)."""

SQLITE_VERSION_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS webhooks_routes_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO webhooks_routes_version (id, version) VALUES (1, random())",
    *(
        f"CREATE TRIGGER IF NOT EXISTS webhooks_routes_version_{name} AFTER {when} ON webhooks_webhook "
        "BEGIN UPDATE webhooks_routes_version SET version = random() WHERE id = 1; END"
        for name, when in (
            ("insert", "INSERT"),
            ("delete", "DELETE"),
            (
                "update",
                "UPDATE OF company_id, trigger, is_active, inactive_reason, workflow_id, survey_id, "
                "group_id, events, fields",
            ),
        )
    ),
]
"""A random number, not a counter: a value a rolled-back transaction held is never seen again."""


def sqlite_version_install(*, using: str) -> None:
    """Create the version row and the triggers that change it, where missing (post_migrate: a
    migration that rebuilds the webhook table on SQLite drops its triggers)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in SQLITE_VERSION_SCHEMA:
            cursor.execute(statement)


# Process-wide: a version is the same number for every connection that can see it.
_versioned: dict[str, tuple[int, Routes]] = {}


def _sqlite_routes_of(company_id: str, read: Reader) -> Routes | None:
    try:
        with connections[Webhook.objects.db].cursor() as cursor:
            cursor.execute(ROUTES_VERSION_READ)
            row = cursor.fetchone()
    except DatabaseError:  # not migrated yet
        return None
    if row is None:
        return None
    known = _versioned.get(company_id)
    if known is not None and known[0] == row[0]:
        return known[1]
    # Read after the version, in the same transaction: at worst newer than it (one more read
    # later), never older.
    routes = read(company_id)
    if len(_versioned) > 10_000:
        _versioned.clear()
    _versioned[company_id] = (row[0], routes)
    return routes


# --- Which to use -----------------------------------------------------------------------------

_dirty = threading.local()

_vendor: str | None = None


def _database_vendor() -> str:
    global _vendor
    if _vendor is None:  # looking the connection up costs more than the rest of routes_of()
        _vendor = connections[Webhook.objects.db].vendor
    return _vendor


def enabled() -> bool:
    return bool(settings.WEBHOOK_ROUTE_TABLE) and _database_vendor() in ("postgresql", "sqlite")


def behind_possible() -> bool:
    """Whether an answer of the table may be behind the database (PostgreSQL's: notifications
    arrive after their commit); the outbox statement then re-checks the webhooks."""
    return _database_vendor() == "postgresql"


def routes_of(company_id: str, read: Reader) -> Routes | None:
    """The company's routes, from the table or read with `read(company_id)` and kept; None when
    the database must be asked (the caller runs `read` itself)."""
    if not enabled() or not company_id:
        return None
    if _database_vendor() == "sqlite":
        return _sqlite_routes_of(company_id, read)
    dirty = _dirty_companies()
    if dirty and not transaction.get_connection(Webhook.objects.db).in_atomic_block:
        dirty.clear()  # left by transactions that rolled back: none is open now
    if ALL in dirty or company_id in dirty:
        return None
    return _table.routes_of(company_id, read)


def routes_written(*, company_id: str | None) -> None:
    """This thread wrote webhook routes of the company (None: of any company): a webhook's
    post_save and post_delete, and `WebhookQuerySet.update()`/`bulk_create()`, which send none,
    call it (PostgreSQL; SQLite's version needs no call)."""
    if not enabled() or _database_vendor() != "postgresql":
        return
    company = company_id or ALL
    if not transaction.get_connection(Webhook.objects.db).in_atomic_block:
        _forget(company)  # committed already
        return
    dirty = _dirty_companies()
    mark = dirty.get(company) or _Uncommitted(company)
    dirty[company] = mark
    transaction.on_commit(mark.forget_on_commit, using=Webhook.objects.db)


def webhook_written(sender: type[Webhook], instance: Webhook, **kwargs: Any) -> None:
    """post_save / post_delete of a webhook."""
    routes_written(company_id=instance.company_id)


def _forget(company: str) -> None:
    _dirty_companies().pop(company, None)
    _table.forget(company)


class _Uncommitted:
    """A company's "dirty" mark, held only by the on_commit callbacks of the transaction that
    wrote its routes. Django drops those callbacks when that transaction (or the savepoint
    that wrote them) rolls back, and the mark goes with them: a rolled-back write leaves no
    company dirty."""

    def __init__(self, company: str) -> None:
        self.company = company

    def forget_on_commit(self) -> None:
        _forget(self.company)


def _dirty_companies() -> "weakref.WeakValueDictionary[str, _Uncommitted]":
    """The companies whose routes this thread wrote in its open transaction, with their marks."""
    if not hasattr(_dirty, "companies"):
        _dirty.companies = weakref.WeakValueDictionary()
    companies: weakref.WeakValueDictionary[str, _Uncommitted] = _dirty.companies
    return companies
