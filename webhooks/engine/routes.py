"""The route table: each process knows which webhooks have which route, so that capture
needs no query to find them (docs/delivery.md, "Capture without a query").

On PostgreSQL a trigger (migration 0005) sends `NOTIFY webhook_routes, '<company id>'`
in every transaction that writes a webhook's routing columns (company, trigger, active,
workflow, survey, group), `'*'` on TRUNCATE. Each process keeps one LISTEN connection and,
per company, the ids of its active webhooks by route key, read on that connection (so
only committed webhooks). Before every answer it reads what notifications arrived, without
a round trip, and forgets the companies they name.

`candidates()` answers with the webhooks that had the change's route when this process
last heard (an empty tuple: none, capture stops), or None: "ask the database". The outbox
INSERT keeps only candidates that still match (webhooks.engine.routing), so a table a
little behind can never deliver to a deleted, deactivated or re-routed webhook; what it
can miss is a route created in another process whose notification has not arrived yet,
a window docs/delivery.md describes.

A webhook written in the caller's own, uncommitted transaction is invisible to the LISTEN
connection: such companies are "dirty" for the thread until its transaction commits (the
table entry is then dropped) or ends otherwise, and are always asked of the database.
"""

import contextlib
import json
import logging
import os
import threading
import time
import weakref
from typing import Any

from django.conf import settings
from django.db import connections, transaction

from webhooks.models import PAUSED_REASONS, TRIGGER_BY_EVENT_TYPE, Trigger, Webhook
from webhooks.subscription import wants_everything

log = logging.getLogger(__name__)

CHANNEL = "webhook_routes"
ROUTE_FIELDS = frozenset({"company", "company_id", "trigger", "is_active", "inactive_reason",
                          "workflow", "workflow_id", "survey", "survey_id", "group", "group_id",
                          "events", "fields"})  # fmt: skip
RECONNECT_AFTER = 5.0  # seconds between attempts to reopen a lost LISTEN connection
ALL = "*"


# A route's webhooks, and the subscriptions of those that want only some changes.
Routed = tuple[tuple[str, ...], dict[str, tuple[list[str], list[str]]]]
NOWHERE: Routed = ((), {})


def route_key(trigger: str | None, workflow_id: Any, survey_id: Any, group_id: Any) -> tuple:
    """What `Webhook.objects.matching()` compares, for a webhook or for an event."""
    if trigger == Trigger.TASK:
        return (trigger, workflow_id)
    if trigger == Trigger.SURVEY:
        return (trigger, survey_id, group_id)
    return (trigger,)


def event_route_key(type: str, context: dict[str, Any]) -> tuple:
    trigger = TRIGGER_BY_EVENT_TYPE.get(type)
    return route_key(trigger, context.get("taskGroup"), context.get("surveyId"), context.get("group"))


