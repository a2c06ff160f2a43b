"""The panel works under its Content-Security-Policy, with no violation reported (docs/security.md)."""

import pytest
from playwright.sync_api import expect

from events.models import Task
from tests.browser.conftest import log_in, new_page
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


@pytest.fixture
def strict_page(browser, live_server):
    page = new_page(browser, live_server, locale="en-US", accept_language="en-US,en;q=0.9", bypass_csp=False)
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.console_messages = console
    yield page
    page.context.close()


def violations(page) -> list[str]:
    reported = page.evaluate("window.__csp || []")
    logged = [text for text in page.console_messages if "Content Security Policy" in text]
    return reported + logged


def test_the_panel_works_under_its_csp_with_no_violation(
    strict_page, staff, company_a, workflow_a, httpserver
):
    page = strict_page
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})
    response = page.goto("/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    log_in(page, staff)

    # Create a webhook through the form (the trigger's context fields come in by htmx).
    page.click("a[aria-label='Create webhook']")
    page.fill("#id_name", "Orders under CSP")
    page.fill("#id_url", httpserver.url_for("/hook"))
    page.select_option("#id_trigger", Trigger.TASK)
    page.select_option("#id_workflow", workflow_a.pk)
    page.click("button:text('Save')")
    expect(page.locator("h1")).to_have_text("Edit webhook")
    webhook = Webhook.objects.get(name="Orders under CSP")
    assert webhook.workflow_id == workflow_a.pk

    # A delivery appears live; its log opens in the dialog; Redeliver there closes the dialog.
    Task.objects.create(company=company_a, workflow=workflow_a, name="Pump 7")
    webhook_drain(webhook_id=webhook.pk)
    rows = page.locator("#logs tbody tr[data-delivery]")
    expect(rows).to_have_count(1, timeout=30_000)
    rows.first.locator("a:text('Logs')").click()
    dialog = page.locator("dialog#log-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button:text('Redeliver')").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(2)
    assert Delivery.objects.filter(webhook=webhook).count() == 2

    # Send a test event, reveal the secret, open the token page, switch the language.
    page.click("button:text('Send test event')")
    expect(page.locator("#test-result .badge")).to_have_text("SUCCESS")
    page.click("#secret a:text('Reveal')")
    expect(page.locator("#secret-value")).to_have_text(webhook.secret)
    page.fill("#headers input[name=header_name_0]", "Authorization")
    page.fill("#headers input[name=header_value_0]", "Bearer receiver-credential")
    page.click("#save")
    expect(page.locator("#headers input[name=header_remove_0]")).to_be_attached()
    assert webhook.__class__.objects.get(pk=webhook.pk).header_names() == ["Authorization"]
    page.click("nav a:text('API tokens')")
    page.fill("#id_name", "CSP check")
    page.click("#token-create")
    expect(page.locator("#token-value")).to_be_visible()
    page.click("form[data-language-switch] button[lang=es]")
    expect(page.locator("html")).to_have_attribute("lang", "es")

    assert violations(page) == []
    # The recorder works: an inline script is refused and reported.
    page.evaluate("document.body.appendChild(document.createElement('script')).textContent = 'window.x = 1'")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.x") is None
    assert violations(page)[0].startswith("script-src")
