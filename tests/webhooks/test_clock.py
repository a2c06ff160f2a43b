"""The delivery clock rings due retries, expired leases and lost doorbells, each once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Task
from webhooks.engine import leasing
from webhooks.engine.clock import queues_ring_due
from webhooks.models import Delivery, Webhook


@pytest.fixture
def rung(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        "webhooks.engine.doorbell.async_task", lambda func, webhook_id, **kw: calls.append(webhook_id)
    )
    return calls


@pytest.fixture
def delivery(db, make_webhook, workflow_a, rung) -> Delivery:
    make_webhook("https://example.com/hook")
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="T")
    rung.clear()  # the doorbell of the change itself
    return Delivery.objects.get()


def test_it_does_not_ring_a_queue_whose_doorbell_just_rang(delivery, rung):
    assert queues_ring_due() == []
    assert rung == []


def test_it_rings_a_retry_once_when_it_falls_due(delivery, rung):
    now = timezone.now()
    Webhook.objects.filter(pk=delivery.webhook_id).update(wake_at=now + timedelta(seconds=30))

    assert queues_ring_due(now=now + timedelta(seconds=29)) == []
    assert queues_ring_due(now=now + timedelta(seconds=30)) == [delivery.webhook_id]
    assert queues_ring_due(now=now + timedelta(seconds=31)) == []
    assert rung == [delivery.webhook_id]


def test_it_rings_again_when_a_doorbell_was_lost(delivery, rung, settings):
    settings.WEBHOOK_SWEEP_AFTER = 60
    later = timezone.now() + timedelta(seconds=61)

    assert queues_ring_due(now=later) == [delivery.webhook_id]
    assert queues_ring_due(now=later + timedelta(seconds=1)) == []
    assert rung == [delivery.webhook_id]


def test_it_does_not_sweep_a_queue_with_nothing_pending(delivery, rung, settings):
    settings.WEBHOOK_SWEEP_AFTER = 60
    Delivery.objects.update(state=Delivery.State.SUCCESS)

    assert queues_ring_due(now=timezone.now() + timedelta(hours=1)) == []


def test_it_leaves_a_leased_queue_alone_until_its_lease_expires(delivery, rung, settings):
    settings.WEBHOOK_SWEEP_AFTER = 60
    leasing.queue_lease(webhook_id=delivery.webhook_id)
    leased_until = Webhook.objects.get(pk=delivery.webhook_id).leased_until

    assert queues_ring_due(now=leased_until - timedelta(seconds=1)) == []
    assert queues_ring_due(now=leased_until + timedelta(seconds=1)) == [delivery.webhook_id]
    assert rung == [delivery.webhook_id]


def test_it_does_not_ring_an_inactive_webhook(delivery, rung):
    delivery.webhook.deactivate()
    Webhook.objects.filter(pk=delivery.webhook_id).update(wake_at=timezone.now())

    assert queues_ring_due(now=timezone.now() + timedelta(hours=1)) == []


def test_it_rings_even_when_a_drain_is_believed_queued_so_a_lost_task_cannot_silence_a_webhook(
    delivery, rung, settings
):
    settings.WEBHOOK_SWEEP_AFTER = 60
    Webhook.objects.filter(pk=delivery.webhook_id).update(ring_queued=True)

    assert queues_ring_due(now=timezone.now() + timedelta(seconds=61)) == [delivery.webhook_id]
    assert rung == [delivery.webhook_id]


def test_a_long_backlog_does_not_crowd_other_queues_out_of_a_tick(
    db, make_webhook, workflow_a, rung, settings
):
    settings.WEBHOOK_SWEEP_AFTER = 60
    busy = make_webhook("https://example.com/busy", code="busy")
    for n in range(30):
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name=f"T{n}")
    quiet = make_webhook("https://example.com/quiet", code="quiet")
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="last")

    rung_now = queues_ring_due(now=timezone.now() + timedelta(seconds=61))

    assert sorted(rung_now) == sorted([busy.pk, quiet.pk])


def test_a_retry_that_fell_due_is_rung_to_drain_behind_and_a_lost_doorbell_is_not(
    delivery, monkeypatch, settings
):
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(
        "webhooks.engine.doorbell.async_task", lambda func, *ids, **kw: calls.append((ids, kw.get("behind")))
    )
    now = timezone.now()
    Webhook.objects.filter(pk=delivery.webhook_id).update(wake_at=now)
    queues_ring_due(now=now)
    settings.WEBHOOK_SWEEP_AFTER = 60
    Webhook.objects.filter(pk=delivery.webhook_id).update(wake_at=None, rung_at=None)
    queues_ring_due(now=now + timedelta(seconds=61))

    assert calls == [((delivery.webhook_id,), True), ((delivery.webhook_id,), None)]
