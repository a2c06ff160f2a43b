"""Draining a webhook's queue: lease, attempt, record, in order, one at a time (in `object`
mode, in order per object, several objects at once: `_drain_by_object`, webhooks.engine.by_object).

A drain (`webhook_drain`, the django-q2 task a doorbell queues) leases the
webhook's whole queue with one conditional UPDATE on the webhook row, reads
the webhook and its secrets once, then sends the queue's deliveries in id
order, reading them a batch at a time. Each attempt is recorded in one
transaction that also moves the head on (attempt row + fenced delivery
update: one commit per delivery). It stops when the queue is empty, when
the head waits for its retry (the queue's `wake_at` tells the clock when),
or after WEBHOOK_DRAIN_BUDGET seconds (it rings itself again, behind the
other webhooks' drains; so too, after its current attempt, when its cluster
is stopping: webhooks.engine.shutdown). Then it releases the lease and looks once more for
a due head, so that a doorbell which found the queue leased is never lost.

The lease, and waiting for the database within it, are webhooks.engine.leasing's; the
deliveries a person asks for (redeliveries, the test event), webhooks.engine.resend's. No
transaction is open during a request. See docs/delivery.md.
"""

import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webhooks.engine import by_object, dispatcher, doorbell, failing, http, leasing, shutdown
from webhooks.engine.brokers import CONNECTION_ERRORS
from webhooks.engine.dispatcher import db
from webhooks.engine.leasing import Lease
from webhooks.engine.record import attempt_record_write
from webhooks.engine.signing import signature_header
from webhooks.models import Delivery, Ordering, Webhook

logger = logging.getLogger("webhooks.delivery")

BATCH = 16
HIDDEN = "(hidden)"


def webhook_drain(*, webhook_id: str) -> int:
    """Attempt the webhook's due deliveries in order; returns how many attempts were made."""
    doorbell.answer(webhook_id=webhook_id)
    deadline = time.monotonic() + settings.WEBHOOK_DRAIN_BUDGET
    attempted = 0
    while (lease := _lease_or_ring(webhook_id)) is not None:
        try:
            outcome = _drain_leased(lease, deadline=deadline)
            # Fenced by the token: a no-op if the lease was taken from this drain meanwhile.
            wake_at, rerung = outcome.wake_at, outcome.out_of_budget
            db(lambda: leasing.queue_release(lease=lease, wake_at=wake_at, rerung=rerung))  # noqa: B023
        except CONNECTION_ERRORS:
            leasing.lease_give_back(lease=lease)
            raise
        attempted += outcome.attempted
        if outcome.lost:
            break
        if outcome.out_of_budget:
            leasing.ring(webhook_id)
            break
        if outcome.wake_at is not None and lease.webhook.ordering == Ordering.WEBHOOK:
            break  # the head waits for its retry: nothing behind it may go before (the clock rings it)
        # A doorbell that rang while we held the lease found the queue taken: look again.
        if not db(lambda: _more_to_send(webhook_id, outcome)):  # noqa: B023
            break
        if _out_of_budget(deadline):
            leasing.ring(webhook_id)  # behind the other webhooks' drains
            break
    return attempted


def _lease_or_ring(webhook_id: str) -> Lease | None:
    """Lease the queue, waiting for the database as long as a lease would last. The doorbell
    is answered by then, so a drain that still cannot reach the database rings the queue again
    (the next drain waits in turn) rather than just ending: nothing else would ring it before
    the lost-doorbell sweep."""
    try:
        lease = leasing.database_patiently(
            lambda: db(lambda: leasing.queue_lease(webhook_id=webhook_id)),
            until=time.monotonic() + leasing.lease_seconds(),
        )
    except CONNECTION_ERRORS:
        leasing.ring(webhook_id, force=True)
        raise
    if lease is not None and (running := dispatcher.in_drain_thread()) is not None:
        running.note_company(webhook_id, lease.webhook.company_id)
    return lease


def _out_of_budget(deadline: float) -> bool:
    """Past the drain's budget, or the cluster is stopping: either way the queue goes back to the
    broker with its lease released, for another drain (or the next cluster) to go on with."""
    return time.monotonic() > deadline or shutdown.stop_requested() or dispatcher.stopping()


