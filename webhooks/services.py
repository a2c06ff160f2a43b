"""Routing, queueing and delivering events to webhooks (DESIGN §4).

Order: only the oldest unfinished delivery of a webhook (its head) is ever
attempted, and only by whoever wins a conditional-update lease on it. A
delivery is therefore not attempted before the one ahead of it has
succeeded or used up its attempts, however many workers and clusters run.

Doorbells: committing deliveries rings their webhooks (`webhooks_ring`);
the delivery clock (`deliveries_ring_due`) rings retries when they fall due
and re-rings deliveries whose doorbell was lost (a crash after commit).
A drain that crashes mid-request leaves a lease that expires; the delivery
is then attempted again: delivery is at-least-once.
"""

import contextlib
import json
import logging
import os
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

from events.cot import iso
from webhooks import http
from webhooks.models import EVENT_TYPE_BY_TRIGGER, Attempt, Delivery, Event, Webhook
from webhooks.signing import signature_header

logger = logging.getLogger("webhooks.delivery")

DRAIN_TASK = "webhooks.tasks.webhook_drain"


_WANT_SQL: dict[tuple, tuple[str, list]] = {}
_SENTINEL = "\x00webhooks-want:"


def webhooks_want(*, company_id: str, type: str, context: dict) -> bool:
    """Whether an event of this company, type and context would match any active webhook.

    Asked by event capture for every change before it does any other work, so
    it is one indexed query whose SQL is compiled once (by the ORM, from
    `Webhook.objects.matching()` with placeholder values) and then reused.
    """
    if None in context.values():
        return Webhook.objects.matching({"company": company_id, "type": type, "data": context}).exists()
    connection = transaction.get_connection(Webhook.objects.db)
    key = (connection.alias, type, tuple(sorted(context)))
    if key not in _WANT_SQL:
        stub = {
            "company": _SENTINEL + "company",
            "type": type,
            "data": {name: _SENTINEL + name for name in context},
        }
        query = Webhook.objects.matching(stub).values("pk")[:1].query
        _WANT_SQL[key] = query.get_compiler(connection=connection).as_sql()
    sql, template = _WANT_SQL[key]
    values = {_SENTINEL + "company": company_id, **{_SENTINEL + k: v for k, v in context.items()}}
    params = [values.get(p, p) if isinstance(p, str) else p for p in template]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def event_route(*, event: dict) -> Event | None:
    """Store the event and a delivery per matching webhook, in the caller's transaction."""
    webhook_ids = list(Webhook.objects.matching(event).values_list("id", flat=True))
    if not webhook_ids:
        return None
    now = timezone.now()
    stored = Event.objects.create(
        company_id=event["company"],
        type=event["type"],
        action=event["event"],
        body=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        created_at=now,
    )
    Delivery.objects.bulk_create(
        Delivery(
            company_id=stored.company_id,
            webhook_id=webhook_id,
            event=stored,
            next_attempt_at=now,
            rung_at=now,
            created_at=now,
        )
        for webhook_id in webhook_ids
    )
    # Several events of one transaction ring a webhook once: the first doorbell marks
    # its drain as queued (Webhook.ring_queued) and the others find it so.
    transaction.on_commit(partial(webhooks_ring, webhook_ids=webhook_ids))
    return stored


_broker: Broker | None = None
_broker_pid: int | None = None


def _get_broker() -> Broker:
    """One django-q2 broker per process (building one per task costs a connection check)."""
    global _broker, _broker_pid
    if _broker is None or _broker_pid != os.getpid():
        _broker, _broker_pid = get_broker(), os.getpid()
    return _broker


def webhooks_ring(*, webhook_ids: list[str], force: bool = False) -> None:
    """Ask the cluster to drain these webhooks' queues (call on commit).

    A webhook whose drain task is queued and not yet started is not rung again:
    that drain will find the new deliveries too. `force` rings anyway; the clock
    uses it, so a drain task the broker lost cannot leave a webhook silent.
    """
    if not webhook_ids:
        return
    broker = _get_broker()
    # The ORM broker closes "old" connections before each enqueue when outside a
    # transaction (with CONN_MAX_AGE=0: every time); one transaction for all the
    # doorbells keeps the connection and commits once.
    orm = settings.Q_CLUSTER.get("orm")
    batch = transaction.atomic(using=orm) if orm else contextlib.nullcontext()
    with batch:
        if not force:
            webhook_ids = Webhook.objects.ring_queue(webhook_ids)
        for webhook_id in webhook_ids:
            async_task(
                DRAIN_TASK,
                webhook_id,
                q_options={"save": False, "task_name": "webhook_drain", "broker": broker},
            )


