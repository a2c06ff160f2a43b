"""The lease of a webhook's queue: whoever holds it is the one drain that may send its deliveries.

A drain (webhooks.engine.delivery) takes the whole queue with one conditional UPDATE on the
webhook row (`queue_lease`), which also reads the webhook's secrets and custom headers once, and
gives it back, fenced by its token, when it stops (`queue_release`).

The lease lasts the drain budget plus the longest possible attempt
(`http.attempt_max_seconds()`) plus WEBHOOK_LEASE_MARGIN, so a live drain
always finishes its last attempt before anyone else may take the queue; a
drain killed mid-request leaves a lease that expires, and the delivery is
sent again (at-least-once; the drain that takes the queue over marks its first
attempts as possible resends). A drain whose database connection fails waits
for the database, within its lease, and goes on where it was (`database_patiently`):
an attempt it has sent is recorded, not sent again; if the database does not answer in time it
gives the lease back (fenced by its token) and rings the queue as soon as it
can (`lease_give_back`). See docs/delivery.md.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from webhooks.engine import doorbell, http
from webhooks.engine.brokers import CONNECTION_ERRORS, connection_forget
from webhooks.engine.dispatcher import db
from webhooks.models import Ordering, Webhook, queue_free

logger = logging.getLogger("webhooks.delivery")

# While the database does not answer, a drain tries it again this often (within its lease).
DATABASE_RETRY_SECONDS = 0.25

T = TypeVar("T")


def lease_seconds() -> float:
    return settings.WEBHOOK_DRAIN_BUDGET + http.attempt_max_seconds() + settings.WEBHOOK_LEASE_MARGIN


@dataclass
class Lease:
    webhook: Webhook
    token: str
    secrets: list[str]
    # The custom request headers, decrypted once per drain like the secrets.
    headers: dict[str, str]
    # time.monotonic() when the lease runs out (read before it was taken: never later).
    expires: float = 0.0
    # Taken over from a drain whose lease ran out unreleased: this many of the first
    # attempts may be resends (the dead drain had at most this many in flight).
    maybe_sent_before: int = 0
    _marks: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def resend_mark(self) -> bool:
        """Whether the attempt about to start may repeat one the dead drain had in flight."""
        with self._marks:
            if self.maybe_sent_before <= 0:
                return False
            self.maybe_sent_before -= 1
            return True


def queue_lease(*, webhook_id: str) -> Lease | None:
    """Take the webhook's queue if it is active and free; None if another drain holds it.

    Also answers an ORM doorbell (`ring_queued`), whether or not the lease is won.
    """
    now, expires = timezone.now(), time.monotonic() + lease_seconds()
    token = secrets.token_hex(16)
    # Conditions on the row's own columns, no subquery: PostgreSQL re-checks them on the
    # locked row, so of two drains racing for the queue exactly one wins.
    won = queue_free(now)
    # A lease still set when won ran out unreleased: its drain stopped answering. (SET reads
    # the row's values from before the update, on PostgreSQL and SQLite alike.)
    taken_over = won & Q(leased_until__isnull=False)
    Webhook.objects.filter(pk=webhook_id).update(
        ring_queued=False,
        lease_token=Case(When(won, then=Value(token)), default=F("lease_token")),
        leased_until=Case(
            When(won, then=Value(now + timedelta(seconds=lease_seconds()))), default=F("leased_until")
        ),
        lease_taken_over=Case(
            When(taken_over, then=Value(True)), When(won, then=Value(False)), default=F("lease_taken_over")
        ),
        wake_at=Case(When(won, then=Value(None)), default=F("wake_at")),
    )
    webhook = Webhook.objects.filter(pk=webhook_id, lease_token=token).first()
    if webhook is None:
        return None
    in_flight = webhook.max_in_flight if webhook.ordering == Ordering.OBJECT else 1
    return Lease(
        webhook,
        token,
        webhook.signing_secrets(),
        webhook.receiver_headers(),
        expires=expires,
        maybe_sent_before=in_flight if webhook.lease_taken_over else 0,
    )


def queue_release(*, lease: Lease, wake_at: datetime | None, rerung: bool = False) -> None:
    changes = {"leased_until": None, "lease_token": "", "lease_taken_over": False, "wake_at": wake_at}
    if rerung:
        changes["rung_at"] = timezone.now()
    Webhook.objects.filter(pk=lease.webhook.pk, lease_token=lease.token).update(**changes)


def database_patiently(call: Callable[[], T], *, until: float) -> T:
    """`call()` (a read, or one fenced transaction), tried again while the database connection
    fails, until time.monotonic() passes `until`; then the error is raised.

    Each failure closes the connection, so the next try opens a new one. Safe for what the
    drain calls it with: reads, and records fenced on the attempt count (a record whose commit
    went through unacknowledged is refused by its fence when tried again).
    """
    failing_since = None
    while True:
        try:
            result = call()
        except CONNECTION_ERRORS as error:
            connection_forget(DEFAULT_DB_ALIAS)
            if time.monotonic() + DATABASE_RETRY_SECONDS >= until:
                raise
            if failing_since is None:  # one line per outage, not one per try
                failing_since = time.monotonic()
                logger.warning("database unreachable during a drain, waiting for it: %s", error)
            time.sleep(DATABASE_RETRY_SECONDS)
            continue
        if failing_since is not None:
            logger.warning("database back after %.1f s; the drain goes on", time.monotonic() - failing_since)
        return result


def ring(webhook_id: str, *, force: bool = False) -> None:
    """Ring the queue for another drain to go on with (a drain that stops early, or cannot lease
    or keep its lease). Through db(): with the ORM broker a ring is a database write."""
    options = {"force": True} if force else {}
    db(lambda: doorbell.ring(webhook_ids=[webhook_id], **options))


def lease_give_back(*, lease: Lease) -> None:
    """After the database failed mid-drain: release the lease as soon as the database answers
    (fenced by the token: a no-op if another drain took the queue meanwhile) and ring the queue,
    so that a new drain goes on where this one stopped instead of waiting for the lease to run
    out. Past the lease, the clock rings the queue as for a dead drain."""
    try:
        database_patiently(lambda: db(lambda: queue_release(lease=lease, wake_at=None)), until=lease.expires)
    except CONNECTION_ERRORS:
        logger.warning("webhook %s: lease left to run out (the database did not answer)", lease.webhook.pk)
        return
    ring(lease.webhook.pk, force=True)
