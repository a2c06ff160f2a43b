"""Language and accessibility of the panel in a real browser.

- a Spanish browser (es-CL) walks list -> create -> save -> logs in Spanish, and
  the language switch changes to English and keeps it across page loads;
- keyboard only: create a webhook, deactivate it, open and close a log;
- what HTMX swaps change is announced in the polite live region;
- axe-core (vendored, tests/browser/vendor) finds no serious or critical
  violation on the list, the settings panel and the open Logs panel.
"""

import json
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from events.models import Task
from tests.browser.conftest import PASSWORD, log_in
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


@pytest.fixture
def receiver(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})
    return httpserver


def announced(page):
    return expect(page.locator("#announcer"))


# --- Spanish ------------------------------------------------------------------------


def test_spanish_walkthrough_and_language_switch(page_es, staff, company_a, workflow_a, receiver):
    page = page_es
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_have_text("Cotalker Webhooks")
    expect(page.locator("label[for=id_password]")).to_have_text("Contraseña")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", "incorrecta")
    page.click("button:text('Iniciar sesión')")
    expect(page.locator(".form-errors")).to_contain_text(
        "Ingrese un correo electrónico y una contraseña correctos"
    )
    page.fill("#id_password", PASSWORD)
    page.click("button:text('Iniciar sesión')")
    page.wait_for_url("**/webhooks/")

    # The list.
    Webhook.objects.create(
        company=company_a,
        name="Usuarios",
        code="usuarios",
        url="https://erp.ejemplo.cl/u",
        trigger=Trigger.USER,
    )
    page.reload()
    head = page.locator("#webhooks-panel thead")
    for label in ("Nombre", "Disparador", "URL", "Salud (24 h)", "Editar"):
        expect(head).to_contain_text(label)
    expect(page.locator("td.trigger")).to_have_text("Crear/Editar/Eliminar usuario")  # its label
    expect(page.locator("#bulk-deactivate")).to_have_text("Desactivar seleccionados")
    expect(page.locator("nav.sidebar")).to_contain_text("AUTOMATIZACIONES")

    # Create: Spanish labels and validation errors.
    page.click("a[aria-label='Crear webhook']")
    page.wait_for_url("**/webhooks/new/")
    expect(page.locator("h1")).to_have_text("Crear webhook")
    expect(page.locator("label[for=id_name]")).to_contain_text("Nombre")
    expect(page.locator("label[for=id_trigger]")).to_contain_text("Disparador")
    expect(page.locator("#id_trigger option:checked")).to_have_text("Crear/Editar/Eliminar usuario")
    page.fill("#id_name", "Órdenes de Trabajo")
    expect(page.locator("#id_code")).to_have_value("ordenes_de_trabajo")
    page.fill("#id_url", "no es una url")
    page.select_option("#id_trigger", Trigger.TASK)
    expect(page.locator("label[for=id_workflow]")).to_contain_text("Flujo de trabajo")
    page.click("#save")
    general = page.locator("#general")
    expect(general).to_contain_text("Corrija los errores indicados más abajo.")
    expect(general).to_contain_text("Ingrese una URL válida.")
    expect(general).to_contain_text("Este disparador requiere un flujo de trabajo.")
    expect(page.locator("#id_url")).to_be_focused()  # the first field with an error
    expect(page.locator("#id_url")).to_have_attribute("aria-invalid", "true")

    # Save.
    page.fill("#id_url", receiver.url_for("/hook"))
    page.select_option("#id_workflow", workflow_a.pk)
    page.click("#save")
    page.wait_for_url(re.compile(r"/webhooks/[0-9a-f]{24}/$"))
    webhook = Webhook.objects.get(code="ordenes_de_trabajo")
    assert page.url.endswith(f"/webhooks/{webhook.pk}/")
    # The receiver is on localhost: the warning follows the saved message (test_panel_spanish.py).
    expect(page.locator(".messages .notice").first).to_have_text("Webhook creado.")
    announced(page).to_contain_text("Webhook creado.")
    expect(page.locator("h1")).to_have_text("Editar webhook")
    expect(page.locator("#webhook-status")).to_have_text("Activo")
    page.fill("#id_description", "Órdenes al ERP")
    page.click("#save")
    expect(page.locator(".messages .notice").first).to_have_text("Guardado.")

    # Logs: Spanish headers, badges and dates.
    Task.objects.create(company=company_a, workflow=workflow_a, name="Cambiar bomba 2-C")
    webhook_drain(webhook_id=webhook.pk)
    rows = page.locator("#logs tbody tr[data-delivery]")
    expect(rows).to_have_count(1, timeout=30_000)
    for label in ("Resultado", "Fecha de ejecución", "Estado", "Tipo", "Registros"):
        expect(page.locator("#logs thead")).to_contain_text(label)
    expect(rows.first.locator(".badge")).to_have_text("ÉXITO")
    expect(rows.first).to_contain_text("Evento")
    delivery = Delivery.objects.get(webhook=webhook)
    with translation.override("es"):
        shown = date_format(delivery.created_at, "d/m/Y H:i:s")
    expect(rows.first.locator("time")).to_have_text(f"{shown} UTC")  # the browser's zone, named
    full = delivery.created_at.isoformat(timespec="milliseconds")
    expect(rows.first.locator("time")).to_have_attribute("title", full)

    # The Logs panel in Spanish.
    rows.first.locator("a:text('Registros')").click()
    dialog = page.locator("dialog#log-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Fecha de ejecución")
    expect(dialog.locator("h3").first).to_have_text("Disparador")
    expect(dialog.locator("#log-event")).to_contain_text('"name": "Cambiar bomba 2-C"')  # JSON untouched
    dialog.locator(".pane-head:has-text('Disparador') button").click()
    expect(dialog.locator(".pane-head:has-text('Disparador') button")).to_have_text("Copiado")
    dialog.locator("button:text('Cerrar')").click()
    expect(dialog).to_be_hidden()

    # Switch to English: remembered across page loads (a cookie), whatever the browser asks for.
    page.click("form[data-language-switch] button[lang=en]")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith(f"/webhooks/{webhook.pk}/")
    expect(page.locator("h1")).to_have_text("Edit webhook")
    expect(rows.first.locator(".badge")).to_have_text("SUCCESS")
    with translation.override("en"):
        english = date_format(delivery.created_at, "m/d/y - H:i:s")
    expect(rows.first.locator("time")).to_have_text(f"{english} UTC")
    page.goto("/webhooks/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#webhooks-panel thead")).to_contain_text("Name")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["django_language"] == "en"
    expect(page.locator("form[data-language-switch] button[lang=en]")).to_have_attribute(
        "aria-current", "true"
    )
    # And back.
    page.click("form[data-language-switch] button[lang=es]")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#webhooks-panel thead")).to_contain_text("Nombre")


