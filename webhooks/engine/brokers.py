"""django-q2 brokers whose pusher keeps pulling through a broker or database outage.

django-q2's pusher process ends when `dequeue()` raises: it logs, sleeps 10 s and
exits, and the sentinel starts a new one. So a Redis (or, with the ORM broker, a
database) outage of a few seconds costs up to 10 s after the service is back, and
more if the new pusher starts while it is still down. These brokers answer "no task
yet" instead and look again `DEQUEUE_RETRY_SECONDS` later: the pusher stays, checks
the cluster's stop event on every loop as usual, and pulls again as soon as the
service answers. Everything else is django-q2's. Chosen by `Q_CLUSTER["broker_class"]`
in settings (docs/delivery.md, "Faults").
"""

import contextlib
import logging
import time
from typing import Any

import redis
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django_q.brokers import Broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf

# What a lost database connection raises (a server restart, a cut, a refused connection).
CONNECTION_ERRORS = (OperationalError, InterfaceError)

logger = logging.getLogger("webhooks.brokers")

DEQUEUE_RETRY_SECONDS = 0.5
# One log line per this many seconds of an outage, not one per retry.
LOG_EVERY_SECONDS = 10.0


def connection_forget(alias: str) -> None:
    """Close a connection that failed, so that its next use opens a new one. Closing a
    connection the server already dropped may itself fail: that is the point of closing."""
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


class _Patience:
    """When the last dequeue failed and when the failure was last logged."""

    def __init__(self) -> None:
        self.failing_since: float | None = None
        self.logged_at = 0.0

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
        if now - self.logged_at >= LOG_EVERY_SECONDS:
            self.logged_at = now
            logger.warning("broker unreachable for %.1f s, retrying: %s", now - self.failing_since, error)
        time.sleep(DEQUEUE_RETRY_SECONDS)

    def succeeded(self) -> None:
        if self.failing_since is not None:
            logger.warning("broker reachable again after %.1f s", time.monotonic() - self.failing_since)
            self.failing_since = None
            self.logged_at = 0.0


class _PatientDequeue(Broker):
    """A broker mixin: `dequeue()` answers "no task yet" while `OUTAGE_ERRORS` are raised.
    A Broker itself only for its `super()` calls' types: before Redis and ORM in their MRO."""

    OUTAGE_ERRORS: tuple[type[Exception], ...] = ()

    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=list_key)
        self._patience = _Patience()

    def dequeue(self) -> list[Any] | None:
        try:
            tasks: list[Any] | None = super().dequeue()
        except self.OUTAGE_ERRORS as error:
            self.outage_seen()
            self._patience.failed(error)
            return None
        self._patience.succeeded()
        return tasks

    def outage_seen(self) -> None:
        """What to mend after a failed dequeue, before the next one."""


class PatientRedis(_PatientDequeue, Redis):
    OUTAGE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


class PatientORM(_PatientDequeue, ORM):
    OUTAGE_ERRORS = (DatabaseError,)

    def outage_seen(self) -> None:
        connection_forget(Conf.ORM)  # the next dequeue opens a new connection