@dataclass
class DrainOutcome:
    attempted: int = 0
    wake_at: datetime | None = None
    out_of_budget: bool = False
    lost: bool = False
    # `object` mode: the drain read the whole queue up to this delivery id.
    read_all_up_to: int | None = None


def _more_to_send(webhook_id: str, outcome: DrainOutcome) -> bool:
    """Whether the queue has work this drain did not see: a due head or, in `object` mode,
    deliveries queued after everything it read."""
    head = Delivery.objects.head_of(webhook_id)
    if head is None:
        return False
    if head.next_attempt_at <= timezone.now():
        return True
    read = outcome.read_all_up_to
    return read is not None and Delivery.objects.queue(webhook_id).filter(id__gt=read).exists()


def _drain_leased(lease: Lease, *, deadline: float) -> DrainOutcome:
    if lease.webhook.ordering == Ordering.OBJECT:
        return _drain_by_object(lease, deadline=deadline)
    outcome = DrainOutcome()
    while batch := leasing.database_patiently(
        lambda: db(lambda: _next_batch(lease.webhook.pk)), until=lease.expires
    ):
        if batch[0].attempts:  # a retry: its receiver failed the last time
            dispatcher.receiver_failing(webhook_id=lease.webhook.pk, failing=True)
        for delivery in batch:
            while delivery.state == Delivery.State.PENDING:
                if delivery.next_attempt_at > timezone.now():
                    outcome.wake_at = delivery.next_attempt_at
                    return outcome
                if outcome.attempted and _out_of_budget(deadline):
                    outcome.wake_at, outcome.out_of_budget = timezone.now(), True
                    return outcome
                if not _request_slot_take(lease, until=deadline):
                    outcome.wake_at, outcome.out_of_budget = timezone.now(), True
                    return outcome
                outcome.attempted += 1
                try:
                    sent = attempt_send(lease=lease, delivery=delivery)
                finally:
                    _request_slot_give(lease)
                recorded = attempt_record(lease=lease, delivery=delivery, sent=sent)
                if not recorded.kept:
                    outcome.lost = True
                    return outcome
                # The lease checked it for the first attempt; a deactivation since then
                # stops the queue before its next request (activation rings it again).
                if not recorded.webhook_active:
                    return outcome
    return outcome


def _drain_by_object(lease: Lease, *, deadline: float) -> DrainOutcome:
    """`object` mode: heads of different objects in flight together, up to max_in_flight, each
    recorded here as its response comes (webhooks.engine.by_object)."""
    webhook, outcome = lease.webhook, DrainOutcome()
    queue = by_object.ObjectQueue(webhook.pk, webhook.company_id, webhook.per_object_after)
    in_flight, stopping = by_object.InFlight(), False
    with by_object.pool(webhook.max_in_flight) as senders:
        while True:
            while not stopping and len(in_flight) < webhook.max_in_flight:
                now = timezone.now()
                delivery = queue.next_due(now)
                if delivery is None:
                    queue.make_room(now)
                if delivery is None and queue.can_read():
                    leasing.database_patiently(lambda: db(queue.read), until=lease.expires)  # noqa: B023
                    continue
                if delivery is None:
                    break
                # Before every attempt, not once per pass: the walk between two of them may be long.
                if outcome.attempted and _out_of_budget(deadline):
                    stopping = outcome.out_of_budget = True
                    break
                if not _request_slot_take(lease, until=deadline):
                    stopping = outcome.out_of_budget = True
                    break
                queue.start(delivery)
                in_flight.add(
                    senders.submit(_attempt_send_in_thread, lease=lease, delivery=delivery), delivery
                )
                outcome.attempted += 1
            if not in_flight:
                break
            free = not stopping and len(in_flight) < webhook.max_in_flight
            for delivery, sent in in_flight.finished(_wake_in(queue) if free else None):
                _request_slot_give(lease)
                recorded = attempt_record(lease=lease, delivery=delivery, sent=sent.result())
                db(lambda: queue.finish(delivery))  # noqa: B023 (called at once)
                # Lost: another drain holds the queue now; inactive: stop before the next request.
                stopping = stopping or not recorded.kept or not recorded.webhook_active
                outcome.lost = outcome.lost or not recorded.kept
    outcome.wake_at = timezone.now() if outcome.out_of_budget else queue.next_retry()
    if queue.exhausted and queue.barrier is None:
        outcome.read_all_up_to = queue.read_up_to
    return outcome


