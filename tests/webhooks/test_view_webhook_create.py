"""webhooks:create — the settings panel for a new webhook."""

import pytest
from django.urls import reverse

from webhooks.models import Trigger, Webhook

URL = reverse("webhooks:create")


def post(client, **fields):
    data = {
        "name": "Work Orders Update",
        "code": "wo_update",
        "url": "https://www.server.com/hook",
        "description": "Sends updates on Work Orders",
        "trigger": Trigger.USER,
        **fields,
    }
    return client.post(URL, data)


def test_get_shows_an_empty_settings_panel(staff_client):
    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "Create webhook" in html and "General information" in html
    for label in (
        "Create/Edit/Remove User",
        "Create/Edit/Remove Task",
        "Create/Edit/Remove Survey",
        "Create/Edit/Remove Element",
        "Create/Edit/Remove Note",
        "User Logout",
    ):
        assert label in html
    assert 'placeholder="Assigned when saved"' in html
    assert 'name="workflow"' not in html and 'name="survey"' not in html  # user trigger: no context


def test_creates_and_redirects_to_the_edit_panel(staff_client, company_a):
    response = post(staff_client)
    webhook = Webhook.objects.get(code="wo_update")
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:edit", args=[webhook.pk])
    assert webhook.company == company_a
    assert webhook.name == "Work Orders Update"
    assert webhook.description == "Sends updates on Work Orders"
    assert webhook.is_active


def test_creates_disabled_when_unticked(staff_client):
    post(staff_client, is_active="0")
    assert not Webhook.objects.get(code="wo_update").is_active


def test_task_trigger_needs_and_stores_a_workflow(staff_client, workflow_a):
    response = post(staff_client, trigger=Trigger.TASK)
    assert response.status_code == 200
    assert "A workflow is required" in response.content.decode()
    post(staff_client, trigger=Trigger.TASK, workflow=workflow_a.pk)
    assert Webhook.objects.get(code="wo_update").workflow == workflow_a


def test_survey_trigger_without_survey_and_group_keeps_the_other_fields(staff_client):
    response = post(staff_client, trigger=Trigger.SURVEY)
    html = response.content.decode()
    assert response.status_code == 200
    assert "A survey is required" in html and "A group is required" in html
    assert 'value="Work Orders Update"' in html and 'value="wo_update"' in html
    assert 'value="https://www.server.com/hook"' in html
    assert not Webhook.objects.exists()


def test_survey_trigger_with_survey_and_group(staff_client, survey_a, group_a):
    post(staff_client, trigger=Trigger.SURVEY, survey=survey_a.pk, group=group_a.pk)
    webhook = Webhook.objects.get(code="wo_update")
    assert (webhook.survey, webhook.group) == (survey_a, group_a)


def test_another_company_workflow_is_refused(staff_client, company_b):
    from events.models import Workflow

    theirs = Workflow.objects.create(company=company_b, name="Theirs", code="theirs")
    response = post(staff_client, trigger=Trigger.TASK, workflow=theirs.pk)
    assert "Select a valid choice" in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "WO_Update"}, "Use 1-60 lowercase letters, digits or underscores."),
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"url": "ftp://example.com/"}, "Enter an http(s) URL."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_form_errors_keep_the_other_fields(staff_client, fields, message):
    response = post(staff_client, **fields)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "Sends updates on Work Orders" in html
    if "url" not in fields:
        assert 'value="https://www.server.com/hook"' in html
    if "name" not in fields:
        assert 'value="Work Orders Update"' in html
    assert not Webhook.objects.exists()


def test_duplicate_code_in_the_company(staff_client, company_a):
    Webhook.objects.create(company=company_a, name="Old", code="wo_update", url="https://a.example/")
    response = post(staff_client)
    html = response.content.decode()
    assert "A webhook with this code already exists." in html
    assert 'value="Work Orders Update"' in html
    assert Webhook.objects.count() == 1


def test_same_code_in_another_company_is_fine(staff_client, company_b):
    Webhook.objects.create(company=company_b, name="Theirs", code="wo_update", url="https://b.example/")
    assert post(staff_client).status_code == 302


