"""webhooks:resume — the resume dialog of a paused webhook: deliver what waited in order, or skip
it; a plain page without JS, the dialog's body for HTMX; the settings page's Activate leads to it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Task
from webhooks.models import Delivery, InactiveReason, Trigger, Webhook


@pytest.fixture
def webhook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://erp.example.com/hook",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


def pause(webhook: Webhook, reason: str = InactiveReason.PAUSED_FAILING) -> Webhook:
    """What the engine leaves after 12 failed deliveries: inactive with a paused reason."""
    Webhook.objects.filter(pk=webhook.pk).update(
        is_active=False,
        inactive_reason=reason,
        failed_in_a_row=12,
        failing_since=timezone.now() - timedelta(hours=2),
        last_error="the receiver answered HTTP 503",
        last_status_code=503,
    )
    webhook.refresh_from_db()
    return webhook


@pytest.fixture
def paused(webhook, workflow_a) -> Webhook:
    """Paused, with three events queued while it was (routing still sends them to it)."""
    pause(webhook)
    for n in range(3):
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name=f"Task {n}")
    return webhook


def url(webhook) -> str:
    return reverse("webhooks:resume", args=[webhook.pk])


def test_the_page_asks_what_to_do_with_what_waited_and_counts_it(staff_client, paused):
    response = staff_client.get(url(paused))

    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "3 deliveries are waiting." in html
    assert 'value="deliver" id="id_backlog_0" aria-describedby="resume-help-deliver" checked' in html
    assert 'value="skip" id="id_backlog_1" aria-describedby="resume-help-skip">' in html
    assert "Deliver them, in their original order" in html and "Skip them" in html
    assert 'name="csrfmiddlewaretoken"' in html and f'action="{url(paused)}"' in html
    # Without JS, Cancel is a link back and the test event is a plain form.
    assert f'id="resume-cancel" href="{reverse("webhooks:edit", args=[paused.pk])}"' in html
    assert 'id="resume-send-test"' in html and 'name="next" value="resume"' in html


def test_htmx_gets_the_dialog_body_only(staff_client, paused):
    response = staff_client.get(url(paused) + "?from=list", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<article class="resume" id="resume"')
    assert '<form method="dialog">' in html and 'name="from" value="list"' in html


def test_deliver_activates_it_and_keeps_the_queue_in_order(staff_client, paused):
    queued = list(Delivery.objects.order_by("id").values_list("id", "state"))

    response = staff_client.post(url(paused), {"backlog": "deliver"})

    assert response.status_code == 302 and response["Location"] == reverse("webhooks:edit", args=[paused.pk])
    paused.refresh_from_db()
    assert (paused.is_active, paused.inactive_reason) == (True, "")
    assert list(Delivery.objects.order_by("id").values_list("id", "state")) == queued
    assert [state for _, state in queued] == ["pending"] * 3
    page = staff_client.get(response["Location"]).content.decode()
    assert "Webhook resumed. What waited is being delivered, in its original order." in page


def test_skip_marks_what_waited_skipped_and_returns_to_the_list(staff_client, paused):
    response = staff_client.post(url(paused), {"backlog": "skip", "from": "list"})

    assert response.status_code == 302 and response["Location"] == reverse("webhooks:list")
    paused.refresh_from_db()
    assert paused.is_active
    assert list(Delivery.objects.values_list("state", flat=True)) == ["skipped"] * 3
    page = staff_client.get(response["Location"]).content.decode()
    assert "Webhook resumed. 3 deliveries that waited were skipped (SKIPPED in the logs)." in page


@pytest.mark.parametrize("data", [{"backlog": "drop"}, {}, {"backlog": ""}])
def test_a_bad_choice_is_a_form_error_and_changes_nothing(staff_client, paused, data):
    response = staff_client.post(url(paused), data)

    html = response.content.decode()
    assert response.status_code == 200 and 'class="errorlist" id="id_backlog_error"' in html
    assert 'aria-describedby="resume-waiting id_backlog_error"' in html
    paused.refresh_from_db()
    assert not paused.is_active and paused.inactive_reason == InactiveReason.PAUSED_FAILING
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}


def test_an_active_webhook_has_nothing_to_resume(staff_client, webhook):
    html = staff_client.get(url(webhook)).content.decode()
    assert 'id="resume-active"' in html and 'id="resume-form"' not in html

    response = staff_client.post(url(webhook), {"backlog": "skip"})

    html = response.content.decode()
    assert response.status_code == 200 and 'id="resume-active"' in html


def test_resuming_after_another_tab_did_is_a_form_error(staff_client, paused, monkeypatch):
    """The page was drawn paused; the webhook is active by the time it is posted."""
    from webhooks import services

    def already(*, webhook, backlog):
        raise services.ValidationError(services.RESUME_ACTIVE, code="active")

    monkeypatch.setattr(services, "webhook_resume", already)
    response = staff_client.post(url(paused), {"backlog": "deliver"})

    html = response.content.decode()
    assert response.status_code == 200 and 'id="resume-errors" role="alert"' in html
    assert "This webhook is active: there is nothing to resume." in html


def test_a_paused_webhook_whose_workflow_was_deleted_says_to_choose_one(staff_client, paused, workflow_a):
    workflow_a.delete()
    Webhook.objects.filter(pk=paused.pk).update(inactive_reason=InactiveReason.PAUSED_FAILING)

    response = staff_client.post(url(paused), {"backlog": "deliver"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose the trigger&#x27;s workflow, survey or group and save before resuming it." in html
    paused.refresh_from_db()
    assert not paused.is_active


def test_another_company_webhook_is_404(client, admin_b, paused):
    client.force_login(admin_b)
    assert client.get(url(paused)).status_code == 404
    assert client.post(url(paused), {"backlog": "skip"}).status_code == 404
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}


def test_requires_login(client, paused):
    response = client.get(url(paused))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, paused):
    client.force_login(member_a)
    assert client.post(url(paused), {"backlog": "skip"}).status_code == 403
    paused.refresh_from_db()
    assert not paused.is_active


def test_wrong_method(staff_client, paused):
    assert staff_client.put(url(paused)).status_code == 405
    assert staff_client.delete(url(paused)).status_code == 405


def test_csrf_is_required(admin_a, paused):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_a)
    assert csrf_client.post(url(paused), {"backlog": "skip"}).status_code == 403
    paused.refresh_from_db()
    assert not paused.is_active


# --- the ways to it ------------------------------------------------------------------------


def test_activate_on_a_paused_webhook_leads_to_the_dialog(staff_client, paused):
    set_active = reverse("webhooks:set_active", args=[paused.pk])

    response = staff_client.post(set_active, {"active": "1"})
    assert response.status_code == 302 and response["Location"] == url(paused)
    htmx = staff_client.post(set_active, {"active": "1"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == url(paused)
    paused.refresh_from_db()
    assert not paused.is_active


def test_the_settings_header_offers_resume_instead_of_activate(staff_client, paused):
    html = staff_client.get(reverse("webhooks:edit", args=[paused.pk])).content.decode()

    assert '<span class="badge badge-paused" id="webhook-status">Paused</span>' in html
    assert (
        f'id="toggle-active" href="{url(paused)}" hx-get="{url(paused)}" hx-target="#resume-dialog-body"'
        in html
    )
    assert '<dialog id="resume-dialog"' in html


def test_a_test_event_from_the_dialog_shows_its_result_there(staff_client, company_a, httpserver):
    hook = pause(
        Webhook.objects.create(company=company_a, name="Hook", code="hook", url=httpserver.url_for("/h"))
    )
    httpserver.expect_oneshot_request("/h", method="POST").respond_with_data("", status=204)
    send_test = reverse("webhooks:send_test", args=[hook.pk])

    response = staff_client.post(send_test, {"next": "resume"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="resume-test"')
    assert ">SUCCESS<" in html and "<strong>204</strong>" in html and 'id="logs"' not in html
    hook.refresh_from_db()
    assert not hook.is_active and hook.failed_in_a_row == 12  # the test leaves the pause and health


def test_a_test_event_from_the_resume_page_without_js_returns_to_it(staff_client, company_a, httpserver):
    hook = pause(
        Webhook.objects.create(company=company_a, name="Hook", code="hook", url=httpserver.url_for("/h"))
    )
    httpserver.expect_oneshot_request("/h", method="POST").respond_with_data("down", status=503)

    response = staff_client.post(reverse("webhooks:send_test", args=[hook.pk]), {"next": "resume"})

    assert response.status_code == 302 and response["Location"] == url(hook)
    html = staff_client.get(url(hook)).content.decode()
    assert "Test event not delivered: down" in html