def _wake_in(queue: by_object.ObjectQueue) -> float | None:
    """With a slot free: how long to wait for a response before looking again, for a retry
    falling due or (the queue read to its end) for deliveries queued meanwhile."""
    waits = [by_object.seconds_until(queue.next_retry())]
    if queue.exhausted and queue.barrier is None and queue.held < by_object.BUFFER:
        waits.append(queue.reread_in())
    return min((w for w in waits if w is not None), default=None)


def _attempt_send_in_thread(*, lease: Lease, delivery: Delivery) -> dict[str, Any]:
    """attempt_send() in a sender thread: an error there is recorded as a failed attempt with no
    status. Raised, it would stop the drain with the other objects' attempts sent and unrecorded
    (sent again after the lease expires) and the lease held, at every drain of the queue."""
    started_at = timezone.now()
    try:
        return attempt_send(lease=lease, delivery=delivery)
    except Exception:
        logger.exception("delivery %s: the attempt failed in its sender thread", delivery.object_id)
        elapsed_ms = int((timezone.now() - started_at).total_seconds() * 1000)
        return {
            "started_at": started_at,
            "result": http.HttpResult(None, "", False, "the request failed", elapsed_ms),
            "headers": {},
        }


def _next_batch(webhook_id: str) -> list[Delivery]:
    """The next deliveries of the queue, in order."""
    return list(
        Delivery.objects.queue(webhook_id)
        .select_related("event")
        .only("id", "object_id", "webhook_id", "attempts", "next_attempt_at", "state", "event__body")[:BATCH]
    )


