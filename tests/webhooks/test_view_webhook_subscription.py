"""The settings panel's "Send" and "Only edits of these fields" (webhooks:create and webhooks:edit):
offered from the trigger, saved, re-rendered when the trigger changes, errors next to them."""

import re

from django.urls import reverse

from webhooks.models import Trigger, Webhook


def edit_url(webhook: Webhook) -> str:
    return reverse("webhooks:edit", args=[webhook.pk])


def posted(workflow, **fields) -> dict:
    return {
        "name": "Orders", "url": "https://www.server.com/hook", "trigger": Trigger.TASK,
        "workflow": workflow.pk, "subscription_shown": "1", **fields,
    }  # fmt: skip


def checked(html: str, name: str) -> list[str]:
    """The values of the checkboxes named `name` that are ticked."""
    inputs = re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', html)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in inputs if " checked" in tag]


def test_the_settings_offer_the_actions_and_the_triggers_fields(staff_client, webhook):
    html = staff_client.get(edit_url(webhook)).content.decode()

    assert html.count('name="events"') == 3
    assert checked(html, "events") == ["create", "edit", "delete"] and checked(html, "field_paths") == []
    assert 'name="field_paths" value="/status"' in html and 'value="/followers"' in html
    assert 'value="/name/displayName"' not in html  # a user's field


def test_saving_some_actions_and_fields_stores_them(staff_client, webhook, workflow_a):
    data = posted(workflow_a, events=["create", "edit"], field_paths=["/status", "/assignee"])

    response = staff_client.post(edit_url(webhook), data)

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.events, webhook.fields) == (["create", "edit"], ["/assignee", "/status"])
    html = staff_client.get(edit_url(webhook)).content.decode()
    assert checked(html, "events") == ["create", "edit"]
    assert checked(html, "field_paths") == ["/assignee", "/status"]


def test_creating_a_webhook_of_creates_only(staff_client, company_a, workflow_a):
    data = {**posted(workflow_a, events=["create"]), "code": "creates", "is_active": "1"}

    assert staff_client.post(reverse("webhooks:create"), data).status_code == 302
    assert Webhook.objects.get(code="creates").events == ["create"]


def test_no_action_is_an_error_next_to_the_actions(staff_client, webhook, workflow_a):
    response = staff_client.post(edit_url(webhook), posted(workflow_a))

    html = response.content.decode()
    assert response.status_code == 200 and "Choose at least one action." in html
    assert 'id="id_events_error"' in html
    webhook.refresh_from_db()
    assert webhook.events == ["create", "edit", "delete"]


def test_fields_without_edits_is_an_error_next_to_the_fields(staff_client, webhook, workflow_a):
    data = posted(workflow_a, events=["create"], field_paths=["/status"])

    html = staff_client.post(edit_url(webhook), data).content.decode()

    assert "Fields apply to edits only" in html and 'id="id_field_paths_error"' in html
    webhook.refresh_from_db()
    assert webhook.fields == []


def test_a_trigger_change_offers_the_new_triggers_fields_keeping_the_ticks(staff_client, webhook):
    query = {
        "trigger": Trigger.USER,
        "subscription_shown": "1",
        "events": ["edit"],
        "field_paths": ["/status"],
    }

    response = staff_client.get(edit_url(webhook), query, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html and 'id="context-fields"' in html
    assert 'value="/name/displayName"' in html and 'value="/status"' not in html
    assert checked(html, "events") == ["edit"] and checked(html, "field_paths") == []


def test_a_logout_webhook_shows_no_choice(staff_client, webhook):
    html = staff_client.get(
        edit_url(webhook), {"trigger": Trigger.LOGOUT}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "Every logout is sent." in html and 'name="events"' not in html


def test_saving_a_logout_webhook_keeps_its_actions(staff_client, webhook):
    webhook.events = ["create"]
    webhook.save()

    data = {"name": "Logouts", "url": "https://www.server.com/hook", "trigger": Trigger.LOGOUT}
    assert staff_client.post(edit_url(webhook), data).status_code == 302
    webhook.refresh_from_db()
    assert (webhook.trigger, webhook.events, webhook.fields) == (Trigger.LOGOUT, ["create"], [])


def test_another_companys_webhook_is_a_404(staff_client, company_b, workflow_a):
    other = Webhook.objects.create(company=company_b, name="b", code="b", url="https://www.server.com")

    response = staff_client.post(edit_url(other), posted(workflow_a, events=["create"]))

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.events == ["create", "edit", "delete"]


def test_requires_login(client, webhook, workflow_a):
    response = client.post(edit_url(webhook), posted(workflow_a, events=["create"]))

    assert response.status_code == 302 and "/login/" in response["Location"]
    webhook.refresh_from_db()
    assert webhook.events == ["create", "edit", "delete"]
