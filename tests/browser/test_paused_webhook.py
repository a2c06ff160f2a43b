"""Issue 23 in the panel, in English and in Spanish, axe-clean: a receiver that keeps failing makes
its webhook failing (the banner says what is wrong), then paused (its own badge in the list, the
banner says why and what waits); the resume dialog asks what to do with what waited: deliver it
in its original order, or skip it (SKIPPED in the logs, filterable).

The engine runs in-process against a real loopback receiver (webhook_drain), with one attempt per
delivery: N failed deliveries are N requests. With PANEL_SCREENSHOTS=1 the English runs write
docs/screenshots/paused-banner.png and docs/screenshots/resume-dialog.png."""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from events.models import Task
from tests.browser.conftest import log_in
from tests.browser.test_i18n_a11y import axe
from tests.receiver import Receiver, Reply
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

TEXT = {
    "en": {
        "failing": "Deliveries to this webhook are failing",
        "failures_3": "The last 3 deliveries failed; the receiver answered HTTP 503.",
        "failures_5": "The last 5 deliveries failed; the receiver answered HTTP 503.",
        "paused_title": "This webhook is paused",
        "paused_why": "It was paused because its deliveries kept failing.",
        "waiting": "nothing is lost: 3 deliveries are waiting, in order.",
        "paused": "Paused",
        "failing_badge": "Failing",
        "dialog_waiting": "3 deliveries are waiting.",
        "deliver": "Deliver them, in their original order",
        "skip": "Skip them",
        "delivered_notice": "Webhook resumed. What waited is being delivered, in its original order.",
        "skipped_notice": "Webhook resumed. 3 deliveries that waited were skipped (SKIPPED in the logs).",
        "skipped": "SKIPPED",
        "success": "SUCCESS",
    },
    "es": {
        "failing": "Las entregas a este webhook están fallando",
        "failures_3": "Las últimas 3 entregas fallaron; el receptor respondió HTTP 503.",
        "failures_5": "Las últimas 5 entregas fallaron; el receptor respondió HTTP 503.",
        "paused_title": "Este webhook está en pausa",
        "paused_why": "Se pausó porque sus entregas fallaban una y otra vez.",
        "waiting": "no se pierde nada: 3 entregas esperan, en orden.",
        "paused": "En pausa",
        "failing_badge": "Con fallas",
        "dialog_waiting": "3 entregas esperan.",
        "deliver": "Entregarlos, en su orden original",
        "skip": "Omitirlos",
        "delivered_notice": "Webhook reanudado. Lo que esperaba se está entregando, en su orden original.",
        "skipped_notice": (
            "Webhook reanudado. Se omitieron 3 entregas que esperaban (OMITIDO en los registros)."
        ),
        "skipped": "OMITIDO",
        "success": "ÉXITO",
    },
}


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def policy(settings):
    """One attempt per delivery; failing after 3 failed deliveries, paused after 5 (no minimum
    time: the run is seconds long here)."""
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_RETRY_DELAY = 0
    settings.WEBHOOK_FAILING_AFTER = 3
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 5
    settings.WEBHOOK_PAUSE_AFTER_MINUTES = 0
    return settings


@pytest.fixture
def signed_in(request, staff):
    """The English or the Spanish browser, signed in as company A's staff member."""

    def sign_in(lang: str):
        page = request.getfixturevalue("page" if lang == "en" else "page_es")
        log_in(page, staff)
        return page

    return sign_in


@pytest.fixture
def webhook(company_a, workflow_a, receiver) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Work Orders", code="work_orders", url=receiver.url("/hook"),
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


def tasks(workflow, count: int, start: int = 0) -> list[str]:
    return [
        Task.objects.create(company=workflow.company, workflow=workflow, name=f"Order {n}").pk
        for n in range(start, start + count)
    ]


def fail(webhook: Webhook, receiver: Receiver, workflow, count: int) -> None:
    """`count` events that the receiver (down: 503) refuses, through the real engine."""
    receiver.script("/hook", then=Reply(503, b"down for maintenance"))
    tasks(workflow, count)
    webhook_drain(webhook_id=webhook.pk)
    webhook.refresh_from_db()


def paused_with_backlog(webhook, receiver, workflow) -> list[str]:
    """Paused after 5 failed deliveries; then 3 events queue while it is: their task ids."""
    fail(webhook, receiver, workflow, 5)
    assert webhook.is_paused
    return tasks(workflow, 3, start=5)


def axe_clean(page, label: str) -> None:
    results: dict[str, list] = {}
    axe(page, label, results)
    assert results[label] == [], json.dumps(results, indent=1)


