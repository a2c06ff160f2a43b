"""The worker process's dispatcher (webhooks.engine.dispatcher): drain threads that use the database
only through the database threads, records committed together, turns by company, a cap per host,
a webhook rung while it drains, a stop that finishes what is in flight. The drains are real
(against a loopback receiver) where the database is involved."""

import json
import threading
import time

import pytest
from django.db import connections

from events.models import Task
from tests.receiver import Reply
from tests.waiting import wait_until
from webhooks.engine import delivery as engine
from webhooks.engine import dispatcher as dispatching
from webhooks.engine import leasing
from webhooks.engine.dispatcher import DatabaseThread, Dispatcher, FairQueue, HostLimits, _Job
from webhooks.models import Attempt, Delivery


def test_webhooks_waiting_for_a_thread_are_taken_in_turn_by_company():
    waiting = FairQueue()
    for n in range(3):
        waiting.add(f"a{n}", "company-a")
    waiting.add("b0", "company-b")
    waiting.add("a0", "company-a")  # already waiting: once

    assert [waiting.take() for _ in range(5)] == ["a0", "b0", "a1", "a2", None]


def test_a_webhook_whose_company_is_not_known_yet_counts_as_a_company_of_its_own():
    waiting = FairQueue()
    waiting.add("a0", "company-a")
    waiting.add("a1", "company-a")
    waiting.add("new", None)

    assert [waiting.take(), waiting.take(), waiting.take()] == ["a0", "new", "a1"]


def test_a_host_takes_at_most_its_cap_of_requests_and_a_wait_ends_at_the_deadline():
    hosts = HostLimits(per_host=2)
    url = "https://receiver.example/a"
    assert hosts.acquire(url, time.monotonic()) and hosts.acquire("https://receiver.example:443/b", 0)

    began = time.monotonic()
    assert hosts.acquire(url, time.monotonic() + 0.2) is False
    assert time.monotonic() - began >= 0.2
    assert hosts.acquire("https://other.example/", time.monotonic())  # another host
    hosts.release(url)
    assert hosts.acquire(url, time.monotonic())


def hold(database: DatabaseThread) -> tuple[threading.Thread, threading.Event]:
    """Keeps the database thread busy until the returned event is set."""
    busy, gate = threading.Event(), threading.Event()

    def busy_until_the_gate_opens():
        busy.set()
        gate.wait()

    holder = threading.Thread(target=database.call, args=(busy_until_the_gate_opens,))
    holder.start()
    assert busy.wait(10)
    return holder, gate


