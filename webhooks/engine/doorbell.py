"""Doorbells: telling the cluster that a webhook's queue has work, without costing the caller.

A doorbell is a django-q2 task `webhooks.tasks.webhook_drain(*webhook_ids)`: the webhooks rung
together are shared among a few tasks (`ring_shares`), not one task each.
At most one is queued and not yet started per webhook: a drain that starts
answers the doorbell (clears the flag) before it looks at the queue, so a
ring after that start queues a new drain, and nothing committed is missed.

- Redis broker: the ring is broker-only, after commit (`on_commit(robust=True)`:
  a broker error is logged, never a 500 for a committed change; the clock
  recovers the queue). The "queued" flag is a Redis key with an expiry
  (SET NX), so de-duplicating costs one round trip and no SQL.
- ORM broker: the doorbell is part of the outbox. Inside the caller's
  transaction one `UPDATE ... RETURNING` flags the webhooks that had no drain
  queued (`Webhook.ring_queued`) and their drain tasks are inserted; a
  rollback removes both, a commit makes both visible at once. On PostgreSQL
  the drain queued before may start before this commit: for those webhooks
  the flag is checked again after commit.

The delivery clock rings with `force=True`, bypassing the flag, so that a
drain task the broker lost cannot leave a queue silent. It also asks
`broker_returned()` on every tick: after a Redis outage or restart, rings
made meanwhile (and, after a restart, every queued drain) are gone, so the
clock then rings every queue with a due head (docs/delivery.md, "Faults").
"""

import os

from django.conf import settings
from django.db import connections, transaction
from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

from webhooks.models import Webhook

DRAIN_TASK = "webhooks.tasks.webhook_drain"
# At most this many webhooks in one drain task (ring_shares).
RING_SHARE_MAX = 50

_broker: Broker | None = None
_broker_pid: int | None = None


def _get_broker() -> Broker:
    """One django-q2 broker per process (building one per task costs a connection check)."""
    global _broker, _broker_pid
    if _broker is None or _broker_pid != os.getpid():
        _broker, _broker_pid = get_broker(), os.getpid()
    return _broker


def _orm_broker() -> str | None:
    return settings.Q_CLUSTER.get("orm")


def _redis_flag(webhook_id: str) -> str:
    return f"webhooks:{settings.Q_CLUSTER['name']}:drain-queued:{webhook_id}"


def _enqueue(webhook_ids: list[str], *, behind: bool = False) -> None:
    """Queue the drains: one task for each share of the webhooks (`ring_shares`). `behind`: their
    drains' statements wait behind the others' (webhooks.engine.dispatcher)."""
    broker = _get_broker()
    options = {"q_options": {"save": False, "task_name": "webhook_drain", "broker": broker}}
    for share in ring_shares(webhook_ids):
        async_task(DRAIN_TASK, *share, **({"behind": True} if behind else {}), **options)


def ring_shares(webhook_ids: list[str]) -> list[list[str]]:
    """The webhooks in shares of about one per worker, RING_SHARE_MAX at most: a task hands its
    webhooks to a worker's dispatcher at once, so a fan-out to a hundred webhooks (or the clock
    ringing a hundred retries) is a few tasks for the broker and the workers to pass on, not a
    hundred that a single webhook's doorbell, rung just after, would wait behind."""
    size = min(RING_SHARE_MAX, max(1, -(-len(webhook_ids) // settings.Q_CLUSTER["workers"])))
    return [webhook_ids[start : start + size] for start in range(0, len(webhook_ids), size)]


def ring_on_commit(*, webhook_ids: list[str]) -> None:
    """Ring these webhooks once the caller's transaction commits (call inside it)."""
    if not webhook_ids:
        return
    if alias := _orm_broker():
        # Joins the outbox's transaction (event_store() calls this inside it), with no
        # savepoint, so the doorbell commits with the change; a transaction of its own only if
        # the broker's database is another one (in autocommit the ORM broker would otherwise
        # close the connection before enqueueing).
        with transaction.atomic(using=alias, savepoint=False):
            flagged = _orm_flag_idle(webhook_ids)
            _enqueue(flagged)
            queued_before = [webhook_id for webhook_id in webhook_ids if webhook_id not in flagged]
            if queued_before and connections[alias].vendor != "sqlite":
                # The drain queued before may start, and find the queue empty, before this
                # transaction commits; after the commit, ring again if it has started. (SQLite
                # has one writer at a time: that drain's lease waits for this commit.)
                _ring_after_commit(queued_before)
    else:
        _ring_after_commit(webhook_ids)


def _ring_after_commit(webhook_ids: list[str]) -> None:
    def ring_after_commit() -> None:  # a named function: robust on_commit logs its name
        ring(webhook_ids=webhook_ids)

    transaction.on_commit(ring_after_commit, robust=True)


def _orm_flag_idle(webhook_ids: list[str]) -> list[str]:
    """Flag the webhooks with no drain queued, in the current transaction; returns them."""
    table = Webhook._meta.db_table
    marks = ", ".join(["%s"] * len(webhook_ids))
    sql = f"UPDATE {table} SET ring_queued = %s WHERE id IN ({marks}) AND ring_queued = %s RETURNING id"
    with connections[Webhook.objects.db].cursor() as cursor:
        cursor.execute(sql, [True, *webhook_ids, False])
        return [row[0] for row in cursor.fetchall()]


def ring(*, webhook_ids: list[str], force: bool = False, behind: bool = False) -> None:
    """Queue a drain for each webhook that has none queued (all of them with `force`); `behind`:
    the clock rings a retry that fell due, drained behind fresh work (webhooks.engine.dispatcher)."""
    if not webhook_ids:
        return
    if _orm_broker():
        with transaction.atomic(using=_orm_broker()):
            _enqueue(webhook_ids if force else _orm_flag_idle(webhook_ids), behind=behind)
        return
    pipe = _get_broker().connection.pipeline(transaction=False)
    expiry = max(1, int(settings.WEBHOOK_SWEEP_AFTER))
    for webhook_id in webhook_ids:
        pipe.set(_redis_flag(webhook_id), 1, nx=not force, ex=expiry)
    rung = [webhook_id for webhook_id, was_set in zip(webhook_ids, pipe.execute(), strict=True) if was_set]
    _enqueue(rung, behind=behind)


def _epoch_key() -> str:
    return f"webhooks:{settings.Q_CLUSTER['name']}:broker-epoch"


# Whether this process's last look at the broker failed.
_broker_was_down = False


def broker_returned() -> bool:
    """Whether the broker may have lost rings since this process last looked: it was down at
    the last look, or it is a new (restarted) Redis. One `SET NX` round trip; raises while the
    broker is down. Always False with the ORM broker, whose doorbells are database rows."""
    global _broker_was_down
    if _orm_broker():
        return False
    try:
        # The key outlives any outage of the connection, but not a restart (or a flush) of
        # Redis: finding it missing means everything queued before is gone.
        new_broker = _get_broker().connection.set(_epoch_key(), 1, nx=True)
    except Exception:
        _broker_was_down = True
        raise
    returned, _broker_was_down = bool(new_broker) or _broker_was_down, False
    return returned


def answer(*, webhook_id: str) -> None:
    """A drain starts: later rings must queue a new drain (ORM: the lease clears the flag)."""
    if not _orm_broker():
        _get_broker().connection.delete(_redis_flag(webhook_id))
