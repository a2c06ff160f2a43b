"""webhooks:set_active — the Activate/Deactivate button of the settings panel."""

import pytest
from django.urls import reverse

from webhooks.models import Webhook


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


def url(webhook):
    return reverse("webhooks:set_active", args=[webhook.pk])


def test_deactivates_and_activates(staff_client, webhook):
    response = staff_client.post(url(webhook), {"active": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("webhooks:edit", args=[webhook.pk])
    webhook.refresh_from_db()
    assert not webhook.is_active
    staff_client.post(url(webhook), {"active": "1"})
    webhook.refresh_from_db()
    assert webhook.is_active


def test_htmx_returns_the_header_fragment(staff_client, webhook):
    response = staff_client.post(url(webhook), {"active": "0"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="settings-header"' in html and "Disabled" in html and "Activate" in html


def test_another_company_webhook_is_404(client, admin_b, webhook):
    client.force_login(admin_b)
    assert client.post(url(webhook), {"active": "0"}).status_code == 404
    webhook.refresh_from_db()
    assert webhook.is_active


def test_requires_login(client, webhook):
    response = client.post(url(webhook), {"active": "0"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.post(url(webhook), {"active": "0"}).status_code == 403


def test_wrong_method(staff_client, webhook):
    assert staff_client.get(url(webhook)).status_code == 405


def test_csrf_is_required(client, admin_a, webhook):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_a)
    assert csrf_client.post(url(webhook), {"active": "0"}).status_code == 403
    webhook.refresh_from_db()
    assert webhook.is_active


@pytest.fixture
def orphan(company_a, workflow_a):
    from webhooks.models import Trigger

    hook = Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://o.example/", trigger=Trigger.TASK,
        workflow=workflow_a,
    )  # fmt: skip
    workflow_a.delete()
    hook.refresh_from_db()
    return hook


def test_a_webhook_whose_workflow_was_deleted_shows_why_it_is_disabled(staff_client, orphan):
    assert not orphan.is_active
    html = staff_client.get(reverse("webhooks:edit", args=[orphan.pk])).content.decode()
    assert 'id="inactive-reason"' in html and "Its workflow was deleted." in html
    assert (
        "Its workflow was deleted."
        in staff_client.get(reverse("webhooks:list") + "?disabled=1").content.decode()
    )


def test_activating_it_before_choosing_a_workflow_says_so(staff_client, orphan):
    response = staff_client.post(url(orphan), {"active": "1"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and 'id="activate-error"' in html
    assert "Choose the trigger&#x27;s workflow, survey or group and save before activating it." in html
    orphan.refresh_from_db()
    assert not orphan.is_active


def test_a_change_of_state_empties_the_stale_messages_out_of_band(staff_client, webhook):
    html = staff_client.post(url(webhook), {"active": "0"}, HTTP_HX_REQUEST="true").content.decode()

    # The header, and the page's messages emptied: an earlier "Saved." no longer describes the webhook.
    assert 'id="settings-header"' in html
    assert '<div id="messages" class="messages" hx-swap-oob="true"></div>' in html


def test_the_button_asks_first_when_the_form_has_unsaved_edits(staff_client, webhook):
    html = staff_client.get(reverse("webhooks:edit", args=[webhook.pk])).content.decode()

    assert 'data-confirm-unsaved="webhook-form"' in html
    question = "The form has unsaved changes. Deactivate the webhook without saving them?"
    assert f'data-confirm-unsaved-text="{question}"' in html
    assert 'data-unsaved="true"' not in html  # drawn with the stored values


def test_a_form_drawn_with_posted_values_is_marked_unsaved(staff_client, webhook):
    data = {"name": "", "url": "https://a.example/", "trigger": "create-edit-delete-user"}

    html = staff_client.post(reverse("webhooks:edit", args=[webhook.pk]), data).content.decode()

    assert 'id="webhook-form" method="post" novalidate data-unsaved="true"' in html
