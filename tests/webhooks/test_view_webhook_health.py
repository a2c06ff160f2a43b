"""A failing or paused webhook in the panel: its badges in the list (webhooks:list), the banner of
its settings page (webhooks:edit), SKIPPED logs and their filter (webhooks:logs), and a retry
delayed by Retry-After in a log's attempts (webhooks:delivery)."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from webhooks.models import Attempt, Delivery, Event, InactiveReason, Trigger, Webhook


@pytest.fixture
def webhook(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://erp.example.com/hook",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


SINCE = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)


def health(
    webhook: Webhook, *, failures: int = 12, active: bool = True, reason: str = "", **fields
) -> Webhook:
    fields = {
        "failed_in_a_row": failures,
        "failing_since": SINCE,
        "last_error": "the receiver answered HTTP 503",
        "last_status_code": 503,
        **fields,
    }
    Webhook.objects.filter(pk=webhook.pk).update(is_active=active, inactive_reason=reason, **fields)
    webhook.refresh_from_db()
    return webhook


def edit(client, webhook, **headers) -> str:
    """The settings page, its whitespace runs folded into one space."""
    return " ".join(
        client.get(reverse("webhooks:edit", args=[webhook.pk]), **headers).content.decode().split()
    )


# --- the settings page's banner -------------------------------------------------------------


def test_a_healthy_webhook_has_no_banner(staff_client, webhook):
    html = edit(staff_client, webhook)
    assert '<div id="health-banner"> </div>' in html and "banner-" not in html


def test_a_failing_webhook_says_what_is_wrong_and_since_when(staff_client, webhook):
    health(webhook)

    html = edit(staff_client, webhook)

    assert (
        'class="banner banner-failing" id="health-failing" aria-labelledby="health-title" role="status"'
        in html
    )
    assert "Deliveries to this webhook are failing" in html
    assert (
        '<p id="health-failures">The last 12 deliveries failed; the receiver answered HTTP 503.</p>' in html
    )
    # The panel's date format, in the administrator's zone (UTC here).
    assert (
        'Failing since <time datetime="2026-12-05T14:30:00.000+00:00"' in html
        and "12/05/26 - 14:30:00" in html
    )
    assert '<span class="badge badge-failing" id="webhook-failing">Failing</span>' in html
    assert 'id="health-resume"' not in html


def test_below_the_threshold_it_is_not_failing(staff_client, webhook, settings):
    settings.WEBHOOK_FAILING_AFTER = 3
    health(webhook, failures=2)
    assert 'id="health-failing"' not in edit(staff_client, webhook)


def test_a_failure_without_a_status_says_its_reason(staff_client, webhook):
    health(webhook, last_error="connection refused", last_status_code=None)
    assert "The last 12 deliveries failed; connection refused." in edit(staff_client, webhook)


def test_a_run_without_a_stored_error_still_counts_it_in_both_languages(staff_client, webhook):
    health(webhook, last_error="", last_status_code=None)
    assert '<p id="health-failures">The last 12 deliveries failed.</p>' in edit(staff_client, webhook)
    with translation.override("es"):
        html = edit(staff_client, webhook, HTTP_ACCEPT_LANGUAGE="es-CL")
    assert '<p id="health-failures">Las últimas 12 entregas fallaron.</p>' in html


def test_a_webhook_paused_for_failing_says_why_what_waits_and_offers_resume(
    staff_client, webhook, workflow_a
):
    from events.models import Task

    health(webhook, active=False, reason=InactiveReason.PAUSED_FAILING, failures=20)
    for n in range(2):
        Task.objects.create(company=workflow_a.company, workflow=workflow_a, name=f"Task {n}")

    html = edit(staff_client, webhook)

    assert (
        'class="banner banner-paused" id="health-paused" aria-labelledby="health-title" role="alert"' in html
    )
    assert "This webhook is paused" in html and "It was paused because its deliveries kept failing." in html
    assert "The last 20 deliveries failed; the receiver answered HTTP 503." in html
    assert "nothing is lost: 2 deliveries are waiting, in order." in html
    resume = reverse("webhooks:resume", args=[webhook.pk])
    assert f'id="health-resume" href="{resume}" hx-get="{resume}" hx-target="#resume-dialog-body"' in html
    assert 'id="inactive-reason">Paused: its deliveries kept failing.</span>' in html


def test_a_webhook_paused_by_410_gone_says_so(staff_client, webhook):
    health(webhook, active=False, reason=InactiveReason.PAUSED_GONE, failures=0, last_status_code=410,
           last_error="the receiver answered HTTP 410")  # fmt: skip

    html = edit(staff_client, webhook)

    assert "The receiver answered 410 Gone, which says this URL takes no more deliveries" in html
    assert 'id="health-failures"' not in html  # no run of failures: the reason says it all
    assert "Since <time" in html


def test_the_banner_is_in_spanish_for_a_spanish_administrator(staff_client, webhook):
    health(webhook)
    with translation.override("es"):
        html = edit(staff_client, webhook, HTTP_ACCEPT_LANGUAGE="es-CL")
    assert "Las últimas 12 entregas fallaron; el receptor respondió HTTP 503." in html
    assert "Las entregas a este webhook están fallando" in html


def test_deactivating_by_hand_redraws_the_banner_out_of_band(staff_client, webhook):
    health(webhook)
    html = staff_client.post(
        reverse("webhooks:set_active", args=[webhook.pk]), {"active": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<div id="health-banner" hx-swap-oob="true">' in html and 'id="health-failing"' in html


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_paused_apart_from_disabled_and_failing(staff_client, company_a, workflow_a):
    def make(code: str) -> Webhook:
        return Webhook.objects.create(
            company=company_a, name=code.title(), code=code, url="https://e.example/", trigger=Trigger.TASK,
            workflow=workflow_a,
        )  # fmt: skip

    paused = health(make("paused"), active=False, reason=InactiveReason.PAUSED_GONE)
    failing = health(make("failing"))
    stopped = make("stopped")
    stopped.deactivate()

    html = staff_client.get(reverse("webhooks:list")).content.decode()

    # A paused webhook is listed without "Show disabled"; one deactivated by hand is not.
    assert f'class="paused" data-webhook="{paused.pk}" data-health="paused"' in html
    assert (
        '<span class="badge badge-paused">Paused</span> '
        '<span class="muted">Paused: the receiver answered 410 Gone.' in html
    )
    resume = reverse("webhooks:resume", args=[paused.pk]) + "?from=list"
    assert f'id="resume-{paused.pk}" href="{resume}" hx-get="{resume}"' in html
    assert f'data-webhook="{failing.pk}" data-health="failing"' in html
    assert (
        '<span class="badge badge-failing">Failing</span> <span class="muted">The last 12 deliveries failed'
        in html
    )
    assert stopped.pk not in html
    disabled = staff_client.get(reverse("webhooks:list") + "?disabled=1").content.decode()
    assert f'class="disabled" data-webhook="{stopped.pk}" data-health="healthy"' in disabled


def test_the_list_fragment_keeps_the_badges(staff_client, webhook):
    health(webhook, active=False, reason=InactiveReason.PAUSED_FAILING)
    response = staff_client.get(reverse("webhooks:list"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="webhooks-panel"' in html and "badge-paused" in html
    assert '<dialog id="resume-dialog"' not in html  # the dialog is the page's, outside the fragment


# --- logs ------------------------------------------------------------------------------------


@pytest.fixture
def logs(webhook, company_a):
    event = Event.objects.create(company=company_a, type="task", action="create", body="{}")
    skipped = Delivery.objects.create(
        company=company_a, webhook=webhook, event=event, state=Delivery.State.SKIPPED
    )
    failed = Delivery.objects.create(
        company=company_a,
        webhook=webhook,
        event=event,
        state=Delivery.State.FAILED,
        attempts=3,
        status_code=503,
    )
    return skipped, failed


def test_skipped_deliveries_are_shown_and_filterable(staff_client, webhook, logs):
    skipped, failed = logs
    logs_url = reverse("webhooks:logs", args=[webhook.pk])

    everything = staff_client.get(logs_url).content.decode()
    assert '<option value="skipped">SKIPPED</option>' in everything
    assert f'data-delivery="{skipped.object_id}" data-state="skipped"' in everything
    assert '<span class="badge badge-pending">SKIPPED</span>' in everything

    response = staff_client.get(logs_url + "?result=skipped", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="logs")
    html = response.content.decode()
    assert "<html" not in html and skipped.object_id in html and failed.object_id not in html


def test_a_retry_delayed_by_retry_after_says_so(staff_client, webhook, logs):
    _, failed = logs
    Attempt.objects.create(
        delivery=failed, number=1, started_at=SINCE, status_code=503, duration_ms=12, retry_after=120
    )
    Attempt.objects.create(delivery=failed, number=2, started_at=SINCE, status_code=503, duration_ms=9)

    html = staff_client.get(
        reverse("webhooks:delivery", args=[webhook.pk, failed.object_id])
    ).content.decode()

    assert (
        '<p class="muted" id="attempt-retry-after-1">The receiver asked to wait (Retry-After): '
        "the next attempt waited 120 s.</p>" in html
    )
    assert 'id="attempt-retry-after-2"' not in html
