"""Send only what matters, in a real browser, in English and Spanish: a webhook created for
creates only and one edited for /status edits only get just those changes in their Logs; the
choices follow the trigger, work from the keyboard, and axe-core finds nothing to report."""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from events.models import Task
from tests.browser.conftest import log_in
from tests.browser.test_i18n_a11y import axe
from webhooks.engine.delivery import webhook_drain
from webhooks.models import Delivery, Trigger, Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

TEXT = {
    "en": {"saved": "Saved.", "no action": "Choose at least one action."},
    "es": {"saved": "Guardado.", "no action": "Elija al menos una acción."},
}


@pytest.fixture
def receiver(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})
    return httpserver


def checked(page, label: str, results: dict) -> list[dict]:
    expect(page.locator(".htmx-request")).to_have_count(0)
    return axe(page, label, results)


def log_rows(page):
    return page.locator("#logs tbody tr[data-delivery]")


def toggle_with_keyboard(page, selector: str) -> None:
    page.focus(selector)
    page.keyboard.press("Space")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_webhooks_get_only_the_actions_and_fields_they_subscribe_to(
    request, lang, staff, company_a, workflow_a, element_a, receiver, tmp_path
):
    page = request.getfixturevalue("page" if lang == "en" else "page_es")
    results: dict[str, list] = {}
    statuses = Webhook.objects.create(
        company=company_a, name="Statuses", code="statuses", url=receiver.url_for("/hook"),
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip
    log_in(page, staff)

    # Create a webhook of task creates only: the trigger brings its workflow and its fields.
    page.goto("/webhooks/new/")
    page.fill("#id_name", "Creates")
    page.fill("#id_url", receiver.url_for("/hook"))
    page.select_option("#id_trigger", Trigger.TASK)
    expect(page.locator("#field-paths input[value='/status']")).to_have_count(1)
    page.select_option("#id_workflow", workflow_a.pk)
    toggle_with_keyboard(page, "#events input[value='edit']")
    toggle_with_keyboard(page, "#events input[value='delete']")
    results_blocking = {"create page": checked(page, "create page", results)}
    page.click("#save")
    page.wait_for_url("**/webhooks/*/")
    creates = Webhook.objects.get(code="creates")
    assert (creates.events, creates.fields) == (["create"], [])

    # No action at all is an error next to the actions, read out by axe as fine.
    page.goto(f"/webhooks/{statuses.pk}/")
    for action in ("create", "edit", "delete"):
        page.uncheck(f"#events input[value='{action}']")
    page.click("#save")
    expect(page.locator("#events .errorlist")).to_have_text(TEXT[lang]["no action"])
    results_blocking["no action"] = checked(page, "no action", results)

    # Edits of /status only.
    page.check("#events input[value='edit']")
    toggle_with_keyboard(page, "#field-paths input[value='/status']")
    page.click("#save")
    expect(page.locator(".notice, [role=status]").filter(has_text=TEXT[lang]["saved"]).first).to_be_attached()
    expect(page.locator("#field-paths input[value='/status']")).to_be_checked()
    statuses.refresh_from_db()
    assert (statuses.events, statuses.fields) == (["edit"], ["/status"])
    results_blocking["settings"] = checked(page, "settings", results)
    # docs/panel.md's picture of it, written there when PANEL_SCREENSHOTS=1.
    out = SCREENSHOTS if os.environ.get("PANEL_SCREENSHOTS") == "1" and lang == "en" else tmp_path
    page.locator("#general").screenshot(path=str(out / "subscription.png"))

    # Four changes: each webhook gets only what it wants.
    task = Task.objects.create(company=company_a, workflow=workflow_a, name="Pump")
    task.name = "Pump 2"
    task.save()
    task.status = element_a
    task.save()
    task.delete()
    for webhook in (creates, statuses):
        webhook_drain(webhook_id=webhook.pk)

    page.goto(f"/webhooks/{creates.pk}/")
    expect(log_rows(page)).to_have_count(1)
    (create,) = Delivery.objects.filter(webhook=creates)
    assert create.event.action == "create"
    expect(log_rows(page).first).to_have_attribute("data-delivery", create.object_id)

    page.goto(f"/webhooks/{statuses.pk}/")
    expect(log_rows(page)).to_have_count(1)
    (edit,) = Delivery.objects.filter(webhook=statuses)
    assert edit.event.action == "edit" and list(json.loads(edit.event.body)["diff"]) == ["/status"]
    expect(log_rows(page).first).to_have_attribute("data-delivery", edit.object_id)
    results_blocking["logs"] = checked(page, "logs", results)

    print(f"\naxe-core results ({lang}):", json.dumps(results, indent=1))
    assert {name: found for name, found in results_blocking.items() if found} == {}
    assert {name: found for name, found in results.items() if found} == {}  # not even minor ones