def deliveries_ring_due(*, now=None) -> list[str]:
    """Ring webhooks whose head fell due (a retry) or whose doorbell was lost."""
    now = now or timezone.now()
    due = Delivery.objects.due(now).unrung(now)
    candidates = set(due.order_by().values_list("webhook_id", flat=True)[:1000])
    # The update repeats the conditions without the join, so that concurrent clocks ring once.
    rung = [
        webhook_id
        for webhook_id in candidates
        if Delivery.objects.claimable(now).unrung(now).filter(webhook_id=webhook_id).update(rung_at=now)
    ]
    webhooks_ring(webhook_ids=rung, force=True)
    return rung


def delivery_claim(*, webhook_id: str) -> Delivery | None:
    """Lease the webhook's head delivery if it is due and nobody holds it."""
    now = timezone.now()
    head = Delivery.objects.select_related("webhook", "event").head_of(webhook_id)
    if head is None or not head.webhook.is_active or head.next_attempt_at > now:
        return None
    if head.leased_until is not None and head.leased_until > now:
        return None
    lease_seconds = (
        settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_TIMEOUT + settings.WEBHOOK_LEASE_MARGIN
    )
    lease = now + timedelta(seconds=lease_seconds)
    if not Delivery.objects.claimable(now).filter(pk=head.pk).update(leased_until=lease):
        return None
    head.leased_until = lease
    return head


def webhook_drain(*, webhook_id: str) -> int:
    """Attempt the webhook's due deliveries in order; returns how many were attempted.

    Stops at a delivery that must wait for its retry; after
    WEBHOOK_DRAIN_BUDGET seconds it rings itself again so a busy webhook
    does not keep a worker from the others.
    """
    # From here on, a new doorbell queues a new drain: this one may already be past its delivery.
    Webhook.objects.filter(pk=webhook_id, ring_queued=True).update(ring_queued=False)
    started = time.monotonic()
    attempted = 0
    while (delivery := delivery_claim(webhook_id=webhook_id)) is not None:
        delivery_attempt(delivery=delivery)
        attempted += 1
        if time.monotonic() - started > settings.WEBHOOK_DRAIN_BUDGET:
            webhooks_ring(webhook_ids=[webhook_id])
            break
    return attempted


