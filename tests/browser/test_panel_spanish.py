"""Issue 24: a Chilean administrator walks the panel in Spanish, the browser in America/Santiago.

The page here runs under the panel's Content-Security-Policy (no bypass) and keeps every console
error and CSP violation; the axe-core checks, which inject a script, use the usual pages.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.browser.test_i18n_a11y import axe
from tests.waiting import wait_until
from webhooks.models import Delivery, Event, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WARNING = "Esta URL apunta a una dirección privada (localhost): en producción no se podrá entregar."


@pytest.fixture
def santiago(browser, live_server):
    """A Chilean Spanish browser in America/Santiago, with the CSP in force, recording problems."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="es-CL",
        timezone_id="America/Santiago",
        viewport={"width": 1280, "height": 860},
        extra_http_headers={"Accept-Language": "es-CL,es;q=0.9"},
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.add_init_script(RECORD_VIOLATIONS)
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def problems(page) -> list[str]:
    """Console errors (a refused inline style, a 404) and the CSP violations the page reported."""
    return page.errors + page.evaluate("window.__csp || []")


@pytest.fixture
def webhook(company_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Usuarios", code="usuarios", url="https://erp.ejemplo.cl/u"
    )


def test_a_localhost_url_is_saved_with_a_visible_warning(santiago, staff, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # development
    page = santiago
    log_in(page, staff)
    page.click("#create-webhook")
    page.fill("#id_name", "Receptor local")
    page.fill("#id_url", "http://localhost:8001/hook")

    page.click("#save")

    page.wait_for_url(re.compile(r"/webhooks/[0-9a-f]{24}/$"))
    expect(page.locator(".messages .notice").first).to_have_text("Webhook creado.")
    warning = page.locator(".messages .notice-warning")
    expect(warning).to_be_visible()
    expect(warning).to_have_text(WARNING)
    assert problems(page) == []


def test_the_list_shows_trigger_labels_and_unbroken_headers(santiago, staff, company_a, workflow_a):
    Webhook.objects.create(
        company=company_a,
        name="Órdenes",
        code="ordenes",
        url="https://erp.ejemplo.cl/t",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )
    page = santiago
    log_in(page, staff)

    expect(page.locator("td.trigger")).to_have_text("Crear/Editar/Eliminar tarea")
    # Every column header fits its words on lines of their own: "EDITAR" was broken as EDI/TAR.
    broken = page.evaluate(
        """() => [...document.querySelectorAll('#webhooks-panel thead th')].filter(th => {
             const range = document.createRange();
             range.selectNodeContents(th);
             const words = th.textContent.trim().split(/\\s+/).filter(Boolean).length;
             const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
             return words && lines > words;
           }).map(th => th.textContent.trim())"""
    )
    assert broken == []
    assert problems(page) == []


def test_detect_shows_the_browsers_zone_at_once(santiago, staff):
    page = santiago
    log_in(page, staff)
    page.click("#time-zone-link")
    page.select_option("#id_zone", "Europe/Madrid")
    page.click("#zone-form button[type=submit]")
    expect(page.locator("#time-zone-link")).to_contain_text("Europe/Madrid")

    page.click("#time-zone-link")
    page.select_option("#id_zone", "")  # Detectar desde este navegador
    with page.expect_response(lambda r: r.url.endswith("/webhooks/") and r.request.method == "GET") as landed:
        page.click("#zone-form button[type=submit]")

    # The page the redirect lands on is drawn in the browser's zone already, not UTC then reloaded.
    assert ">America/Santiago</a>" in landed.value.text()
    expect(page.locator("#time-zone-link")).to_contain_text("America/Santiago")
    assert problems(page) == []


def test_the_zone_list_is_grouped_searchable_and_current(santiago, staff):
    page = santiago
    log_in(page, staff)
    page.goto("/preferences/time-zone/")

    values = page.eval_on_selector_all("#id_zone option", "options => options.map(o => o.value)")
    assert "America/Santiago" in values and "Europe/Madrid" in values
    assert "Chile/Continental" not in values and "US/Eastern" not in values
    groups = page.eval_on_selector_all("#id_zone optgroup", "groups => groups.map(g => g.label)")
    assert {"América", "Europa", "Océano Pacífico"} <= set(groups)

    search = page.locator("#zone-search")
    expect(search).to_be_visible()
    search.fill("madrid")
    shown = page.locator("#id_zone option:not([hidden])")
    expect(shown).to_have_count(2)  # Detectar desde este navegador, and Europe/Madrid
    expect(page.locator("#id_zone optgroup:not([hidden])")).to_have_count(1)
    expect(page.locator("#id_zone")).to_have_value("Europe/Madrid")
    expect(page.locator("#announcer")).to_have_text("1 zonas horarias coinciden.")
    search.press("Enter")  # saves what was found

    expect(page.locator("#time-zone-link")).to_contain_text("Europe/Madrid")
    assert problems(page) == []


class Dialogs:
    """Answers the page's confirm() dialogs (accept unless told otherwise) and keeps their questions."""

    def __init__(self, page):
        self.page = page
        self.questions: list[str] = []
        self.replies: list[bool] = []
        page.on("dialog", self.answer)

    def answer(self, dialog) -> None:
        self.questions.append(dialog.message)
        dialog.accept() if (self.replies.pop(0) if self.replies else True) else dialog.dismiss()

    def wait_for(self, count: int) -> None:
        # page.evaluate lets Playwright deliver the dialog event to answer() while we wait.
        wait_until(
            lambda: self.page.evaluate("1") and len(self.questions) >= count, TIMEOUT_MS / 1000, "a dialog"
        )


def test_deactivate_with_unsaved_edits_asks_first_and_clears_a_stale_saved(santiago, staff, webhook):
    page = santiago
    dialogs = Dialogs(page)
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")
    page.fill("#id_description", "Guardada")
    page.click("#save")
    expect(page.locator(".messages")).to_have_text("Guardado.")

    # An edit undone is no unsaved edit: no question.
    page.fill("#id_name", "Usuarios 2")
    page.fill("#id_name", "Usuarios")
    page.click("#toggle-active")
    expect(page.locator("#webhook-status")).to_have_text("Deshabilitado")
    assert dialogs.questions == []
    expect(page.locator(".messages")).to_have_text("")  # the stale "Guardado." is gone

    # With an unsaved edit: asked first; Cancel sends nothing.
    page.fill("#id_description", "Sin guardar")
    dialogs.replies = [False]
    page.click("#toggle-active")
    dialogs.wait_for(1)
    assert dialogs.questions == [
        "El formulario tiene cambios sin guardar. ¿Activar el webhook sin guardarlos?"
    ]
    expect(page.locator("#webhook-status")).to_have_text("Deshabilitado")
    assert not Webhook.objects.get(pk=webhook.pk).is_active

    # OK: activated, and the edit is still in the form, to be saved.
    page.click("#toggle-active")
    expect(page.locator("#webhook-status")).to_have_text("Activo")
    assert len(dialogs.questions) == 2
    expect(page.locator("#id_description")).to_have_value("Sin guardar")
    assert problems(page) == []


def test_bulk_deactivate_asks_first_and_says_when_nothing_changed(santiago, staff, company_a, webhook):
    Webhook.objects.create(
        company=company_a, name="Apagado", code="apagado", url="https://erp.ejemplo.cl/a", is_active=False
    )
    page = santiago
    dialogs = Dialogs(page)
    log_in(page, staff)
    question = (
        "¿Desactivar los webhooks seleccionados? Dejarán de enviar eventos hasta que se activen de nuevo."
    )

    page.check("input[aria-label='Seleccionar Usuarios']")
    dialogs.replies = [False]
    page.click("#bulk-deactivate")
    dialogs.wait_for(1)
    expect(page.locator("#webhooks-panel .notice")).to_have_count(0)
    assert Webhook.objects.get(pk=webhook.pk).is_active  # Cancel: nothing sent

    page.click("#bulk-deactivate")
    expect(page.locator("#webhooks-panel .notice")).to_have_text("1 webhook desactivado.")
    assert dialogs.questions == [question, question]

    page.click("#more-options")
    page.click("#toggle-disabled")
    expect(page.locator("#toggle-disabled")).to_have_text("Ocultar deshabilitados")
    page.check("input[aria-label='Seleccionar Apagado']")
    page.click("#bulk-deactivate")
    expect(page.locator("#webhooks-panel .notice")).to_have_text(
        "No cambió nada: los webhooks seleccionados ya estaban desactivados."
    )
    assert problems(page) == []


def test_the_settings_page_logs_no_console_error(santiago, staff, webhook, workflow_a):
    page = santiago
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")

    for trigger in (Trigger.TASK, Trigger.SURVEY, Trigger.LOGOUT, Trigger.USER):
        page.select_option("#id_trigger", trigger)
        expect(page.locator("#context-fields")).to_have_attribute("class", "context-fields")
        expect(page.locator(".htmx-request")).to_have_count(0)
    page.select_option("#id_trigger", Trigger.TASK)
    expect(page.locator("#id_workflow")).to_be_visible()
    page.click("input[data-ordering][value=object]")
    expect(page.locator("#in-flight")).to_be_visible()
    page.goto("/webhooks/new/")  # the same form, on Create
    for trigger in (Trigger.NOTE, Trigger.TASK):
        page.select_option("#id_trigger", trigger)
        expect(page.locator(".htmx-request")).to_have_count(0)
    expect(page.locator("#id_workflow")).to_be_visible()

    assert problems(page) == []


def test_the_date_inputs_are_styled_and_typed_like_the_panels_dates(santiago, staff, webhook):
    page = santiago
    log_in(page, staff)
    page.goto(f"/webhooks/{webhook.pk}/")
    look = """e => { const s = getComputedStyle(e);
                     return [s.borderTopColor, s.borderRadius, s.paddingLeft, s.fontSize, s.fontFamily]; }"""
    panel_input = page.eval_on_selector("#logs-status", look)

    # The Logs filter: days typed day first, as the rows show them; the address keeps ISO dates.
    expect(page.locator("#logs-from")).to_have_attribute("placeholder", "DD/MM/AAAA")
    assert page.eval_on_selector("#logs-from", look) == panel_input
    page.fill("#logs-from", "30/11/2026")
    page.click("#log-filters-apply")
    page.wait_for_url(re.compile(r"/logs/\?from=2026-11-30$"))
    expect(page.locator("#logs-from")).to_have_value("30/11/2026")

    # The redelivery page: the same look and the same format, to the minute.
    page.click("#redeliver-failed")
    for field in ("#id_created_from", "#id_created_to"):
        assert page.eval_on_selector(field, look) == panel_input
        expect(page.locator(field)).to_have_attribute("placeholder", "DD/MM/AAAA HH:MM")
    expect(page.locator("#id_created_from")).to_have_value("30/11/2026 00:00")
    page.fill("#id_created_to", "01/12/2026 10:30")
    page.click("#recovery-count")
    expect(page.locator("#recovery-count-result")).to_have_text(
        "No hay entregas fallidas que reenviar en ese período."
    )
    assert problems(page) == []


# --- axe-core, in both languages, on the pages this issue changed ---------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axe_finds_nothing_on_the_changed_pages(request, lang, staff, company_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    results: dict[str, list] = {}
    log_in(page, staff)
    webhook = Webhook.objects.create(
        company=company_a, name="Local", code="local", url="http://localhost:8001/hook", trigger=Trigger.NOTE
    )
    event = Event.objects.create(company=company_a, type="COTNote", action="edit", body="{}")
    Delivery.objects.create(company=company_a, webhook=webhook, event=event, state="failed", status_code=503)

    page.goto("/webhooks/")
    blocking = {"list": axe(page, "list", results)}
    page.goto(f"/webhooks/{webhook.pk}/")
    page.fill("#id_description", "warned")
    page.click("#save")
    expect(page.locator(".messages .notice-warning")).to_be_visible()
    blocking["settings with a warning"] = axe(page, "settings with a warning", results)
    page.goto("/preferences/time-zone/")
    page.fill("#zone-search", "america")
    expect(page.locator("#id_zone optgroup:not([hidden])")).to_have_count(1)
    blocking["time zone, searched"] = axe(page, "time zone, searched", results)
    page.goto(f"/webhooks/{webhook.pk}/logs/redeliver-failed/")
    blocking["redeliver failed"] = axe(page, "redeliver failed", results)

    print(f"\naxe-core results ({lang}):", json.dumps(results, indent=1))
    assert {name: found for name, found in blocking.items() if found} == {}
