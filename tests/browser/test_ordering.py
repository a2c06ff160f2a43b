"""The order of deliveries in a real browser, in English and Spanish: an administrator switches a
webhook to the order per object with 8 deliveries in flight, from the keyboard, saves, reloads and
sees it; a number outside 1-16 is an error next to the field; axe-core finds nothing to report."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_i18n_a11y import axe
from webhooks.models import Ordering, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "saved": "Saved.",
        "legend": "Order of deliveries",
        "in flight": "Deliveries in flight at once",
        "error": "Enter a whole number from 1 to 16.",
    },
    "es": {
        "saved": "Guardado.",
        "legend": "Orden de las entregas",
        "in flight": "Entregas en curso a la vez",
        "error": "Ingrese un número entero de 1 a 16.",
    },
}
IN_FLIGHT = "#id_max_in_flight"


def stored(webhook: Webhook) -> tuple[str, int]:
    webhook.refresh_from_db()
    return webhook.ordering, webhook.max_in_flight


def checked(page, label: str, results: dict) -> list[dict]:
    expect(page.locator(".htmx-request")).to_have_count(0)
    return axe(page, label, results)


def type_in_flight(page, value: str) -> None:
    """Replace the number from the keyboard, as a person would."""
    page.focus(IN_FLIGHT)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    page.keyboard.type(value)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_an_administrator_switches_a_webhook_to_the_order_per_object(
    request, lang, staff, company_a, workflow_a
):
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    text = TEXT[lang]
    results: dict[str, list] = {}
    webhook = Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://www.server.com/hook",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")

    # In the webhook's order the number does not matter: it is out of the way.
    ordering = page.locator("#ordering")
    expect(ordering.locator("legend")).to_have_text(text["legend"])
    expect(page.locator("input[name=ordering][value=webhook]")).to_be_checked()
    expect(page.locator("#in-flight")).to_be_hidden()
    blocking = {"settings, webhook order": checked(page, "settings, webhook order", results)}

    # From the keyboard: the arrow key moves to the order per object, which shows the number.
    page.focus("input[name=ordering][value=webhook]")
    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name=ordering][value=object]")).to_be_checked()
    expect(page.locator("input[name=ordering][value=object]")).to_be_focused()
    expect(page.locator("#in-flight")).to_be_visible()
    expect(page.get_by_label(text["in flight"])).to_have_value("4")
    type_in_flight(page, "8")
    page.keyboard.press("Enter")  # Enter in a field saves the form
    expect(page.locator(".notice, [role=status]").filter(has_text=text["saved"]).first).to_be_attached()
    assert stored(webhook) == (Ordering.OBJECT, 8)

    page.reload()
    expect(page.locator("input[name=ordering][value=object]")).to_be_checked()
    expect(page.locator("#in-flight")).to_be_visible()
    expect(page.locator(IN_FLIGHT)).to_have_value("8")
    blocking["settings, object order"] = checked(page, "settings, object order", results)

    # 17 typed: an error next to the field, which gets the focus; nothing is saved.
    type_in_flight(page, "17")
    page.keyboard.press("Enter")
    error = page.locator("#id_max_in_flight_error")
    expect(error).to_have_text(text["error"])
    expect(page.locator(IN_FLIGHT)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(IN_FLIGHT)).to_be_focused()
    expect(page.locator(IN_FLIGHT)).to_have_value("17")
    assert stored(webhook) == (Ordering.OBJECT, 8)
    blocking["settings, 17"] = checked(page, "settings, 17", results)

    # 0, saved with the button, in the webhook's order: the error still shows, with its field.
    type_in_flight(page, "0")
    page.check("input[name=ordering][value=webhook]")
    expect(page.locator("#in-flight")).to_be_visible()  # it has an error: never hidden
    page.click("#save")
    expect(error).to_have_text(text["error"])
    expect(page.locator(IN_FLIGHT)).to_have_value("0")
    expect(page.locator("input[name=ordering][value=webhook]")).to_be_checked()
    expect(page.locator("#in-flight")).to_be_visible()
    assert stored(webhook) == (Ordering.OBJECT, 8)
    blocking["settings, 0"] = checked(page, "settings, 0", results)

    # Corrected: back to the webhook's order, saved, and the number is out of the way again.
    type_in_flight(page, "8")
    page.click("#save")
    expect(page.locator(".notice, [role=status]").filter(has_text=text["saved"]).first).to_be_attached()
    expect(page.locator("#in-flight")).to_be_hidden()
    assert stored(webhook) == (Ordering.WEBHOOK, 8)

    print(f"\naxe-core results ({lang}):", json.dumps(results, indent=1))
    assert {name: found for name, found in blocking.items() if found} == {}
    assert {name: found for name, found in results.items() if found} == {}  # not even minor ones