def out_dir(lang: str, tmp_path: Path) -> Path:
    return SCREENSHOTS if lang == "en" and os.environ.get("PANEL_SCREENSHOTS") == "1" else tmp_path


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_failing_webhook_shows_a_banner_that_says_what_is_wrong(
    lang, signed_in, policy, webhook, receiver, workflow_a
):
    text = TEXT[lang]
    fail(webhook, receiver, workflow_a, 3)
    assert (webhook.health_state, webhook.is_active) == ("failing", True)
    page = signed_in(lang)

    row = page.locator(f"tr[data-webhook='{webhook.pk}']")
    expect(row.locator(".badge-failing")).to_have_text(text["failing_badge"])
    expect(row).to_contain_text(text["failures_3"])
    axe_clean(page, "list with a failing webhook")

    page.goto(f"/webhooks/{webhook.pk}/")
    banner = page.locator("#health-failing")
    expect(banner).to_have_attribute("role", "status")
    expect(banner.locator("h2")).to_have_text(text["failing"])
    expect(banner.locator("#health-failures")).to_have_text(text["failures_3"])
    expect(banner.locator("#health-since time")).to_be_visible()
    axe_clean(page, "settings with the failing banner")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_resume_from_the_list_after_a_test_event_delivers_what_waited_in_order(
    lang, signed_in, policy, webhook, receiver, workflow_a, tmp_path
):
    text = TEXT[lang]
    waited = paused_with_backlog(webhook, receiver, workflow_a)
    page = signed_in(lang)

    # Listed without "Show disabled", as paused rather than disabled, with the way back.
    row = page.locator(f"tr[data-webhook='{webhook.pk}']")
    expect(row.locator(".badge-paused")).to_have_text(text["paused"])
    expect(row.locator(".badge-muted")).to_have_count(0)
    axe_clean(page, "list with a paused webhook")

    row.locator(f"#resume-{webhook.pk}").click()
    dialog = page.locator("dialog#resume-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#resume-title")).to_be_focused()
    expect(dialog.locator("#resume-waiting")).to_have_text(text["dialog_waiting"])
    expect(dialog.get_by_label(text["deliver"])).to_be_checked()
    expect(dialog.get_by_label(text["skip"])).not_to_be_checked()
    if lang == "en":
        page.screenshot(path=str(out_dir(lang, tmp_path) / "resume-dialog.png"))

    # The receiver is back: a test event says so, in the dialog, and the queue is left as it is.
    receiver.script("/hook", then=Reply(200))
    dialog.locator("#resume-send-test").click()
    expect(dialog.locator("#resume-test .badge-success")).to_have_text(text["success"])
    assert not Webhook.objects.get(pk=webhook.pk).is_active
    axe_clean(page, "resume dialog")

    dialog.locator("#resume-submit").click()

    page.wait_for_url("**/webhooks/")
    expect(page.locator(".messages .notice")).to_have_text(text["delivered_notice"])
    expect(row.locator(".badge-paused")).to_have_count(0)
    queued = Delivery.objects.filter(webhook=webhook, state="pending").order_by("id")
    assert [d.event.subject_id for d in queued.select_related("event")] == waited
    assert webhook_drain(webhook_id=webhook.pk) == 3
    bodies = [json.loads(r.body) for r in receiver.on("/hook")]
    sent = [body["data"]["_id"] for body in bodies if body["event"] != "test"]
    assert sent[-3:] == waited  # after the 5 refused ones, each that waited once, in order


@pytest.mark.parametrize("lang", ["en", "es"])
def test_resume_from_the_settings_page_can_skip_what_waited(
    lang, signed_in, policy, webhook, receiver, workflow_a, tmp_path
):
    text = TEXT[lang]
    paused_with_backlog(webhook, receiver, workflow_a)
    # Nothing is sent to it again here: the URL an administrator would see (the screenshot's).
    Webhook.objects.filter(pk=webhook.pk).update(url="https://erp.example.com/work-orders")
    page = signed_in(lang)

    page.goto(f"/webhooks/{webhook.pk}/")
    banner = page.locator("#health-paused")
    expect(banner).to_have_attribute("role", "alert")
    expect(banner.locator("h2")).to_have_text(text["paused_title"])
    expect(banner.locator("#health-reason")).to_have_text(text["paused_why"])
    expect(banner.locator("#health-failures")).to_have_text(text["failures_5"])
    expect(banner.locator("#health-waiting")).to_contain_text(text["waiting"])
    expect(page.locator("#webhook-status")).to_have_text(text["paused"])
    axe_clean(page, "settings with the paused banner")
    if lang == "en":
        page.screenshot(path=str(out_dir(lang, tmp_path) / "paused-banner.png"))

    banner.locator("#health-resume").click()
    dialog = page.locator("dialog#resume-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label(text["skip"]).check()
    dialog.locator("#resume-submit").click()

    page.wait_for_url(f"**/webhooks/{webhook.pk}/")
    expect(page.locator(".messages .notice")).to_have_text(text["skipped_notice"])
    expect(page.locator("#health-paused")).to_have_count(0)
    assert Delivery.objects.filter(webhook=webhook, state="skipped").count() == 3
    assert not Delivery.objects.filter(webhook=webhook, state="pending").exists()

    # SKIPPED in the logs, and a filter of its own.
    page.select_option("#logs-result", "skipped")
    page.click("#log-filters-apply")
    rows = page.locator("#logs tbody tr[data-delivery]")
    expect(rows).to_have_count(3)
    for badge in rows.locator(".badge").all():
        expect(badge).to_have_text(text["skipped"])
    axe_clean(page, "logs filtered to SKIPPED")
