"""A browser in America/Santiago sees the panel's dates in its own zone, named, with the full
ISO-8601 time on hover; the zone can be changed, and the choice is remembered."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, log_in
from webhooks.models import Delivery, Event, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 02:47:02.123 UTC on 2 December is 23:47:02.123 on 1 December in Santiago (UTC-3 in summer).
WHEN = datetime(2026, 12, 2, 2, 47, 2, 123000, tzinfo=UTC)


@pytest.fixture
def santiago(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="es-CL",
        timezone_id="America/Santiago",
        extra_http_headers={"Accept-Language": "es-CL,es;q=0.9"},
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def logged(company_a) -> Webhook:
    webhook = Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")
    event = Event.objects.create(company=company_a, type="COTUser", action="edit", body="{}")
    Delivery.objects.create(company=company_a, webhook=webhook, event=event, created_at=WHEN, state="success")
    return webhook


def test_a_browser_in_santiago_sees_local_times_with_the_zone_named(santiago, staff, logged):
    page = santiago
    log_in(page, staff)

    page.goto(f"/webhooks/{logged.pk}/")

    time = page.locator("#logs tbody time").first
    expect(time).to_have_text("01/12/2026 23:47:02 GMT-3")  # es-CL: day first
    expect(time).to_have_attribute("title", "2026-12-01T23:47:02.123-03:00")
    expect(page.locator("#time-zone-link")).to_contain_text("America/Santiago")


def test_the_zone_can_be_changed_and_is_remembered(santiago, staff, logged):
    page = santiago
    log_in(page, staff)
    page.goto(f"/webhooks/{logged.pk}/")

    page.click("#time-zone-link")
    page.select_option("#id_zone", "Europe/Madrid")
    page.click("#zone-form button[type=submit]")

    page.wait_for_url(f"**/webhooks/{logged.pk}/")
    expect(page.locator("#logs tbody time").first).to_have_text("02/12/2026 03:47:02 CET")
    page.goto(f"/webhooks/{logged.pk}/")  # remembered, though the browser is in Santiago
    expect(page.locator("#time-zone-link")).to_contain_text("Europe/Madrid")
