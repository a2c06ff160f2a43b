"""The in-memory side of an `object`-mode drain (webhooks.engine.by_object.ObjectQueue): which
head may go, and when the drain should wake up for a retry. No database: deliveries in memory."""

from collections import deque
from datetime import timedelta

from django.utils import timezone

from webhooks.engine.by_object import ObjectQueue
from webhooks.models import Delivery, Event

NOW = timezone.now()


def delivery(pk: int, subject: str, *, due_in: float = 0) -> Delivery:
    return Delivery(pk=pk, event=Event(subject_id=subject), next_attempt_at=NOW + timedelta(seconds=due_in))


def queue_of(*deliveries: Delivery, per_object_after: int = 0) -> ObjectQueue:
    queue = ObjectQueue("w", "c", per_object_after, exhausted=True)
    for one in deliveries:
        subject = queue.object_of(one)
        if subject is None:
            queue.barrier = one
            break
        queue.by_object.setdefault(subject, deque()).append(one)
        queue.held += 1
    return queue


def test_the_first_due_head_of_an_object_not_in_flight_goes_next():
    a1, b1, a2 = delivery(1, "a" * 24), delivery(2, "b" * 24), delivery(3, "a" * 24)
    queue = queue_of(a1, b1, a2)

    assert queue.next_due(NOW) is a1
    queue.start(a1)
    assert queue.next_due(NOW) is b1
    queue.start(b1)
    assert queue.next_due(NOW) is None  # a2 waits for a1


def test_a_finished_head_lets_its_objects_next_event_go():
    a1, a2 = delivery(1, "a" * 24), delivery(2, "a" * 24)
    queue = queue_of(a1, a2)
    queue.start(a1)
    a1.state = Delivery.State.SUCCESS

    queue.finish(a1)

    assert queue.next_due(NOW) is a2
    assert queue.held == 1


def test_a_head_waiting_for_its_retry_holds_its_object_and_sets_the_wake_up():
    a1, a2, b1 = delivery(1, "a" * 24, due_in=30), delivery(2, "a" * 24), delivery(3, "b" * 24, due_in=60)
    queue = queue_of(a1, a2, b1)

    assert queue.next_due(NOW) is None
    assert queue.next_retry() == a1.next_attempt_at


def test_a_barrier_waits_for_everything_before_it_without_counting_as_a_retry():
    a1, barrier = delivery(1, "a" * 24), delivery(2, "")
    queue = queue_of(a1, barrier)
    queue.start(a1)

    assert queue.next_due(NOW) is None
    # Due, but blocked by a1 in flight: the drain must wait for a1's response, not spin.
    assert queue.next_retry() is None

    a1.state = Delivery.State.SUCCESS
    queue.finish(a1)
    assert queue.next_due(NOW) is barrier


def test_deliveries_queued_before_the_switch_to_object_mode_are_barriers():
    old, new = delivery(5, "a" * 24), delivery(6, "b" * 24)
    queue = queue_of(old, new, per_object_after=5)

    assert queue.barrier is old
    assert queue.object_of(new) == "b" * 24


def test_behind_a_waiting_object_a_due_barrier_wakes_the_drain_at_that_objects_retry():
    a1, barrier = delivery(1, "a" * 24, due_in=30), delivery(2, "")
    queue = queue_of(a1, barrier)

    assert queue.next_due(NOW) is None
    # Not at the barrier's own (past) time: the clock would ring a drain that can do nothing.
    assert queue.next_retry() == a1.next_attempt_at


def test_a_full_buffer_keeps_only_the_heads_of_objects_waiting_for_their_retry(monkeypatch):
    monkeypatch.setattr("webhooks.engine.by_object.BUFFER", 5)
    waiting = [delivery(pk, "a" * 24, due_in=30 if pk == 1 else 0) for pk in (1, 2, 3)]
    due = [delivery(pk, "b" * 24) for pk in (4, 5)]
    queue = queue_of(*waiting, *due)
    assert queue.can_read() is False

    queue.make_room(NOW)

    assert list(queue.by_object["a" * 24]) == [waiting[0]]
    assert queue.beyond == {"a" * 24: 1}  # the rest is read again, by object, after its head
    assert list(queue.by_object["b" * 24]) == due  # about to go: kept
    assert queue.held == 3
    assert queue.can_read() is True
