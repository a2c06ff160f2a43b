"""AUTOMATIONS -> Operational alerts in a real browser, in English and Spanish, axe-clean: a URL a
webhook could not have is an error on its field; a good one creates the operational webhook, whose
secret is revealed on demand."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_i18n_a11y import axe
from webhooks import alerts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"link": "Alerts", "saved": "Alerts URL saved.", "active": "Active"},
    "es": {"link": "Alertas", "saved": "URL de alertas guardada.", "active": "Activo"},
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_set_the_alerts_url_from_the_sidebar(request, lang, staff, company_a):
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    text = TEXT[lang]
    log_in(page, staff)
    page.click(f"nav.sidebar a:text-is('{text['link']}')")
    page.wait_for_url("**/alerts/")

    page.fill("#id_url", "ftp://ops.example.com/")
    page.click("#alerts-save")
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_url")).to_have_attribute("aria-invalid", "true")
    results: dict[str, list] = {}
    axe(page, "alerts with an error", results)

    page.fill("#id_url", "https://ops.example.com/alerts")
    page.click("#alerts-save")
    expect(page.locator(".messages .notice")).to_have_text(text["saved"])
    expect(page.locator("#alerts-status")).to_have_text(text["active"])
    webhook = alerts.alerts_webhook(company_id=company_a.pk)
    assert webhook.url == "https://ops.example.com/alerts"
    page.click("#secret-toggle")
    expect(page.locator("#secret-value")).to_have_text(webhook.secret)
    axe(page, "alerts set", results)
    assert results == {"alerts with an error": [], "alerts set": []}, json.dumps(results, indent=1)
