"""The Logs table's filters in a real browser, in English and Spanish: by result and by the
id of the object the event is about, kept in the address (shareable, reloadable), kept by
the live refresh, a bad filter shown as a form error; axe-core finds nothing to report."""

import json

import pytest
from playwright.sync_api import expect

from events.models import Task
from tests.browser.conftest import log_in
from tests.browser.test_i18n_a11y import axe
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "failed": "FAILED",
        "bad id": "Enter a 24-character lowercase hexadecimal id.",
        "none": "No logs match",
    },
    "es": {
        "failed": "FALLIDO",
        "bad id": "Ingrese un id hexadecimal en minúsculas de 24 caracteres.",
        "none": "Ningún registro",
    },
}


@pytest.fixture
def receiver(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})
    return httpserver


def rows(page):
    return page.locator("#logs tbody tr[data-delivery]")


def checked(page, label: str, results: dict) -> list[dict]:
    """axe-core once no HTMX request is in flight (a button dims while its request runs)."""
    expect(page.locator(".htmx-request")).to_have_count(0)
    return axe(page, label, results)


def mark_page(page) -> None:
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__notReloaded === true")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_filter_the_logs_by_result_and_by_object_id(request, lang, staff, company_a, workflow_a, receiver):
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    text = TEXT[lang]
    results: dict[str, list] = {}
    webhook = Webhook.objects.create(
        company=company_a,
        name="Work Orders",
        code="work_orders",
        url=receiver.url_for("/hook"),
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )
    pump = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    valve = Task.objects.create(company=company_a, workflow=workflow_a, name="Valve")
    webhook_drain(webhook_id=webhook.pk)
    pump_event = Delivery.objects.get(event__subject_id=pump.pk).event
    failed = Delivery.objects.create(
        company=company_a, webhook=webhook, event=pump_event, state="failed", status_code=409, attempts=3
    )
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")
    expect(rows(page)).to_have_count(3)
    mark_page(page)

    # By result: the table is swapped in place and the address says what it shows.
    page.select_option("#logs-result", "failed")
    page.click("#log-filters-apply")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-delivery", failed.object_id)
    expect(rows(page).first.locator(".badge")).to_have_text(text["failed"])
    assert page.url.endswith(f"/webhooks/{webhook.pk}/logs/?result=failed")
    assert_not_reloaded(page)
    results_blocking = {"filtered by result": checked(page, "filtered by result", results)}

    # The address is the filtered view: a reload (or a shared link) shows the same.
    page.reload()
    expect(page.locator("#logs-result")).to_have_value("failed")
    expect(rows(page)).to_have_count(1)
    mark_page(page)

    # Clear, then search by the id of the object the event is about.
    page.click("#log-filters-clear")
    expect(rows(page)).to_have_count(3)
    page.fill("#logs-objectId", valve.pk)
    page.press("#logs-objectId", "Enter")
    expect(rows(page)).to_have_count(1)
    valve_delivery = Delivery.objects.get(event__subject_id=valve.pk)
    expect(rows(page).first).to_have_attribute("data-delivery", valve_delivery.object_id)
    assert page.url.endswith(f"/logs/?objectId={valve.pk}")
    results_blocking["filtered by object id"] = checked(page, "filtered by object id", results)

    # The live refresh keeps the filter: an edit of the valve appears, one of the pump does not.
    pump.name = "Pump 2"
    pump.save()
    valve.name = "Valve 2"
    valve.save()
    expect(rows(page)).to_have_count(2, timeout=30_000)
    valve_edit = Delivery.objects.filter(event__subject_id=valve.pk).order_by("-id").first()
    expect(rows(page).first).to_have_attribute("data-delivery", valve_edit.object_id)
    assert_not_reloaded(page)

    # A malformed id is a form error next to its field, not a failure.
    page.fill("#logs-objectId", "not-an-id")
    page.click("#log-filters-apply")
    expect(page.locator("#log-filters .errorlist")).to_have_text(text["bad id"])
    expect(page.locator("#logs-objectId")).to_have_attribute("aria-invalid", "true")
    expect(rows(page)).to_have_count(0)
    results_blocking["bad filter"] = checked(page, "bad filter", results)

    # A filter that matches nothing says so.
    page.fill("#logs-objectId", "0" * 24)
    page.click("#log-filters-apply")
    expect(page.locator("#logs tbody td.empty")).to_contain_text(text["none"])

    print(f"\naxe-core results ({lang}):", json.dumps(results, indent=1))
    assert {name: found for name, found in results_blocking.items() if found} == {}
    assert {name: found for name, found in results.items() if found} == {}  # not even minor ones