@pytest.mark.django_db(transaction=True)
def test_records_that_wait_together_are_committed_in_one_transaction(make_webhook, workflow_a, receiver):
    webhooks = [make_webhook(receiver.url(f"/h{n}"), code=f"h{n}") for n in range(8)]
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="T")
    database = DatabaseThread().start()
    holder, gate = hold(database)  # the database thread, busy while the records queue up
    leases = [leasing.queue_lease(webhook_id=webhook.pk) for webhook in webhooks]
    sent = {}

    def record(lease):
        delivery = Delivery.objects.filter(webhook_id=lease.webhook.pk).select_related("event").get()
        sent[lease.webhook.pk] = engine.attempt_send(lease=lease, delivery=delivery)
        return lambda: engine.delivery_record(delivery=delivery, **sent[lease.webhook.pk])

    calls = [record(lease) for lease in leases]
    threads = [threading.Thread(target=database.call, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    wait_until(lambda: database.waiting() == len(calls), message="the records queued")
    gate.set()
    for thread in threads + [holder]:
        thread.join()
    database.stop()

    assert database.commits == 2  # the one that held the thread, then the eight records together
    assert set(Delivery.objects.values_list("state", "attempts")) == {("success", 1)}
    assert Attempt.objects.count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_record_batched_with_a_ring_that_fails_is_committed_once_not_taken_for_a_takeover(
    make_webhook, workflow_a, receiver
):
    """A ring while Redis is down raised in the batch: rolling the record back and running it
    again made its fence see its own first run, and the delivery was sent a second time."""
    import redis

    webhook = make_webhook(receiver.url("/h"))
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="T")
    lease = leasing.queue_lease(webhook_id=webhook.pk)
    delivery = Delivery.objects.filter(webhook_id=webhook.pk).select_related("event").get()
    sent = engine.attempt_send(lease=lease, delivery=delivery)
    database = DatabaseThread().start()
    holder, gate = hold(database)
    answers = {}

    def run(name, call):
        try:
            answers[name] = database.call(call)
        except redis.exceptions.ConnectionError:
            answers[name] = "broker down"

    def ring_while_redis_is_down():
        raise redis.exceptions.ConnectionError("Connection refused")

    threads = [
        threading.Thread(
            target=run, args=("record", lambda: engine.delivery_record(delivery=delivery, **sent))
        ),
        threading.Thread(target=run, args=("ring", ring_while_redis_is_down)),
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: database.waiting() == 2, message="the record and the ring queued")
    gate.set()
    for thread in threads + [holder]:
        thread.join()
    database.stop()

    assert answers["ring"] == "broker down"
    assert answers["record"].kept is True
    assert list(Delivery.objects.values_list("state", "attempts")) == [("success", 1)]
    assert database.commits == 2  # the holder, then the batch: the record committed with it


@pytest.mark.django_db(transaction=True)
def test_a_statement_that_raises_gets_its_error_and_the_others_are_kept(make_webhook, workflow_a):
    database = DatabaseThread().start()
    results = {}

    def run(name, call):
        try:
            results[name] = database.call(call)
        except ZeroDivisionError:
            results[name] = "raised"

    holder, gate = hold(database)
    threads = [
        threading.Thread(target=run, args=("fine", lambda: 1)),
        threading.Thread(target=run, args=("broken", lambda: 1 / 0)),
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: database.waiting() == 2, message="the records queued")
    gate.set()
    for thread in threads + [holder]:
        thread.join()
    database.stop()

    assert results == {"fine": 1, "broken": "raised"}


@pytest.mark.django_db(transaction=True)
def test_statements_of_failing_drains_go_a_few_a_batch_behind_the_others():
    """A hundred hanging requests that time out together must not put their records ahead of a
    healthy drain's statement: it goes in the next batch, with one of theirs."""
    database = DatabaseThread().start()
    order: list[str] = []
    holder, gate = hold(database)

    def statement(name: str):
        def call():
            order.append(name)
            return name

        return call

    behind = [
        threading.Thread(target=database.call, args=(statement(f"failed{n}"),), kwargs={"behind": True})
        for n in range(20)
    ]
    for thread in behind:
        thread.start()
    wait_until(lambda: database.waiting() == 20, message="the failing drains' statements queued")
    healthy = threading.Thread(target=database.call, args=(statement("healthy"),))
    healthy.start()
    wait_until(lambda: database.waiting() == 21, message="the healthy statement queued")
    gate.set()
    for thread in [*behind, healthy, holder]:
        thread.join()
    database.stop()

    assert order[0] == "healthy"  # ahead of all twenty, though queued last
    assert sorted(order[1:]) == sorted(f"failed{n}" for n in range(20))
    # The holder; the healthy one with one from behind; then the other nineteen, 8, 8 and 3.
    assert database.commits == 1 + 1 + 3


@pytest.fixture
def running(settings):
    """A dispatcher as a cluster worker runs it (its threads stop with the test)."""
    settings.WEBHOOK_CONCURRENCY = 4
    dispatchers = []

    def start(**kwargs) -> Dispatcher:
        options = {"concurrency": 4, "per_host": 100, "drain": lambda pk: engine.webhook_drain(webhook_id=pk)}
        running = Dispatcher(**{**options, **kwargs})
        running.database.start()
        dispatchers.append(running)
        return running

    yield start
    for running in dispatchers:
        running.stopping.set()
        wait_until(lambda: not running.running, message="the drains to end")  # noqa: B023
        running.database.stop()


@pytest.mark.django_db(transaction=True)
def test_drain_threads_deliver_in_order_and_never_open_a_database_connection(
    running, make_webhook, workflow_a, receiver, monkeypatch
):
    webhooks = [make_webhook(receiver.url(f"/h{n}"), code=f"h{n}") for n in range(3)]
    tasks = [
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name=f"T{n}").pk
        for n in range(5)
    ]
    opened = []
    wrapper_class = type(connections["default"])
    real_connect = wrapper_class.connect

    def connect(self):
        opened.append(threading.current_thread().name)
        return real_connect(self)

    monkeypatch.setattr(wrapper_class, "connect", connect)
    dispatcher = running()
    for webhook in webhooks:
        dispatcher.accept(webhook.pk)

    for n in range(3):
        requests = receiver.wait_for(f"/h{n}", 5, timeout=30)
        assert [json.loads(r.body)["data"]["_id"] for r in requests] == tasks
    assert "webhook-database" in opened and "webhook-drain" not in opened


