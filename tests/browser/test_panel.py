"""The panel in a real browser: create, errors, context fields, activation, bulk actions, live logs."""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.models import Task
from webhooks import stats
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Event, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def mark_page(page) -> None:
    """Tag the window; the tag survives HTMX swaps but not a page load."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


def test_login_and_navigation(page, staff):
    page.goto("/")
    page.wait_for_url("**/login/?next=/webhooks/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", "wrong-password")
    page.click("button:text('Log in')")
    expect(page.locator(".form-errors")).to_contain_text("Please enter a correct")
    page.fill("#id_password", "pw-browser-admin-1")
    page.click("button:text('Log in')")
    page.wait_for_url("**/webhooks/")
    nav = page.locator("nav.sidebar")
    expect(nav).to_contain_text("Administrator")
    expect(nav).to_contain_text("AUTOMATIONS")
    expect(nav.locator("a[aria-current=page]")).to_have_text("Webhooks")
    expect(page.locator("a:text('Django admin')").first).to_have_attribute("href", "/admin/")
    page.click("button:text('Log out')")
    page.wait_for_url("**/login/")


def test_create_with_code_suggestion_errors_and_context_fields(
    panel, company_a, workflow_a, survey_a, group_a
):
    page = panel
    Webhook.objects.create(company=company_a, name="Taken", code="taken", url="https://a.example/")
    page.click("a[aria-label='Create webhook']")
    page.wait_for_url("**/webhooks/new/")
    mark_page(page)

    page.fill("#id_name", "Órdenes de Trabajo 2-C")
    expect(page.locator("#id_code")).to_have_value("ordenes_de_trabajo_2c")
    page.fill("#id_url", "https://hooks.example.com/orders")
    page.fill("#id_description", "Work orders to the ERP")

    # Context fields follow the trigger, without a page load.
    expect(page.locator("#id_workflow")).to_have_count(0)
    page.select_option("#id_trigger", Trigger.TASK)
    expect(page.locator("#id_workflow")).to_be_visible()
    expect(page.locator("#id_survey")).to_have_count(0)
    page.select_option("#id_trigger", Trigger.SURVEY)
    expect(page.locator("#id_survey")).to_be_visible()
    expect(page.locator("#id_group")).to_be_visible()
    expect(page.locator("#id_workflow")).to_have_count(0)
    assert_not_reloaded(page)

    # A survey trigger without survey and group.
    page.click("button:text('Save')")
    expect(page.locator("#general")).to_contain_text("A survey is required")
    expect(page.locator("#general")).to_contain_text("A group is required")
    expect(page.locator("#id_name")).to_have_value("Órdenes de Trabajo 2-C")
    expect(page.locator("#id_url")).to_have_value("https://hooks.example.com/orders")
    expect(page.locator("#id_description")).to_have_value("Work orders to the ERP")

    # An upper-case code.
    page.select_option("#id_trigger", Trigger.USER)
    page.fill("#id_code", "Ordenes_2C")
    page.click("button:text('Save')")
    expect(page.locator("#general")).to_contain_text("lowercase letters, digits or underscores")
    expect(page.locator("#id_code")).to_have_value("Ordenes_2C")
    expect(page.locator("#id_url")).to_have_value("https://hooks.example.com/orders")

    # A duplicate code.
    page.fill("#id_code", "taken")
    page.click("button:text('Save')")
    expect(page.locator("#general")).to_contain_text("A webhook with this code already exists.")
    expect(page.locator("#id_name")).to_have_value("Órdenes de Trabajo 2-C")

    # A bad URL.
    page.fill("#id_code", "ordenes_de_trabajo_2c")
    page.fill("#id_url", "not a url")
    page.click("button:text('Save')")
    expect(page.locator("#general")).to_contain_text("Enter a valid URL.")
    expect(page.locator("#id_code")).to_have_value("ordenes_de_trabajo_2c")
    assert Webhook.objects.count() == 1

    # Valid: a task webhook.
    page.fill("#id_url", "https://hooks.example.com/orders")
    page.select_option("#id_trigger", Trigger.TASK)
    page.select_option("#id_workflow", workflow_a.pk)
    page.click("button:text('Save')")
    webhook = Webhook.objects.get(code="ordenes_de_trabajo_2c")
    page.wait_for_url(f"**/webhooks/{webhook.pk}/")
    expect(page.locator("#identifier")).to_have_value(webhook.pk)
    assert len(webhook.pk) == 24
    code = page.locator("#id_code")
    expect(code).to_have_value("ordenes_de_trabajo_2c")
    expect(code).to_be_disabled()
    assert webhook.workflow == workflow_a and webhook.trigger == Trigger.TASK

    # Editing keeps the code.
    page.fill("#id_name", "Órdenes de Trabajo")
    page.click("button:text('Save')")
    expect(page.locator("#id_name")).to_have_value("Órdenes de Trabajo")
    webhook.refresh_from_db()
    assert (webhook.name, webhook.code) == ("Órdenes de Trabajo", "ordenes_de_trabajo_2c")


def test_deactivate_and_activate(panel, company_a):
    page = panel
    webhook = Webhook.objects.create(
        company=company_a, name="Toggle me", code="toggle", url="https://a.example/"
    )
    page.goto(f"/webhooks/{webhook.pk}/")
    mark_page(page)
    page.click("button:text('Deactivate')")
    expect(page.locator("#webhook-status")).to_have_text("Disabled")
    webhook.refresh_from_db()
    assert not webhook.is_active
    page.click("button:text('Activate')")
    expect(page.locator("#webhook-status")).to_have_text("Active")
    webhook.refresh_from_db()
    assert webhook.is_active
    assert_not_reloaded(page)


def test_bulk_deactivate_and_show_disabled(panel, company_a):
    page = panel
    for name in ("Alpha", "Bravo", "Charlie"):
        Webhook.objects.create(company=company_a, name=name, code=name.lower(), url="https://a.example/")
    page.reload()
    mark_page(page)
    rows = page.locator("#webhooks-panel tbody tr")
    expect(rows).to_have_count(3)
    page.check("input[aria-label='Select Alpha']")
    page.check("input[aria-label='Select Charlie']")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click("button:text('Deactivate selected')")
    expect(page.locator(".notice")).to_have_text("2 webhooks deactivated.")
    assert questions[0].startswith("Deactivate the selected webhooks?")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bravo")
    assert set(Webhook.objects.filter(is_active=False).values_list("name", flat=True)) == {"Alpha", "Charlie"}

    page.click("summary[aria-label='More options']")
    page.click("a:text('Show disabled')")
    expect(rows).to_have_count(3)
    expect(page.locator("tr:has-text('Alpha') .badge")).to_contain_text("Disabled")
    assert page.url.endswith("?disabled=1")
    assert_not_reloaded(page)


@pytest.fixture
def receiver(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})
    return httpserver


@pytest.fixture
def task_webhook(company_a, workflow_a, receiver):
    return Webhook.objects.create(
        company=company_a,
        name="Work Orders Update",
        code="wo_update",
        url=receiver.url_for("/hook"),
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


def test_live_log_panel_copy_redeliver_and_send_test(panel, company_a, workflow_a, task_webhook, receiver):
    page = panel
    page.goto(f"/webhooks/{task_webhook.pk}/")
    mark_page(page)
    rows = page.locator("#logs tbody tr[data-delivery]")
    expect(rows).to_have_count(0)

    Task.objects.create(company=company_a, workflow=workflow_a, name="Replace pump 2-C")
    assert Delivery.objects.filter(webhook=task_webhook).count() == 1
    assert webhook_drain(webhook_id=task_webhook.pk) == 1

    expect(rows).to_have_count(1, timeout=30_000)
    expect(rows.first.locator(".badge")).to_have_text("SUCCESS", timeout=30_000)
    expect(rows.first.locator(".status")).to_have_text("200")
    assert_not_reloaded(page)

    # The Logs panel: the JSON sent and the response, with Copy.
    rows.first.locator("a:text('Logs')").click()
    dialog = page.locator("dialog#log-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#log-event")).to_contain_text('"name": "Replace pump 2-C"')
    expect(dialog.locator("#log-response")).to_contain_text('"received": true')
    dialog.locator(".pane-head:has-text('Trigger') button:text('Copy')").click()
    expect(dialog.locator(".pane-head:has-text('Trigger') button")).to_have_text("Copied")
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    delivery = Delivery.objects.select_related("event").get(webhook=task_webhook)
    assert copied == json.loads(delivery.event.body)
    assert copied["type"] == "COTTask" and copied["event"] == "create"
    sent = json.loads(receiver.log[0][0].get_data())
    assert sent == copied
    dialog.locator("button:text('Close')").click()
    expect(dialog).to_be_hidden()

    # Redeliver adds a row (queued; live-polled).
    rows.first.locator("button:text('Redeliver')").click()
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".badge")).to_have_text("PENDING")
    webhook_drain(webhook_id=task_webhook.pk)
    expect(rows.first.locator(".badge")).to_have_text("SUCCESS", timeout=30_000)

    # Send test event: synchronous, shows the response and adds a row.
    page.click("button:text('Send test event')")
    expect(page.locator("#test-result .badge")).to_have_text("SUCCESS")
    expect(page.locator("#test-response")).to_contain_text('"received": true')
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Test")
    assert_not_reloaded(page)


def test_secret_reveal_and_rotate(panel, task_webhook):
    page = panel
    page.goto(f"/webhooks/{task_webhook.pk}/")
    secret = page.locator("#secret-value")
    expect(secret).not_to_contain_text(task_webhook.secret)
    page.click("#secret a:text('Reveal')")
    expect(secret).to_have_text(task_webhook.secret)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#secret button:text('Rotate')")
    expect(page.locator("#secret .notice")).to_contain_text("Secret rotated")
    task_webhook.refresh_from_db()
    expect(secret).to_have_text(task_webhook.secret)


def test_api_token_page(panel, staff):
    import hashlib

    from webhooks.models import ApiToken

    page = panel
    page.click("nav a:text('API tokens')")
    expect(page.locator("#tokens")).to_contain_text("You have no token yet.")
    page.fill("#id_name", "Nightly export")
    page.select_option("#id_expires_in", "30")
    page.click("button:text('Create token')")
    expect(page.locator("#token-value")).to_be_visible()
    shown = page.locator("#token-value").inner_text()
    token = ApiToken.objects.get(user=staff)
    assert hashlib.sha512(shown.encode()).hexdigest() == token.digest
    expect(page.locator("#token-list")).to_contain_text("Nightly export")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#token-list button:text('Revoke')")
    expect(page.locator("#no-tokens")).to_be_visible()
    assert not ApiToken.objects.filter(user=staff).exists()


def test_screenshots(panel, company_a, workflow_a, task_webhook, receiver, tmp_path):
    """Screenshots of the list, the settings panel (also in Spanish) and an open Logs panel.

    Written to docs/screenshots when PANEL_SCREENSHOTS=1, else to a temporary directory.
    """
    out = SCREENSHOTS if os.environ.get("PANEL_SCREENSHOTS") == "1" else tmp_path
    page = panel
    samples = [
        ("User updates", "user_updates", Trigger.USER, "https://www.test001.com"),
        ("Submitted Notifications", "submitted_notifications", Trigger.NOTE, "https://www.test.com"),
        ("Element changes", "element_changes", Trigger.PROPERTY, "https://erp.example.com/elements"),
    ]
    for name, code, trigger, url in samples:
        Webhook.objects.create(company=company_a, name=name, code=code, url=url, trigger=trigger)
    for number in range(3):
        Task.objects.create(company=company_a, workflow=workflow_a, name=f"Work order #{number + 1}")
    webhook_drain(webhook_id=task_webhook.pk)
    # A failed, a retrying and a pending row, as a broken receiver would leave them.
    first = Delivery.objects.filter(webhook=task_webhook).earliest("id")
    for state, status, attempts in (("failed", 409, 3), ("pending", 503, 1), ("pending", None, 0)):
        event = first.event
        if state == "failed":  # an event of its own, which the receiver never got
            event = Event.objects.create(company=company_a, type="COTTask", action="edit", body=event.body)
        Delivery.objects.create(
            company=company_a,
            webhook=task_webhook,
            event=event,
            state=state,
            status_code=status,
            attempts=attempts,
            response="connect ETIMEDOUT 67.225.146.248:443" if status == 409 else "",
            next_attempt_at=timezone.now() + timedelta(hours=1),
        )
    page.reload()
    expect(page.locator("#webhooks-panel tbody tr")).to_have_count(4)
    page.screenshot(path=str(out / "list.png"), full_page=True)

    stats.deliveries_rollup()  # as the schedule does: the charts count every hour
    page.goto(f"/webhooks/{task_webhook.pk}/")
    expect(page.locator("#logs tbody tr[data-delivery]")).to_have_count(6)
    page.screenshot(path=str(out / "settings.png"), full_page=True)

    page.locator("#logs tbody tr[data-delivery]").nth(3).locator("a:text('Logs')").click()
    expect(page.locator("dialog#log-dialog")).to_be_visible()
    page.screenshot(path=str(out / "logs-panel.png"))
    assert (out / "logs-panel.png").stat().st_size > 10_000

    # The Logs filtered to the failed deliveries, and the bulk redelivery they lead to.
    page.keyboard.press("Escape")
    page.select_option("#logs-result", "failed")
    page.click("#log-filters-apply")
    expect(page.locator("#logs tbody tr[data-delivery]")).to_have_count(1)
    page.locator("#logs").screenshot(path=str(out / "logs-filtered.png"))
    page.click("#redeliver-failed")
    page.click("#recovery-count")
    expect(page.locator("#recovery-count-result")).to_have_text("1 failed delivery will be sent again.")
    page.screenshot(path=str(out / "redeliver-failed.png"), full_page=True)
    page.goto(f"/webhooks/{task_webhook.pk}/")

    # The same panel in Spanish (the language switch in the top bar).
    page.click("form[data-language-switch] button[lang=es]")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#logs tbody tr[data-delivery]")).to_have_count(6)
    page.screenshot(path=str(out / "settings-es.png"), full_page=True)


def test_a_long_name_without_spaces_wraps_inside_its_cell(panel, company_a, workflow_a):
    page = panel
    long_name = "W" * 200
    hook = Webhook.objects.create(
        company=company_a, name=long_name, code="long", url="https://hooks.example.com/" + "p" * 300,
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip

    for path in ("/webhooks/", f"/webhooks/{hook.pk}/"):
        page.goto(path)
        if path == "/webhooks/":
            expect(page.locator("#webhooks-panel")).to_contain_text(long_name)
        # The page is no wider than the window: nothing scrolls sideways.
        # Names the elements that overflow when it fails (inputs scroll inside themselves: not them).
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('body *:not(input)')]
                .filter(e => e.scrollWidth > window.innerWidth).map(e => e.tagName + '.' + e.className)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, overflowing)