class _Table:
    """The LISTEN connection and what it has read, for one process (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection = None
        self.pid: int | None = None
        # company -> route key -> (webhook ids, the subscriptions of those that want only some
        # changes: id -> (events, fields); empty when all want everything)
        self.routes: dict[str, dict[tuple, Routed]] = {}
        self.generation = 0  # bumped by every notification: a read that overlaps one is not kept
        self.retry_at = 0.0
        self.inherited: list = []  # a parent's connection after fork: never used, never closed

    def routed(self, company_id: str, key: tuple) -> Routed | None:
        with self.lock:
            if not self._listening():
                return None
            routes = self.routes.get(company_id)
            if routes is None:
                routes = self._read(company_id)
            return None if routes is None else routes.get(key, NOWHERE)

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
        self.retry_at = time.monotonic() + RECONNECT_AFTER

    def _notified(self, company_id: str) -> None:
        self.generation += 1
        if company_id == ALL:
            self.routes.clear()
        else:
            self.routes.pop(company_id, None)

    def _read(self, company_id: str) -> dict[tuple, Routed] | None:
        generation = self.generation
        table = Webhook._meta.db_table
        try:
            # Active and paused webhooks (Webhook.objects.matching(): a paused one keeps queuing).
            rows = self.connection.execute(
                "SELECT id, trigger, workflow_id, survey_id, group_id, events::text, fields::text "
                f"FROM {table} WHERE company_id = %s AND (is_active OR inactive_reason = ANY(%s))",
                [company_id, [str(reason) for reason in PAUSED_REASONS]],
            ).fetchall()
        except Exception as error:
            log.warning("webhook routes: read failed (%s); asking the database", error)
            self._drop()
            return None
        routes: dict[tuple, Routed] = {}
        for webhook_id, *route, events, fields in rows:
            key = route_key(*route)
            ids, selective = routes.get(key, NOWHERE)
            subscription = (json.loads(events), json.loads(fields))
            if not wants_everything(*subscription):
                selective = {**selective, webhook_id: subscription}
            routes[key] = ((*ids, webhook_id), selective)
        if generation == self.generation:  # no notification arrived while reading
            self.routes[company_id] = routes
        return routes


_table = _Table()


def close() -> None:
    """Close this process's LISTEN connection (it is reopened when next needed)."""
    with _table.lock:
        _table._drop()
        _table.retry_at = 0.0


_dirty = threading.local()


_vendor: str | None = None


def enabled() -> bool:
    global _vendor
    if _vendor is None:  # looking the connection up costs more than the rest of candidates()
        _vendor = connections[Webhook.objects.db].vendor
    return settings.WEBHOOK_ROUTE_TABLE and _vendor == "postgresql"


def candidates(*, company_id: str, type: str, context: dict[str, Any]) -> tuple[str, ...] | None:
    """The active webhooks of the company that had such a change's route when this process
    last heard (no query run), or None when the database must be asked."""
    known = routed(company_id=company_id, type=type, context=context)
    return None if known is None else known[0]


def routed(*, company_id: str, type: str, context: dict[str, Any]) -> Routed | None:
    """`candidates()` with the subscriptions of those that want only some changes."""
    if not enabled() or company_id is None:
        return None
    dirty = _dirty_companies()
    if dirty and not transaction.get_connection(Webhook.objects.db).in_atomic_block:
        dirty.clear()  # left by transactions that rolled back: none is open now
    if ALL in dirty or company_id in dirty:
        return None
    return _table.routed(company_id, event_route_key(type, context))


def routes_written(*, company_id: str | None) -> None:
    """This thread wrote webhook routes of the company (None: of any company)."""
    if not enabled():
        return
    company = company_id or ALL
    if not transaction.get_connection(Webhook.objects.db).in_atomic_block:
        _forget(company)  # committed already
        return
    dirty = _dirty_companies()
    mark = dirty.get(company) or _Uncommitted(company)
    dirty[company] = mark
    transaction.on_commit(mark.forget_on_commit, using=Webhook.objects.db)


def webhook_written(sender, instance: Webhook, **kwargs) -> None:
    """post_save / post_delete of a webhook."""
    routes_written(company_id=instance.company_id)


def _forget(company: str) -> None:
    _dirty_companies().pop(company, None)
    _table.forget(company)


class _Uncommitted:
    """A company's "dirty" mark, held only by the on_commit callbacks of the transaction that
    wrote its routes. Django drops those callbacks when that transaction (or the savepoint
    that wrote them) rolls back, and the mark goes with them: a rolled-back write leaves no
    company dirty. (Every tracked save runs inside a transaction, even in autocommit, so the
    "no transaction open" clean-up in routed() alone would rarely run.)"""

    def __init__(self, company: str) -> None:
        self.company = company

    def forget_on_commit(self) -> None:
        _forget(self.company)


def _dirty_companies() -> "weakref.WeakValueDictionary[str, _Uncommitted]":
    """The companies whose routes this thread wrote in its open transaction, with their marks."""
    if not hasattr(_dirty, "companies"):
        _dirty.companies = weakref.WeakValueDictionary()
    return _dirty.companies
