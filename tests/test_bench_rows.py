"""The benchmarks write their bulk rows in SQL, past the ORM: when a model gains a column, those
statements must follow, or `make bench` crashes (bench/panel.py did, on Attempt.after_lost_lease).
These tests run each bulk insert with a few rows on the test database, on both databases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bench import panel, scale
from events.models import Company
from webhooks.engine.signing import secret_generate
from webhooks.models import Attempt, Delivery, Event, Webhook

# The inserts run VACUUM on PostgreSQL, which cannot run inside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_panel_benchmark_writes_logs_the_logs_page_can_read(client):
    staff, webhook = panel.company_build("bench-small", 3, 100)

    deliveries = Delivery.objects.filter(webhook=webhook)
    assert deliveries.count() == 100
    assert deliveries.filter(state=Delivery.State.FAILED, status_code=500).count() == 2  # 1 in 50
    assert Attempt.objects.filter(delivery__webhook=webhook, after_lost_lease=False).count() == 100
    assert Event.objects.filter(company_id=webhook.company_id).values("subject_id").distinct().count() == 20
    client.force_login(staff)
    response = client.get(f"/webhooks/{webhook.pk}/logs/?result=failed")
    assert response.status_code == 200
    assert response.content.decode().count('data-delivery="') == 2


def test_the_scale_benchmark_writes_pending_queues_the_engine_reads():
    company = Company.objects.create(name="Scale")
    scale.webhooks_create(company.pk, [secret_generate() for _ in range(10)])
    now = timezone.now()

    scale.pending_load(company.pk, 10, 3, "a1", now, now + timedelta(hours=1))

    assert Delivery.objects.pending().count() == 30
    head = Delivery.objects.filter(webhook_id=scale.webhook_id(1)).order_by("id").first()
    assert head is not None and head.attempts == 1  # a "waiting" webhook's head had one attempt
    assert Webhook.objects.filter(company=company).count() == 10