def test_language_switch_keeps_an_address_pushed_by_htmx(page_es, staff, company_a):
    for number in range(12):
        Webhook.objects.create(
            company=company_a, name=f"W{number:02}", code=f"w{number:02}", url="https://a.cl/"
        )
    page = page_es
    log_in(page, staff)
    page.click("#webhooks-page-next")
    page.wait_for_url("**/webhooks/?page=2")
    page.click("form[data-language-switch] button[lang=en]")
    page.wait_for_url("**/webhooks/?page=2")
    expect(page.locator(".pager")).to_contain_text("11 – 12 of 12")


# --- keyboard only --------------------------------------------------------------------


def tab_to(page, selector: str, *, limit: int = 80, shift: bool = False) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab")


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
                  return {id: e.id, tag: e.tagName, text: e.textContent.trim(),
                          outline: s.outlineStyle, outlineWidth: s.outlineWidth,
                          inDialog: Boolean(e.closest('dialog'))}; }"""
    )


def test_keyboard_only_create_deactivate_and_logs(page, staff, company_a, receiver):
    # Sign in: the email field has the focus.
    page.goto("/login/")
    page.keyboard.type(staff.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/webhooks/")

    # The skip link comes first and is visible when focused.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    expect(page.locator(".skip-link")).to_be_in_viewport()

    # + (Create webhook).
    tab_to(page, "#create-webhook")
    state = focused(page)
    assert state["outline"] != "none" and state["outlineWidth"] != "0px"  # visible focus
    page.keyboard.press("Enter")
    page.wait_for_url("**/webhooks/new/")

    tab_to(page, "#id_name")
    page.keyboard.type("Keyboard Orders")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_code"
    expect(page.locator("#id_code")).to_have_value("keyboard_orders")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_url"
    page.keyboard.type(receiver.url_for("/hook"))
    page.keyboard.press("Enter")  # submits the form (Save is its default button)
    page.wait_for_url(re.compile(r"/webhooks/[0-9a-f]{24}/$"))
    webhook = Webhook.objects.get(code="keyboard_orders")
    assert page.url.endswith(f"/webhooks/{webhook.pk}/")
    assert webhook.trigger == Trigger.USER and webhook.url == receiver.url_for("/hook")

    # Deactivate from the keyboard: focus stays on the button, the change is announced.
    tab_to(page, "#toggle-active")
    page.keyboard.press("Enter")
    expect(page.locator("#webhook-status")).to_have_text("Disabled")
    announced(page).to_have_text("Webhook deactivated.")
    expect(page.locator("#toggle-active")).to_be_focused()
    expect(page.locator("#toggle-active")).to_have_text("Activate")
    page.keyboard.press("Enter")
    expect(page.locator("#webhook-status")).to_have_text("Active")

    # Send a test event, then open its log from the Logs table with Enter.
    tab_to(page, "#send-test")
    page.keyboard.press("Enter")
    expect(page.locator("#test-result .badge")).to_have_text("SUCCESS")
    announced(page).to_have_text("Test event sent: 200 (SUCCESS).")
    delivery = Delivery.objects.get(webhook=webhook)
    opener = f"#log-open-{delivery.object_id}"
    tab_to(page, opener)
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#log-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#log-title")).to_be_focused()  # focus moved into the dialog
    # Tab stays inside the modal dialog.
    for _ in range(8):
        page.keyboard.press("Tab")
        assert focused(page)["inDialog"] or focused(page)["tag"] == "BODY"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator(opener)).to_be_focused()  # focus back on the opener

    # Again, closing with the Close button (Enter) this time.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_to(page, "dialog form[method=dialog] button")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator(opener)).to_be_focused()


def test_focus_survives_the_live_refresh_of_the_logs(page, staff, company_a, workflow_a, receiver):
    webhook = Webhook.objects.create(
        company=company_a,
        name="Live",
        code="live",
        url=receiver.url_for("/hook"),
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )
    Task.objects.create(company=company_a, workflow=workflow_a, name="Uno")
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")
    delivery = Delivery.objects.get(webhook=webhook)
    opener = page.locator(f"#log-open-{delivery.object_id}")
    opener.focus()
    expect(page.locator("#logs tbody tr .badge")).to_have_text("PENDING")
    webhook_drain(webhook_id=webhook.pk)  # the 2 s poll re-renders the table
    expect(page.locator("#logs tbody tr .badge")).to_have_text("SUCCESS", timeout=30_000)
    expect(opener).to_be_focused()


# --- live announcements ---------------------------------------------------------------------


def test_htmx_changes_are_announced(page, staff, company_a, receiver):
    for name in ("Alpha", "Bravo", "Charlie"):
        Webhook.objects.create(company=company_a, name=name, code=name.lower(), url=receiver.url_for("/hook"))
    log_in(page, staff)
    region = page.locator("#announcer")
    expect(region).to_have_attribute("aria-live", "polite")
    page.check("input[aria-label='Select Alpha']")
    page.check("input[aria-label='Select Bravo']")
    page.once("dialog", lambda dialog: dialog.accept())  # "Deactivate the selected webhooks?"
    page.click("#bulk-deactivate")
    announced(page).to_have_text("2 webhooks deactivated.")
    expect(page.locator("#bulk-deactivate")).to_be_focused()

    webhook = Webhook.objects.get(code="charlie")
    page.goto(f"/webhooks/{webhook.pk}/")
    page.click("#secret-toggle")
    announced(page).to_have_text("Secret shown.")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#secret-rotate")
    announced(page).to_have_text("Secret rotated.")
    page.click("#send-test")
    announced(page).to_have_text("Test event sent: 200 (SUCCESS).")
    delivery = Delivery.objects.get(webhook=webhook)
    page.click(f"#log-redeliver-{delivery.object_id}")
    announced(page).to_have_text("Redelivery queued.")


def test_an_action_right_after_load_is_not_overwritten_by_the_pages_older_message(
    page, staff, company_a, receiver
):
    # The page reads its flash messages out 400 ms after load. The browser clock is held
    # still, so the action below surely happens inside that pause, on any machine.
    page.clock.install()
    log_in(page, staff)
    page.goto("/webhooks/new/")
    page.fill("#id_name", "Race")
    page.fill("#id_url", receiver.url_for("/hook"))
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    page.click("#save")
    page.wait_for_url(re.compile(r"/webhooks/[0-9a-f]{24}/$"))
    expect(page.locator(".messages")).to_contain_text("Webhook created.")

    with page.expect_response(lambda response: response.request.method == "POST"):
        page.click("#toggle-active")
    # The swap needs no timer, so it is awaited first; the response's arrival alone does not
    # mean the page has swapped it in, and its settle must be scheduled before the clock runs.
    expect(page.locator("#webhook-status")).to_have_text("Disabled")
    page.clock.run_for(2000)  # HTMX settles, then the page's 400 ms timer fires
    announced(page).to_have_text("Webhook deactivated.")
    assert page.evaluate("document.getElementById('announcer').textContent") == "Webhook deactivated."


# --- axe-core ----------------------------------------------------------------------------------


def axe(page, label: str, results: dict) -> list[dict]:
    """Run axe-core on the page; keep every violation for the report, return the blocking ones."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    outcome = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in outcome["violations"]
    ]
    results[label] = violations
    return [v for v in violations if v["impact"] in BLOCKING]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axe_no_serious_or_critical_violations(
    request, lang, staff, company_a, workflow_a, receiver, tmp_path
):
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    results: dict[str, list] = {}
    page.goto("/login/")
    blocking = {"login": axe(page, "login", results)}
    log_in(page, staff)
    webhook = Webhook.objects.create(
        company=company_a,
        name="Work Orders",
        code="work_orders",
        url=receiver.url_for("/hook"),
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )
    Webhook.objects.create(
        company=company_a, name="Users", code="users", url="https://a.example/", is_active=False
    )
    for number in range(2):
        Task.objects.create(company=company_a, workflow=workflow_a, name=f"Order {number}")
    webhook_drain(webhook_id=webhook.pk)
    Delivery.objects.create(
        company=company_a,
        webhook=webhook,
        event=Delivery.objects.first().event,
        state="failed",
        status_code=409,
        attempts=3,
    )

    page.goto("/webhooks/?disabled=1")
    blocking["list"] = axe(page, "list", results)
    page.goto("/webhooks/new/")
    page.click("#save")  # with errors shown
    expect(page.locator(".errorlist").first).to_be_visible()
    blocking["create with errors"] = axe(page, "create with errors", results)
    page.goto(f"/webhooks/{webhook.pk}/")
    expect(page.locator("#logs tbody tr[data-delivery]")).to_have_count(3)
    blocking["settings"] = axe(page, "settings", results)
    page.locator("#logs tbody tr[data-delivery] a.btn").first.click()
    expect(page.locator("dialog#log-dialog")).to_be_visible()
    blocking["logs panel"] = axe(page, "logs panel", results)
    page.keyboard.press("Escape")
    page.goto("/security/api-token/")
    page.fill("#id_name", "axe")
    page.click("#token-create")
    expect(page.locator("#token-value")).to_be_visible()  # the list, the shown token and the form
    blocking["api tokens"] = axe(page, "api tokens", results)
    page.goto("/preferences/time-zone/")
    blocking["time zone"] = axe(page, "time zone", results)
    page.goto(f"/webhooks/{webhook.pk}/logs/redeliver-failed/")
    page.click("#recovery-count")
    expect(page.locator("#recovery-count-result")).to_be_visible()
    blocking["redeliver failed"] = axe(page, "redeliver failed", results)
    page.click("nav.sidebar a[href='/api/docs/']")  # the panel's link to the API docs page
    expect(page.locator("html")).to_have_attribute("lang", lang)
    blocking["api docs"] = axe(page, "api docs", results)

    print(f"\naxe-core results ({lang}):", json.dumps(results, indent=1))
    assert {name: found for name, found in blocking.items() if found} == {}

    # The check is not vacuous: a button without a name is reported.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')")
    assert [v["id"] for v in axe(page, "broken", results)] == ["button-name"]