def test_blank_code_uses_the_suggestion_from_the_name(staff_client):
    post(staff_client, name="Órdenes de Trabajo 2-C", code="")
    assert Webhook.objects.get().code == "ordenes_de_trabajo_2c"


def test_htmx_trigger_change_returns_the_form_fragment_with_context_fields(staff_client, workflow_a):
    response = staff_client.get(URL, {"trigger": Trigger.TASK}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="context-fields"' in html and 'name="workflow"' in html and "Work Orders" in html
    html = staff_client.get(URL, {"trigger": Trigger.SURVEY}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="survey"' in html and 'name="group"' in html and 'name="workflow"' not in html


def test_htmx_post_errors_return_the_form_fragment(staff_client):
    response = staff_client.post(
        URL, {"name": "x", "code": "BAD", "url": "https://a.example/"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="general"' in html and "lowercase" in html


def test_refresh_without_js_shows_the_trigger_fields_without_saving(staff_client, workflow_a):
    response = post(staff_client, trigger=Trigger.TASK, refresh="1")
    html = response.content.decode()
    assert 'name="workflow"' in html and 'value="Work Orders Update"' in html
    assert "is required" not in html
    assert not Webhook.objects.exists()


def test_output_is_escaped(staff_client):
    html = post(staff_client, name="<script>alert(1)</script>", code="BAD").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a):
    client.force_login(member_a)
    assert client.get(URL).status_code == 403
    assert post(client).status_code == 403


def test_wrong_method(staff_client):
    assert staff_client.put(URL).status_code == 405


def test_an_over_long_name_gets_a_visible_error_never_a_silent_cut(staff_client):
    page = staff_client.get(URL).content.decode()
    assert 'maxlength="200"' not in page  # a browser would cut a 5,000-character paste silently

    response = staff_client.post(
        URL, {"name": "x" * 5000, "url": "https://a.example/", "trigger": Trigger.USER}
    )

    assert response.status_code == 200
    assert "Enter at most 200 characters (it has 5000)." in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://localhost:8001/hook", "localhost"),
        ("http://127.0.0.1/hook", "127.0.0.1"),
        ("http://10.1.2.3:9000/", "10.1.2.3"),
        ("http://192.168.0.10/", "192.168.0.10"),
        ("http://[::1]:8000/", "::1"),
        ("http://api.localhost/", "api.localhost"),
    ],
)
def test_a_url_to_a_private_address_is_saved_with_a_warning(staff_client, settings, url, host):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

    response = staff_client.post(URL, {"name": "Local", "url": url, "trigger": Trigger.USER}, follow=True)

    html = response.content.decode()
    assert Webhook.objects.get(code="local").url == url
    assert '<div class="notice" data-announce>Webhook created.</div>' in html
    warning = f"This URL points to a private address ({host}): it cannot be delivered in production."
    assert f'<div class="notice notice-warning" data-announce>{warning}</div>' in html


def test_the_warning_says_deliveries_are_blocked_where_private_networks_are_off(staff_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    response = post(staff_client, url="http://localhost:8001/hook", code="local")

    html = staff_client.get(response["Location"]).content.decode()
    assert "(localhost): its deliveries are blocked here (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)." in html


@pytest.mark.parametrize(
    "url", ["https://www.server.com/hook", "https://8.8.8.8/", "http://intranet.example/"]
)
def test_a_public_address_or_a_name_gets_no_warning(staff_client, url):
    # A name is never resolved here: what it resolves to may change before a delivery.
    response = post(staff_client, url=url)

    html = staff_client.get(response["Location"]).content.decode()
    assert "Webhook created." in html and "private address" not in html


def test_the_warning_is_in_spanish(staff_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    data = {"name": "Local", "url": "http://localhost:8001/hook", "trigger": Trigger.USER}

    response = staff_client.post(URL, data, follow=True, HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9")

    html = response.content.decode()
    assert "Webhook creado." in html
    assert "Esta URL apunta a una dirección privada (localhost): en producción no se podrá entregar." in html
