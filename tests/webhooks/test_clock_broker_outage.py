"""The clock after a Redis outage: rings lost while the broker was down (or lost with a restarted,
empty Redis) are made again on the first tick it answers, not by the 60 s sweep; a ring the broker
refused is tried again; the heartbeat is written again at once (docs/delivery.md, "Faults").

Redis is real (the suite's own queue name); "down" is a client pointed at a port nobody listens on.
"""

import pytest
import redis
from django.core.cache import caches

from events.models import Task
from tests.webhooks.conftest import queued_drains
from webhooks import health
from webhooks.engine import brokers, clock, doorbell
from webhooks.models import Webhook


@pytest.fixture
def fresh_clock(monkeypatch):
    monkeypatch.setattr(clock, "_sweep", clock._Sweep())
    monkeypatch.setattr(clock, "_unsent", set())
    monkeypatch.setattr(doorbell, "_broker_was_down", False)


class Outage:
    """Makes the broker unreachable (`begin`) and reachable again (`end`)."""

    def __init__(self, broker, monkeypatch, port: int) -> None:
        self.broker, self.monkeypatch, self.port = broker, monkeypatch, port
        self.reachable = broker.connection

    def begin(self) -> None:
        self.monkeypatch.setattr(
            self.broker, "connection", redis.Redis(port=self.port, socket_connect_timeout=1)
        )

    def end(self) -> None:
        self.monkeypatch.setattr(self.broker, "connection", self.reachable)


@pytest.fixture
def outage(redis_broker, monkeypatch, unused_port):
    outage = Outage(redis_broker, monkeypatch, unused_port)
    yield outage
    outage.end()


@pytest.fixture
def lost_ring(db, hook, workflow_a, redis_broker) -> Webhook:
    """A committed delivery whose doorbell the broker lost (it died with Redis)."""
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Lost")
    redis_broker.delete_queue()
    redis_broker.connection.delete(doorbell._redis_flag(hook.pk))
    return hook


def test_a_new_redis_means_its_queued_rings_are_gone_so_every_queue_with_a_due_head_is_rung(
    lost_ring, redis_broker, fresh_clock
):
    clock.clock_tick()  # first look: the epoch key is missing (a restarted, empty Redis)

    assert queued_drains(redis_broker) == [(lost_ring.pk,)]
    clock.clock_tick()
    assert queued_drains(redis_broker) == [(lost_ring.pk,)]  # once: the broker is known now


def test_when_the_broker_answers_again_every_queue_with_a_due_head_is_rung_at_once(
    lost_ring, redis_broker, outage, fresh_clock
):
    redis_broker.connection.set(doorbell._epoch_key(), 1)  # a broker this process has known
    outage.begin()
    clock.clock_tick()  # down: nothing can be rung
    outage.end()

    clock.clock_tick()

    assert queued_drains(redis_broker) == [(lost_ring.pk,)]


def test_without_an_outage_a_tick_rings_nothing_that_is_not_due(lost_ring, redis_broker, fresh_clock):
    redis_broker.connection.set(doorbell._epoch_key(), 1)  # a broker this process has known

    clock.clock_tick()

    assert queued_drains(redis_broker) == []  # left to the 60 s lost-doorbell sweep


def test_a_ring_the_broker_refused_is_made_on_the_next_tick(lost_ring, redis_broker, outage, fresh_clock):
    Webhook.objects.filter(pk=lost_ring.pk).update(wake_at="2000-01-01T00:00:00Z")  # a retry fell due
    outage.begin()
    with pytest.raises(redis.ConnectionError):
        clock.queues_ring_due()  # rung_at is written, then the ring fails
    assert Webhook.objects.get(pk=lost_ring.pk).rung_at is not None
    assert clock._unsent == {lost_ring.pk}
    outage.end()

    clock.queues_ring_due()  # no broker check: only the kept ring can bring it back

    assert queued_drains(redis_broker) == [(lost_ring.pk,)]
    assert clock._unsent == set()


def test_a_heartbeat_that_could_not_be_written_is_written_on_the_next_tick(db, monkeypatch):
    cache = caches[health.HEARTBEAT_CACHE]
    real_set = cache.set
    failures = iter([ConnectionError("the cache's Redis is down")])

    def set_once_failing(*args, **kwargs):
        for failure in failures:
            raise failure
        return real_set(*args, **kwargs)

    monkeypatch.setattr(cache, "set", set_once_failing)
    monkeypatch.setattr(health, "_last_beat", 0.0)

    with pytest.raises(ConnectionError):
        health.cluster_heartbeat_beat(now=1000.0)
    assert health.cluster_heartbeat_beat(now=1000.5) is True  # within the interval, yet written
    assert cache.get(health.HEARTBEAT_KEY) == 1000.5


def test_the_patient_redis_broker_waits_through_an_outage_instead_of_ending_the_pusher(
    redis_broker, unused_port, monkeypatch
):
    patient = brokers.PatientRedis(list_key=redis_broker.list_key.split(":")[1])
    monkeypatch.setattr(patient, "connection", redis.Redis(port=unused_port, socket_connect_timeout=1))

    assert patient.dequeue() is None  # django-q2's own broker raises, and its pusher exits

    monkeypatch.setattr(patient, "connection", redis_broker.connection)
    redis_broker.enqueue("a task")
    assert patient.dequeue() == [(None, b"a task")]


def test_the_patient_orm_broker_waits_through_a_database_outage(transactional_db, monkeypatch):
    # transactional: the failed dequeue closes the connection, as it must after a real outage
    from django.db import OperationalError
    from django_q.brokers.orm import ORM

    real_dequeue = ORM.dequeue
    outage = iter([OperationalError("the database is restarting")])

    def dequeue(self):
        for error in outage:
            raise error
        return real_dequeue(self)

    monkeypatch.setattr(ORM, "dequeue", dequeue)
    patient = brokers.PatientORM(list_key="patience-test")

    assert patient.dequeue() is None  # django-q2's own broker raises, and its pusher exits
    patient.enqueue("a task")
    assert [task for _, task in patient.dequeue()] == ["a task"]