@pytest.mark.django_db(transaction=True)
def test_a_webhook_rung_while_its_drain_runs_is_drained_again(running, make_webhook, workflow_a, receiver):
    webhook = make_webhook(receiver.url("/h"))
    drains = []
    release = threading.Event()

    def drain(pk):
        drains.append(pk)
        release.wait(5)

    dispatcher = running(drain=drain)
    dispatcher.accept(webhook.pk)
    wait_until(lambda: drains == [webhook.pk], message="the first drain")
    dispatcher.accept(webhook.pk)  # rung while it drains: no second thread, a second drain after
    dispatcher.accept(webhook.pk)
    release.set()

    wait_until(lambda: not dispatcher.running, message="the drains to end")
    assert drains == [webhook.pk, webhook.pk]


def test_beyond_its_concurrency_webhooks_wait_and_are_drained_when_a_thread_is_free(running):
    started, release = [], threading.Event()

    def drain(pk):
        started.append(pk)
        release.wait(5)

    dispatcher = running(concurrency=2, drain=drain)
    for pk in ("w1", "w2", "w3"):
        dispatcher.accept(pk)
    wait_until(lambda: len(started) == 2, message="two drains")
    assert sorted(started) == ["w1", "w2"] and len(dispatcher.waiting) == 1
    release.set()

    wait_until(lambda: not dispatcher.running, message="the drains to end")
    assert sorted(started) == ["w1", "w2", "w3"]


def test_outside_a_cluster_worker_there_is_no_dispatcher_and_the_task_drains_in_place(
    db, make_webhook, workflow_a, receiver
):
    from webhooks import tasks

    assert dispatching.current() is None
    webhook = make_webhook(receiver.url("/h"))
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="T")

    assert tasks.webhook_drain(webhook.pk) == 1
    assert len(receiver.on("/h")) == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_failed_attempt_a_webhooks_statements_wait_behind_until_one_succeeds(
    running, make_webhook, workflow_a, receiver, settings
):
    settings.WEBHOOK_RETRY_DELAY = 0
    webhook = make_webhook(receiver.url("/h"))
    receiver.script("/h", Reply(status=503))  # the first attempt fails, the retry succeeds
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="T")
    dispatcher = running()
    lanes: list[bool] = []
    call = dispatcher.database.call

    def noted_call(statement, *, behind=False):
        lanes.append(behind)
        return call(statement, behind=behind)

    dispatcher.database.call = noted_call
    dispatcher.accept(webhook.pk)
    receiver.wait_for("/h", 2, timeout=30)
    wait_until(lambda: not dispatcher.running, message="the drain to end")

    # Statements ahead up to the failure; from its record on, behind; ahead again from the
    # success's record (the first statement after the retry was sent).
    first_behind = lanes.index(True)
    back_ahead = lanes.index(False, first_behind)
    assert all(not lane for lane in lanes[:first_behind])
    assert all(lanes[first_behind:back_ahead]) and not any(lanes[back_ahead:])
    assert webhook.pk not in dispatcher.failing
    assert [a.status_code for a in Attempt.objects.order_by("number")] == [503, 200]


def test_a_webhook_rung_by_the_clock_for_a_retry_drains_behind_from_its_first_statement(running):
    lanes = []
    dispatcher = running(drain=lambda pk: lanes.append((pk, dispatching._local.behind)))
    dispatcher.accept("retried", behind=True)
    wait_until(lambda: len(lanes) == 1, message="the first drain")
    dispatcher.accept("fresh")
    wait_until(lambda: len(lanes) == 2, message="the second drain")

    assert lanes == [("retried", True), ("fresh", False)]


def test_statements_from_behind_keep_one_database_thread_free_for_those_ahead():
    database = DatabaseThread(threads=2)  # not started: the test takes its batches
    later = _Job(lambda: "later")
    database.behind.append(later)
    database.running_behind = 1  # the other thread runs a batch from behind
    taken = []
    taker = threading.Thread(target=lambda: taken.append(database._take()))
    taker.start()  # finds only a statement from behind, and no thread to spare for it: waits
    healthy = _Job(lambda: "healthy")
    with database.ready:
        database.ahead.append(healthy)
        database.ready.notify()
    taker.join(10)

    assert taken == [([healthy, later], False)]  # the healthy one, with one from behind
