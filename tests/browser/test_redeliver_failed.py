"""After an outage, an administrator redelivers the failed deliveries of a time range: the page
counts them, asks for confirmation, and they reach the receiver in their original order."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.receiver import Receiver
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Event, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_the_failed_deliveries_of_an_outage_are_counted_confirmed_and_sent_in_order(
    panel, company_a, receiver
):
    page = panel
    webhook = Webhook.objects.create(company=company_a, name="ERP", code="erp", url=receiver.url("/erp"))
    start = timezone.now() - timedelta(hours=2)
    for number in range(3):
        body = json.dumps({"company": company_a.pk, "event": "edit", "data": {"n": number}})
        event = Event.objects.create(company=company_a, type="COTTask", action="edit", body=body)
        Delivery.objects.create(
            company=company_a,
            webhook=webhook,
            event=event,
            state="failed",
            status_code=503,
            attempts=3,
            created_at=start + timedelta(minutes=10 * number),
        )

    page.goto(f"/webhooks/{webhook.pk}/")
    page.click("#redeliver-failed")
    page.fill("#id_created_from", timezone.localtime(start - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_created_to", timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M"))
    page.click("#recovery-count")
    expect(page.locator("#recovery-count-result")).to_have_text("3 failed deliveries will be sent again.")
    assert not Delivery.objects.filter(kind="redelivery").exists()  # nothing before confirmation

    page.click("#recovery-submit")

    expect(page.locator(".messages")).to_contain_text("3 failed deliveries queued again.")
    expect(page.locator("#logs tbody tr[data-delivery]")).to_have_count(6)
    assert webhook_drain(webhook_id=webhook.pk) == 3
    assert [json.loads(request.body)["data"]["n"] for request in receiver.on("/erp")] == [0, 1, 2]
