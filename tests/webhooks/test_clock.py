"""The delivery clock rings retries when due and lost doorbells, each once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Task
from webhooks import services
from webhooks.models import Delivery


@pytest.fixture
def rung(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        "webhooks.services.async_task", lambda func, webhook_id, **kw: calls.append(webhook_id)
    )
    return calls


@pytest.fixture
def delivery(db, make_webhook, workflow_a) -> Delivery:
    make_webhook("https://example.com/hook")
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="T")
    return Delivery.objects.get()


def test_it_does_not_ring_a_delivery_whose_doorbell_just_rang(delivery, rung):
    assert services.deliveries_ring_due() == []
    assert rung == []


def test_it_rings_a_retry_once_when_it_falls_due(delivery, rung):
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(attempts=1, next_attempt_at=now + timedelta(seconds=30))

    assert services.deliveries_ring_due(now=now + timedelta(seconds=29)) == []
    assert services.deliveries_ring_due(now=now + timedelta(seconds=30)) == [delivery.webhook_id]
    assert services.deliveries_ring_due(now=now + timedelta(seconds=31)) == []
    assert rung == [delivery.webhook_id]


def test_it_rings_again_when_a_doorbell_was_lost(delivery, rung, settings):
    settings.WEBHOOK_SWEEP_AFTER = 60
    later = timezone.now() + timedelta(seconds=61)

    assert services.deliveries_ring_due(now=later) == [delivery.webhook_id]


def test_it_leaves_a_leased_delivery_alone_until_its_lease_expires(delivery, rung, settings):
    settings.WEBHOOK_SWEEP_AFTER = 60
    services.delivery_claim(webhook_id=delivery.webhook_id)
    delivery.refresh_from_db()

    assert services.deliveries_ring_due(now=delivery.leased_until - timedelta(seconds=1)) == []
    assert services.deliveries_ring_due(now=delivery.leased_until + timedelta(seconds=1)) == [
        delivery.webhook_id
    ]


def test_it_does_not_ring_an_inactive_webhook(delivery, rung):
    delivery.webhook.deactivate()

    assert services.deliveries_ring_due(now=timezone.now() + timedelta(hours=1)) == []


def test_it_rings_even_when_a_drain_is_believed_queued_so_a_lost_task_cannot_silence_a_webhook(
    delivery, rung, settings
):
    settings.WEBHOOK_SWEEP_AFTER = 60
    type(delivery.webhook).objects.filter(pk=delivery.webhook_id).update(ring_queued=True)

    assert services.deliveries_ring_due(now=timezone.now() + timedelta(seconds=61)) == [delivery.webhook_id]
    assert rung == [delivery.webhook_id]
