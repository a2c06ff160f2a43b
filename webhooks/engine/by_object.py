"""Draining a webhook in `object` mode: in order per object, several objects in flight.

The drain holds the webhook's lease exactly as in `webhook` mode (webhooks.engine.delivery), so
one drain, in one process, decides everything that is in flight for the webhook. It reads the
queue once, in id order, a batch at a time, and files each delivery under its object (the
event's `subject_id`). An object's oldest pending delivery is its head: the only one of the
object that may be sent, and only when it is due. Up to `max_in_flight` heads of different
objects are sent at once, from a thread pool that does only HTTP; the drain's own thread records
each attempt (one commit a delivery, as in `webhook` mode), so the database is used from one
thread. A delivery without an object, or queued before the webhook switched to `object` mode
(id <= `per_object_after`), keeps the webhook's order: it is sent alone, after everything before
it, and nothing after it is read until it is done. See docs/delivery.md, "Ordered per object".
"""

import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from webhooks.models import Delivery, Event

BATCH = 64
# At most this many deliveries of one object are held in memory; the object's later ones are
# read again, by object, when those are done (docs/delivery.md, "How it finds the next object").
HOLD_PER_OBJECT = 16
# At most this many deliveries read and not yet finished are held in all. Past it, the drain
# reads no further until some finish.
BUFFER = 1000
# While requests are in flight and a slot is free, a queue read to its end is read again this
# often: deliveries queued meanwhile need not wait for the slowest request in flight.
REREAD_SECONDS = 0.5
QUEUE_COLUMNS = ("id", "object_id", "webhook_id", "attempts", "next_attempt_at", "state", "event__subject_id")


def next_batch_after(webhook_id: str, after_id: int) -> list[Delivery]:
    """The queue's next deliveries after `after_id`, in order, with their object (no body)."""
    return list(
        Delivery.objects.queue(webhook_id)
        .filter(id__gt=after_id)
        .select_related("event")
        .only(*QUEUE_COLUMNS)[:BATCH]
    )


def object_next(webhook_id: str, company_id: str, subject: str, after_id: int, up_to: int) -> list[Delivery]:
    """An object's next queued deliveries in (after_id, up_to], in order, with their bodies.
    Found through the events' (company, subject_id) index, whatever the rest of the queue."""
    return list(
        Delivery.objects.queue(webhook_id)
        .filter(id__gt=after_id, id__lte=up_to, event__company_id=company_id, event__subject_id=subject)
        .select_related("event")
        .only(*QUEUE_COLUMNS, "event__body")[:HOLD_PER_OBJECT]
    )


def bodies_load(deliveries: list[Delivery]) -> None:
    """Read the event bodies of these deliveries, in one query."""
    if not deliveries:
        return
    bodies = dict(Event.objects.filter(pk__in={d.event_id for d in deliveries}).values_list("pk", "body"))
    for delivery in deliveries:
        delivery.event.body = bodies[delivery.event_id]


