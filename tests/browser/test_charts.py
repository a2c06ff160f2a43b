"""The settings page's delivery charts in a real browser, in English and Spanish: both charts and
their table are shown, the 24 hours / 7 days switch swaps them in place, and axe-core reports no
violation at all. With PANEL_SCREENSHOTS=1 the English run writes docs/screenshots/charts.png."""

import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_i18n_a11y import axe
from webhooks import stats
from webhooks.models import Attempt, Delivery, Event, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TEXT = {
    "en": {
        "table": "Show as table",
        "7d": "7 days",
        "24h": "24 hours",
        "missing": "not counted yet",
        "announce": "Showing the last 24 hours.",
    },
    "es": {
        "table": "Mostrar como tabla",
        "7d": "7 días",
        "24h": "24 horas",
        "missing": "aún sin contar",
        "announce": "Se muestran las últimas 24 horas.",
    },
}


def week_of_deliveries(webhook: Webhook) -> dict:
    """A week of deliveries, a few an hour, some failed, a receiver that slows down at times;
    rolled up as the scheduled task would. Returns the expected figures of one hour."""
    rng = random.Random(7)
    now = timezone.now()
    event = Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")
    deliveries, durations = [], []
    for hours_ago in range(7 * 24):
        slow = 6 <= hours_ago % 24 <= 9
        for n in range(rng.randint(2, 9)):
            failed = n > 0 and rng.random() < (0.4 if slow else 0.05)  # a success in every hour
            latest = now.minute if hours_ago == 0 else 59  # each in its own hour, none in the future
            minutes = rng.randint(0, latest)
            at = stats.hour_floor(now) - timedelta(hours=hours_ago) + timedelta(minutes=minutes)
            state = Delivery.State.FAILED if failed else Delivery.State.SUCCESS
            deliveries.append(
                Delivery(company=webhook.company, webhook=webhook, event=event, state=state, created_at=at)
            )
            durations.append(rng.randint(800, 4000) if slow else rng.randint(30, 250))
    deliveries.append(
        Delivery(company=webhook.company, webhook=webhook, event=event, state="pending", created_at=now)
    )
    durations.append(None)
    for delivery in deliveries:
        delivery.attempts = 0 if delivery.state == "pending" else 1
    Delivery.objects.bulk_create(deliveries)
    Attempt.objects.bulk_create(
        Attempt(delivery=d, number=1, started_at=d.created_at, duration_ms=ms)
        for d, ms in zip(deliveries, durations, strict=True)
        if ms is not None
    )
    stats.deliveries_rollup()
    hour = stats.hour_floor(now - timedelta(hours=3))
    in_hour = [d for d in deliveries if stats.hour_floor(d.created_at) == hour]
    return {
        "hour": hour.isoformat(),
        "success": sum(d.state == "success" for d in in_hour),
        "failed": sum(d.state == "failed" for d in in_hour),
    }


def cells(page, hour: str) -> list[str]:
    return page.locator(f'#charts-table tr[data-hour="{hour}"] td').all_inner_texts()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_charts_their_table_and_the_range_switch(request, lang, staff, company_a, tmp_path):
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    text, results = TEXT[lang], {}
    webhook = Webhook.objects.create(
        company=company_a, name="Work Orders", code="work_orders", url="https://a.example/hook"
    )
    expected = week_of_deliveries(webhook)
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")

    expect(page.locator("#chart-counts")).to_be_visible()
    expect(page.locator("#chart-times")).to_be_visible()
    expect(page.locator("#chart-counts .bar-success")).to_have_count(24)
    expect(page.locator("#charts-24h")).to_have_attribute("aria-current", "true")
    expect(page.locator("#charts-table tbody tr")).to_have_count(24)
    page.get_by_text(text["table"]).click()
    expect(page.locator("#charts-table table")).to_be_visible()
    assert cells(page, expected["hour"])[:2] == [str(expected["success"]), str(expected["failed"])]
    assert text["missing"] not in page.locator("#charts").inner_text()
    assert axe(page, "charts 24h", results) == [] and results["charts 24h"] == []

    # The switch swaps the charts in place (no reload).
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("link", name=text["7d"], exact=True).click()
    expect(page.locator("#charts-7d")).to_have_attribute("aria-current", "true")
    expect(page.locator("#charts-table tbody tr")).to_have_count(168)
    expect(page.locator("#chart-counts .bar-success")).to_have_count(168)
    assert page.evaluate("window.__notReloaded === true")
    page.get_by_text(text["table"]).click()
    assert cells(page, expected["hour"])[:2] == [str(expected["success"]), str(expected["failed"])]
    expect(page.locator(".htmx-request")).to_have_count(0)
    assert axe(page, "charts 7d", results) == [] and results["charts 7d"] == []

    # With the keyboard: the focus stays on the switch and the change is announced.
    page.focus("#charts-24h")
    page.keyboard.press("Enter")
    expect(page.locator("#charts-table tbody tr")).to_have_count(24)
    expect(page.locator("#charts-24h")).to_be_focused()
    expect(page.locator("#announcer")).to_have_text(text["announce"])
    if lang == "en":
        out = SCREENSHOTS if os.environ.get("PANEL_SCREENSHOTS") == "1" else tmp_path
        page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
        page.locator("#charts").screenshot(path=str(out / "charts.png"))


def test_without_javascript_the_switch_is_a_link(browser, live_server, staff, company_a):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, timezone_id="UTC")
    page = context.new_page()
    webhook = Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")
    try:
        log_in(page, staff)
        page.goto(f"/webhooks/{webhook.pk}/")
        page.click("#charts-7d")
        page.wait_for_url(f"**/webhooks/{webhook.pk}/charts/?range=7d#charts")
        expect(page.locator("#charts-table tbody tr")).to_have_count(168)
    finally:
        context.close()


def test_a_range_switch_is_announced_when_the_logs_refresh_before_it_settles(staff, company_a, page):
    webhook = Webhook.objects.create(
        company=company_a, name="Work Orders", code="work_orders", url="https://a.example/hook"
    )
    event = Event.objects.create(company=company_a, type="COTTask", action="edit", body="{}")
    Delivery.objects.create(company=company_a, webhook=webhook, event=event)  # pending: the logs poll
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")
    expect(page.locator("#log-table[hx-trigger]")).to_have_count(1)
    # A long settle, so that the logs' refresh is swapped in between the charts' swap and their
    # settle, as a busy machine can make happen by chance.
    page.evaluate("htmx.config.defaultSettleDelay = 3000")

    page.get_by_role("link", name="7 days", exact=True).click()
    expect(page.locator("#charts-7d")).to_have_attribute("aria-current", "true")  # swapped
    page.evaluate(
        "htmx.ajax('GET', document.getElementById('log-table').getAttribute('hx-get'),"
        " {target: '#log-table', swap: 'outerHTML'})"
    )

    expect(page.locator("#announcer")).to_have_text("Showing the last 7 days.", timeout=30_000)