def signed_headers(signing_secrets: list[str], message_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            signing_secrets, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def request_headers(custom: dict[str, str], signed: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The headers to send, and the ones to store with the attempt: custom values are
    credentials, so the stored copy (shown in the logs) has their names only."""
    sent = {**custom, **signed}
    stored = {**dict.fromkeys(custom, HIDDEN), **signed}
    return sent, stored


@dataclass(frozen=True)
class Recorded:
    """What recording an attempt found, in the record's own statement: `kept` is False if
    another drain recorded this attempt first (the queue was taken from this drain);
    `webhook_active`, whether the webhook is still active (else its queue stops)."""

    kept: bool
    webhook_active: bool


def delivery_attempt(*, lease: Lease, delivery: Delivery) -> Recorded:
    """Send the delivery once and record it."""
    return attempt_record(lease=lease, delivery=delivery, sent=attempt_send(lease=lease, delivery=delivery))


def attempt_record(*, lease: Lease, delivery: Delivery, sent: dict[str, Any]) -> Recorded:
    """Record an attempt that was sent (waiting for the database, within the lease: an attempt
    that was sent is recorded rather than sent again). In a dispatcher's drain thread, with the
    records of other drains that are ready at the same time: one commit for all of them."""
    dispatcher.receiver_failing(webhook_id=lease.webhook.pk, failing=not sent["result"].ok)
    return leasing.database_patiently(
        lambda: db(lambda: delivery_record(delivery=delivery, webhook=lease.webhook, **sent)),
        until=lease.expires,
    )


def _request_slot_take(lease: Lease, *, until: float) -> bool:
    """In a dispatcher's drain thread: wait (until the drain's budget runs out, then False) for
    the receiver's host to have fewer than WEBHOOK_MAX_PER_HOST requests in flight from this
    process. Elsewhere always True."""
    running = dispatcher.in_drain_thread()
    if running is None:
        return True
    if not running.hosts.acquire(lease.webhook.url, until):
        return False
    running.request_started()
    return True


def _request_slot_give(lease: Lease) -> None:
    running = dispatcher.in_drain_thread()
    if running is not None:
        running.request_ended()
        running.hosts.release(lease.webhook.url)


def attempt_send(*, lease: Lease, delivery: Delivery) -> dict[str, Any]:
    """Send the delivery once (no database): delivery_record()'s other arguments."""
    body = delivery.event.body.encode()
    sent, stored = request_headers(lease.headers, signed_headers(lease.secrets, delivery.object_id, body))
    resent = lease.resend_mark()
    started_at = timezone.now()
    result = http.post_json(lease.webhook.url, body, sent)
    return {"started_at": started_at, "result": result, "headers": stored, "after_lost_lease": resent}


def delivery_record(
    *,
    delivery: Delivery,
    started_at: datetime,
    result: http.HttpResult,
    headers: dict[str, str],
    max_attempts: int = 0,
    after_lost_lease: bool = False,
    webhook: Webhook | None = None,
) -> Recorded:
    """Record one attempt and move the delivery on, in one transaction (one commit).

    Fenced on the attempt count: if another drain recorded this attempt first (this
    one outlived its lease), the attempt is kept as a row and the delivery is left
    as it is (`kept` False). The same statement reads whether the webhook is still
    active, which the drain would otherwise ask before each next request. Updates
    `delivery` in memory.

    `webhook`: the drain's copy of the delivery's webhook (a queue's delivery; None for a test
    event), whose health the attempt may move on in the same transaction (webhooks.engine.failing:
    no statement more when it does not). A webhook that this paused reads as inactive.
    """
    number = delivery.attempts + 1
    final = result.ok or number >= (max_attempts or settings.WEBHOOK_MAX_ATTEMPTS)
    state = (
        Delivery.State.SUCCESS if result.ok else Delivery.State.FAILED if final else Delivery.State.PENDING
    )
    now = timezone.now()
    delay, retry_after = (0.0, None) if final else retry_delay(result)
    changes = {
        "state": state,
        "attempts": number,
        "status_code": result.status_code,
        "response": result.body or result.error,
        "response_truncated": result.truncated,
        "next_attempt_at": now + timedelta(seconds=delay),
        "completed_at": now if final else None,
    }
    attempt = {
        "delivery": delivery.pk,
        "number": number,
        "started_at": started_at,
        "duration_ms": result.duration_ms,
        "status_code": result.status_code,
        "response_body": result.body,
        "response_truncated": result.truncated,
        "error": result.error,
        "request_headers": headers,
        "after_lost_lease": after_lost_lease,
        "retry_after": retry_after,
    }
    # Written by hand (webhooks.engine.record): the ORM's create() and update() cost more than
    # the statements themselves on the path every delivery takes.
    fence = {"id": delivery.pk, "state": Delivery.State.PENDING, "attempts": delivery.attempts}
    paused = False
    if webhook is not None and failing.changes_health(webhook, state=state, result=result):
        # The record and the health it changes commit together (savepoint=False: inside the
        # dispatcher's grouped transaction it only joins).
        with transaction.atomic(savepoint=False):
            active = attempt_record_write(attempt=attempt, changes=changes, fence=fence)
            if active:
                paused = failing.health_record(
                    webhook=webhook, delivery=delivery, state=state, result=result, now=now
                )
    else:
        active = attempt_record_write(attempt=attempt, changes=changes, fence=fence)
    _log_attempt(delivery, number, result, state, retry_after)
    if not active:
        logger.warning("delivery %s: attempt %d recorded by another drain first", delivery.object_id, number)
        return Recorded(kept=False, webhook_active=True)
    for name, value in changes.items():
        setattr(delivery, name, value)
    return Recorded(kept=True, webhook_active=bool(active[0]) and not paused)


def retry_delay(result: http.HttpResult) -> tuple[float, int | None]:
    """Seconds until a failed attempt's retry, and the Retry-After it honoured (None: none).
    A 429 or 503's Retry-After waits max(WEBHOOK_RETRY_DELAY, Retry-After), at most
    WEBHOOK_RETRY_AFTER_MAX; a 410 Gone pauses the webhook (webhooks.engine.failing), and its
    delivery stays due, first in line when it resumes."""
    if result.status_code == failing.GONE:
        return 0.0, None
    if result.retry_after is None:
        return settings.WEBHOOK_RETRY_DELAY, None
    delay = max(settings.WEBHOOK_RETRY_DELAY, min(result.retry_after, settings.WEBHOOK_RETRY_AFTER_MAX))
    return delay, math.ceil(delay)


def _log_attempt(
    delivery: Delivery, number: int, result: http.HttpResult, state: str, retry_after: int | None = None
) -> None:
    logger.info(
        "delivery attempt webhook=%s delivery=%s attempt=%d status=%s duration_ms=%d state=%s%s",
        delivery.webhook_id,
        delivery.object_id,
        number,
        result.status_code,
        result.duration_ms,
        state,
        "" if retry_after is None else f" retry_after={retry_after}",
    )