@dataclass
class ObjectQueue:
    """What one drain has read of a webhook's queue, by object, in memory."""

    webhook_id: str
    company_id: str
    # Deliveries up to this id keep the webhook's order (queued before the switch to `object`).
    per_object_after: int
    read_up_to: int = 0
    exhausted: bool = False
    read_at: float = 0.0  # time.monotonic() of the last read
    by_object: dict[str, deque[Delivery]] = field(default_factory=dict)
    # Objects with more deliveries read than held: the id of the last one held.
    beyond: dict[str, int] = field(default_factory=dict)
    # A delivery in the webhook's order: sent alone; nothing after it is read until it is done.
    barrier: Delivery | None = None
    busy: set[str] = field(default_factory=set)
    held: int = 0

    def object_of(self, delivery: Delivery) -> str | None:
        subject = delivery.event.subject_id
        return subject if subject and delivery.pk > self.per_object_after else None

    def can_read(self) -> bool:
        return (not self.exhausted or self.reread_in() == 0) and self.barrier is None and self.held < BUFFER

    def reread_in(self) -> float:
        """Seconds until a queue read to its end may be read again for new deliveries."""
        return max(self.read_at + REREAD_SECONDS - time.monotonic(), 0.0)

    def read(self) -> None:
        self.read_at = time.monotonic()
        batch = next_batch_after(self.webhook_id, self.read_up_to)
        self.exhausted = len(batch) < BATCH
        kept = []
        for delivery in batch:
            self.read_up_to = delivery.pk
            subject = self.object_of(delivery)
            if subject is None:
                self.barrier = delivery
                kept.append(delivery)
                # What the batch holds after it is read again once it is done.
                self.exhausted = False
                break
            if self._hold(subject, delivery):
                kept.append(delivery)
        bodies_load(kept)

    def make_room(self, now: datetime) -> None:
        """With the buffer full, an object waiting for its retry keeps only its head; its later
        deliveries are read again by object once the head is done (as past HOLD_PER_OBJECT). So
        objects that wait cost one delivery each, and the walk goes on to the others."""
        if self.held < BUFFER or self.barrier is not None:
            return  # room, or reads wait for the barrier: letting deliveries go would free nothing
        for subject, deliveries in self.by_object.items():
            if len(deliveries) > 1 and subject not in self.busy and deliveries[0].next_attempt_at > now:
                self.held -= len(deliveries) - 1
                while len(deliveries) > 1:
                    deliveries.pop()
                self.beyond[subject] = deliveries[0].pk

    def _hold(self, subject: str, delivery: Delivery) -> bool:
        if subject in self.beyond:
            return False  # read again by object, after the ones held
        deliveries = self.by_object.setdefault(subject, deque())
        if len(deliveries) >= HOLD_PER_OBJECT:
            self.beyond[subject] = deliveries[-1].pk
            return False
        deliveries.append(delivery)
        self.held += 1
        return True

    def _heads(self) -> Iterator[Delivery]:
        """The deliveries that may be sent once due, oldest read first: each object's head while
        the object is not in flight."""
        for subject, deliveries in self.by_object.items():
            if subject not in self.busy:
                yield deliveries[0]
        # The barrier waits for what is before it, not only for its time: it is a head only alone.
        if self.barrier is not None and not self.by_object and not self.busy:
            yield self.barrier

    def next_due(self, now: datetime) -> Delivery | None:
        """The oldest-read head that is due."""
        return next((head for head in self._heads() if head.next_attempt_at <= now), None)

    def start(self, delivery: Delivery) -> None:
        self.busy.add(self._key(delivery))

    def finish(self, delivery: Delivery) -> None:
        """The delivery's attempt is recorded: if it is final, its object's next is the head."""
        key = self._key(delivery)
        self.busy.discard(key)
        if delivery.state == Delivery.State.PENDING:
            return  # it waits for its retry, and its object with it
        if delivery is self.barrier:
            self.barrier = None
            return
        deliveries = self.by_object[key]
        deliveries.popleft()
        self.held -= 1
        if not deliveries and key in self.beyond:
            self._refill(key, deliveries)
        if not deliveries:
            del self.by_object[key]

    def _refill(self, subject: str, deliveries: deque[Delivery]) -> None:
        """The object's next deliveries among those read, held now that the others are done."""
        after = self.beyond.pop(subject)
        found = object_next(self.webhook_id, self.company_id, subject, after, self.read_up_to)
        deliveries.extend(found)
        self.held += len(found)
        if len(found) == HOLD_PER_OBJECT:
            self.beyond[subject] = found[-1].pk

    def next_retry(self) -> datetime | None:
        """When the soonest head that waits for its retry falls due (None: none waits)."""
        return min((head.next_attempt_at for head in self._heads()), default=None)

    def _key(self, delivery: Delivery) -> str:
        # The barrier's key cannot be an object's: an ObjectId has no "#". A delivery other than
        # the barrier always has an object (read() makes one without it the barrier).
        subject = None if delivery is self.barrier else self.object_of(delivery)
        return "#barrier" if subject is None else subject


@dataclass
class InFlight:
    """The attempts sent and not yet recorded."""

    futures: dict[Future[Any], Delivery] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.futures)

    def add(self, future: Future[Any], delivery: Delivery) -> None:
        self.futures[future] = delivery

    def finished(self, timeout: float | None) -> list[tuple[Delivery, Future[Any]]]:
        done, _ = wait(self.futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return [(self.futures.pop(future), future) for future in done]


def pool(size: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="webhook-send")


def seconds_until(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return max((moment - timezone.now()).total_seconds(), 0.0)
