"""webhooks:edit — the settings panel of a saved webhook (General information, secret, test, Logs)."""

import pytest
from django.urls import reverse

from webhooks.models import Delivery, Event, Trigger, Webhook


@pytest.fixture
def webhook(company_a, workflow_a):
    return Webhook.objects.create(
        company=company_a,
        name="Work Orders Update",
        code="wo_update",
        url="https://www.server.com/hook",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


def url(webhook):
    return reverse("webhooks:edit", args=[webhook.pk])


def data(**fields):
    return {
        "name": "Renamed",
        "url": "https://www.server.com/v2",
        "description": "New",
        "trigger": Trigger.TASK,
        **fields,
    }


def test_shows_identifier_locked_code_logs_secret_and_test(staff_client, webhook):
    response = staff_client.get(url(webhook))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert f'value="{webhook.pk}"' in html  # Identifier
    assert 'name="code" value="wo_update"' in html and "disabled" in html and "readonly" in html
    assert 'name="workflow"' in html
    assert 'id="logs"' in html and "No records found" in html
    assert "Send test event" in html and "Rotate" in html
    assert webhook.secret not in html  # hidden until revealed
    assert "Deactivate" in html


def test_saves_changes(staff_client, webhook, workflow_a):
    response = staff_client.post(url(webhook), data(workflow=workflow_a.pk))
    assert response.status_code == 302 and response["Location"] == url(webhook)
    webhook.refresh_from_db()
    assert (webhook.name, webhook.url, webhook.description) == ("Renamed", "https://www.server.com/v2", "New")
    assert webhook.code == "wo_update"


def test_changing_trigger_clears_the_context(staff_client, webhook):
    staff_client.post(url(webhook), data(trigger=Trigger.USER))
    webhook.refresh_from_db()
    assert webhook.trigger == Trigger.USER and webhook.workflow is None


def test_forged_code_change_is_refused(staff_client, webhook, workflow_a):
    response = staff_client.post(url(webhook), data(workflow=workflow_a.pk, code="hacked"))
    assert response.status_code == 200
    assert "The code cannot be changed once the webhook is saved." in response.content.decode()
    webhook.refresh_from_db()
    assert webhook.code == "wo_update" and webhook.name == "Work Orders Update"


def test_posting_the_same_code_is_fine(staff_client, webhook, workflow_a):
    response = staff_client.post(url(webhook), data(workflow=workflow_a.pk, code="wo_update"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "nope"}, "Enter a valid URL."),
        ({"trigger": Trigger.SURVEY}, "A survey is required"),
        ({}, "A workflow is required"),
    ],
)
def test_errors_keep_the_other_fields(staff_client, webhook, fields, message):
    response = staff_client.post(url(webhook), data(**fields))
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert 'value="Renamed"' in html and "New</textarea>" in html
    webhook.refresh_from_db()
    assert webhook.name == "Work Orders Update"


def test_htmx_trigger_change_fragment(staff_client, webhook):
    response = staff_client.get(url(webhook), {"trigger": Trigger.SURVEY}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'name="survey"' in html and 'name="workflow"' not in html


def test_logs_are_shown_newest_first(staff_client, webhook, company_a):
    event = Event.objects.create(company=company_a, type="COTTask", action="create", body="{}")
    Delivery.objects.create(company=company_a, webhook=webhook, event=event, state="failed", status_code=409)
    Delivery.objects.create(company=company_a, webhook=webhook, event=event, state="success", status_code=201)
    html = staff_client.get(url(webhook)).content.decode()
    assert html.index(">201<") < html.index(">409<")
    assert "SUCCESS" in html and "FAILED" in html


def test_another_company_webhook_is_404(client, admin_b, webhook):
    client.force_login(admin_b)
    assert client.get(url(webhook)).status_code == 404
    assert client.post(url(webhook), data()).status_code == 404


def test_requires_login(client, webhook):
    response = client.get(url(webhook))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.get(url(webhook)).status_code == 403


def test_wrong_method(staff_client, webhook):
    assert staff_client.delete(url(webhook)).status_code == 405


def test_saving_a_url_to_localhost_warns_too(staff_client, company_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    webhook = Webhook.objects.create(company=company_a, name="H", code="h_local", url="https://a.example/")
    data = {"name": "H", "url": "http://127.0.0.1:8001/hook", "trigger": "create-edit-delete-user"}

    response = staff_client.post(reverse("webhooks:edit", args=[webhook.pk]), data, follow=True)

    html = response.content.decode()
    assert "Saved." in html and "This URL points to a private address (127.0.0.1)" in html