def _signed_headers(webhook: Webhook, message_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            webhook.signing_secrets(), message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def delivery_attempt(*, delivery: Delivery) -> Delivery.State:
    """Send a leased delivery once and record the outcome. No transaction is open during the request."""
    body = delivery.event.body.encode()
    headers = _signed_headers(delivery.webhook, delivery.object_id, body)
    started_at = timezone.now()
    result = http.post_json(delivery.webhook.url, body, headers)
    return delivery_record(delivery=delivery, started_at=started_at, result=result, headers=headers)


def delivery_record(
    *, delivery: Delivery, started_at, result: http.HttpResult, headers: dict
) -> Delivery.State:
    number = delivery.attempts + 1
    final = result.ok or number >= settings.WEBHOOK_MAX_ATTEMPTS
    state = (
        Delivery.State.SUCCESS if result.ok else Delivery.State.FAILED if final else Delivery.State.PENDING
    )
    now = timezone.now()
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            response_body=result.body,
            response_truncated=result.truncated,
            error=result.error,
            request_headers=headers,
        )
        updated = Delivery.objects.filter(pk=delivery.pk, leased_until=delivery.leased_until).update(
            state=state,
            attempts=number,
            status_code=result.status_code,
            response=result.body or result.error,
            response_truncated=result.truncated,
            leased_until=None,
            next_attempt_at=now if final else now + timedelta(seconds=settings.WEBHOOK_RETRY_DELAY),
            completed_at=now if final else None,
        )
    if not updated:
        logger.warning(
            "delivery %s: lease lost during attempt %d; result kept as an attempt only",
            delivery.object_id,
            number,
        )
    logger.info(
        "delivery attempt webhook=%s delivery=%s attempt=%d status=%s duration_ms=%d state=%s",
        delivery.webhook_id,
        delivery.object_id,
        number,
        result.status_code,
        result.duration_ms,
        state,
    )
    return state


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Queue the same event to the same webhook again, behind what is already queued."""
    now = timezone.now()
    again = Delivery.objects.create(
        company_id=delivery.company_id,
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        kind=Delivery.Kind.REDELIVERY,
        next_attempt_at=now,
        rung_at=now,
        created_at=now,
    )
    transaction.on_commit(partial(webhooks_ring, webhook_ids=[delivery.webhook_id]))
    return again


WEBHOOK_EDITABLE_FIELDS = ("name", "url", "description", "trigger", "workflow", "survey", "group")


def webhook_create(*, company_id: str, code: str, **fields) -> Webhook:
    """Validate (ValidationError with field errors) and save a new webhook."""
    webhook = Webhook(company_id=company_id, code=code, **fields)
    # Webhook.clean() reports a taken code on the `code` field; the constraint still
    # guards the race of two concurrent creates.
    webhook.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            webhook.save()
    except IntegrityError:
        raise ValidationError({"code": "A webhook with this code already exists."}) from None
    return webhook


def webhook_update(*, webhook: Webhook, code: str | None = None, **fields) -> Webhook:
    """Change editable fields; the code is immutable once saved."""
    if code is not None and code != webhook.code:
        raise ValidationError({"code": "The code cannot be changed once the webhook is saved."})
    unknown = set(fields) - set(WEBHOOK_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(webhook, name, value)
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_rotate_secret(*, webhook: Webhook) -> Webhook:
    """New secret; the old one keeps signing for WEBHOOK_SECRET_ROTATION_GRACE seconds."""
    webhook.rotate_secret()
    return webhook


def webhook_set_active(*, webhook: Webhook, active: bool) -> Webhook:
    """Activate or deactivate; re-activation resumes what was queued, in order."""
    if active:
        webhook.activate()
        transaction.on_commit(partial(webhooks_ring, webhook_ids=[webhook.pk]))
    else:
        webhook.deactivate()
    return webhook


def webhooks_deactivate(*, company_id: str, webhook_ids: list[str]) -> int:
    """Bulk deactivation from the list; only the company's own webhooks are touched."""
    return (
        Webhook.objects.for_company(company_id)
        .filter(pk__in=webhook_ids, is_active=True)
        .update(is_active=False, modified_at=timezone.now())
    )


def test_event_payload(*, webhook: Webhook) -> dict:
    return {
        "company": webhook.company_id,
        "type": EVENT_TYPE_BY_TRIGGER[webhook.trigger],
        "event": "test",
        "data": None,
        "diff": {},
        "extraData": {"test": True, "webhook": webhook.pk},
        "createdAt": iso(timezone.now()),
    }


def webhook_send_test(*, webhook: Webhook) -> Delivery:
    """Send a test event now, outside the queue, and log it like any delivery."""
    payload = test_event_payload(webhook=webhook)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    delivery = Delivery(company_id=webhook.company_id, webhook=webhook, kind=Delivery.Kind.TEST)
    headers = _signed_headers(webhook, delivery.object_id, body.encode())
    started_at = timezone.now()
    result = http.post_json(webhook.url, body.encode(), headers)
    with transaction.atomic():
        delivery.event = Event.objects.create(
            company_id=webhook.company_id,
            type=payload["type"],
            action="test",
            body=body,
            created_at=started_at,
        )
        delivery.state = Delivery.State.SUCCESS if result.ok else Delivery.State.FAILED
        delivery.attempts = 1
        delivery.status_code = result.status_code
        delivery.response = result.body or result.error
        delivery.response_truncated = result.truncated
        delivery.created_at = delivery.completed_at = started_at
        delivery.save()
        Attempt.objects.create(
            delivery=delivery,
            number=1,
            started_at=started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            response_body=result.body,
            response_truncated=result.truncated,
            error=result.error,
            request_headers=headers,
        )
    return delivery
