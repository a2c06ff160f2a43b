"""Alert emails (webhooks.alerts): one per transition to each staff administrator of the company,
in their language, with what is wrong and where to fix it."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.module_loading import import_string

from events.models import User
from webhooks import alerts
from webhooks.alert_signals import (
    DELIVERY_EXHAUSTED,
    WEBHOOK_FAILING,
    WEBHOOK_PAUSED,
    WEBHOOK_RECOVERED,
    webhook_alert,
)
from webhooks.models import Trigger, Webhook

# A URL with a path and a query that carry secrets: only the host and port may be shown.
SECRET_URL = "https://hooks.example.com:8443/in/s3cret-path?token=t0ken"
DETAILS = {
    "failures": 12,
    "since": "2026-12-06T18:00:00.000Z",
    "last_error": "connection refused",
    "status_code": None,
    "delivery_id": None,
}


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://webhooks.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def tasks_run_now(monkeypatch):
    """The one seam: the email task runs in this process when queued, instead of in a cluster."""
    queued = []

    def run(func: str, *args):
        queued.append((func, args))
        return import_string(func)(*args)

    monkeypatch.setattr(alerts, "async_task", run)
    return queued


@pytest.fixture
def orders(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders & Co", code="orders", url=SECRET_URL, trigger=Trigger.TASK,
        workflow=workflow_a,
    )  # fmt: skip


@pytest.fixture
def admins(company_a, company_b, admin_a, admin_b, member_a) -> dict[str, User]:
    """Company A: an English and a Spanish administrator, a member, a former administrator."""
    admin_a.language = "en"
    admin_a.save()
    spanish = User.objects.create_user(
        "admin-es@example.com", "pw-admin-es-1", company=company_a, is_staff=True, language="es"
    )
    User.objects.create_user(
        "gone@example.com", "pw-gone-1", company=company_a, is_staff=True, is_active=False
    )
    return {"en": admin_a, "es": spanish, "other company": admin_b, "member": member_a}


def transition(webhook: Webhook, kind: str, captured, **details) -> None:
    with captured(execute=True):
        webhook_alert.send(sender=Webhook, webhook_id=webhook.pk, kind=kind, details={**DETAILS, **details})


def by_recipient() -> dict[str, mail.EmailMessage]:
    return {message.to[0]: message for message in mail.outbox}


def test_a_pause_mails_each_staff_administrator_of_the_company_once_and_nobody_else(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    transition(orders, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)

    assert sorted(by_recipient()) == ["admin-a@example.com", "admin-es@example.com"]
    assert len(mail.outbox) == 2
    assert [func for func, _ in tasks_run_now] == ["webhooks.tasks.alert_email_send"]
    assert tasks_run_now[0][1][:2] == (orders.pk, WEBHOOK_PAUSED)  # ids, not objects


def test_each_transition_is_one_email_per_administrator_and_an_exhausted_delivery_none(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    for kind in (WEBHOOK_FAILING, WEBHOOK_PAUSED, DELIVERY_EXHAUSTED, WEBHOOK_RECOVERED):
        transition(orders, kind, django_capture_on_commit_callbacks, delivery_id="6b0933916d55676e79eeb5aa")

    english = [m.subject for m in mail.outbox if m.to == ["admin-a@example.com"]]
    assert english == [
        "Webhook “Orders & Co” is failing",
        "Webhook “Orders & Co” was paused",
        "Webhook “Orders & Co” is delivering again",
    ]
    assert len(mail.outbox) == 6


def test_the_email_is_in_the_recipients_language(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    transition(orders, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)

    english, spanish = by_recipient()["admin-a@example.com"], by_recipient()["admin-es@example.com"]
    assert english.subject == "Webhook “Orders & Co” was paused"
    assert "The webhook “Orders & Co” (hooks.example.com:8443) was paused: it kept failing." in english.body
    assert "The last 12 deliveries failed (since 2026-12-06 18:00 UTC)." in english.body
    assert "Last error: connection refused." in english.body
    assert spanish.subject == "El webhook «Orders & Co» fue pausado"
    assert "El webhook «Orders & Co» (hooks.example.com:8443) fue pausado: seguía fallando." in spanish.body
    assert "Las últimas 12 entregas fallaron (desde 2026-12-06 18:00 UTC)." in spanish.body
    assert "Último error: conexión rechazada." in spanish.body
    assert "usted lo vuelva a activar" in spanish.body


def test_the_email_names_the_host_and_links_the_settings_page_but_shows_no_path_query_or_secret(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    transition(orders, WEBHOOK_FAILING, django_capture_on_commit_callbacks, status_code=503)

    message = by_recipient()["admin-a@example.com"]
    link = "https://webhooks.example.com" + reverse("webhooks:edit", args=[orders.pk])
    assert link in message.body.splitlines()
    assert "Last error: the receiver answered HTTP 503." in message.body
    assert "hooks.example.com:8443" in message.body
    for secret in ("s3cret-path", "t0ken", "/in/", orders.secret):
        assert secret not in message.body and secret not in message.subject
    assert "&amp;" not in message.body  # plain text: nothing HTML-escaped
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.from_email == "webhooks@localhost"


def test_a_recovery_says_the_receiver_is_back_without_a_run_of_failures(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    transition(orders, WEBHOOK_RECOVERED, django_capture_on_commit_callbacks, failures=0, since=None)

    body = by_recipient()["admin-a@example.com"].body
    assert "The webhook “Orders & Co” (hooks.example.com:8443) is delivering again." in body
    assert "The receiver accepted a delivery again; no action is needed." in body
    assert "failed" not in body


def test_another_companys_alert_mails_only_its_own_administrators(
    company_b, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    theirs = Webhook.objects.create(company=company_b, name="Theirs", code="theirs", url="https://b.example/")

    transition(theirs, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)

    assert [message.to for message in mail.outbox] == [["admin-b@example.com"]]


def test_the_alerts_webhook_raises_no_alert_about_itself(
    company_a, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/alerts")

    transition(own, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)

    assert mail.outbox == [] and tasks_run_now == []
    assert alerts.alerts_apply_to(own) is False


def test_a_mail_server_that_is_down_is_logged_and_does_not_reach_the_sender(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks, settings, unused_port
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", unused_port, 2

    transition(orders, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)  # does not raise

    assert alerts.alert_emails_send(webhook_id=orders.pk, kind=WEBHOOK_PAUSED, details=DETAILS) == 0


def test_a_failing_receiver_of_the_signal_never_breaks_the_engine_that_sent_it(
    orders, admins, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("the broker is down")

    monkeypatch.setattr(alerts, "alert_event_emit", broken)

    transition(orders, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)  # does not raise

    assert mail.outbox == []


def test_an_administrator_gets_the_language_they_signed_in_with_and_then_the_one_they_chose(client, admin_a):
    client.post(
        reverse("login"),
        {"username": "admin-a@example.com", "password": "pw-admin-a-1"},
        HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9",
    )
    admin_a.refresh_from_db()
    assert admin_a.language == "es"

    client.post(reverse("set_language"), {"language": "en", "next": "/webhooks/"})
    admin_a.refresh_from_db()
    assert admin_a.language == "en"


def test_a_pause_for_410_gone_says_the_receiver_asked_to_stop(
    orders, admins, tasks_run_now, django_capture_on_commit_callbacks
):
    transition(orders, WEBHOOK_PAUSED, django_capture_on_commit_callbacks, failures=1, status_code=410)

    assert "was paused: the receiver answered 410 Gone, which asks to stop sending." in (
        by_recipient()["admin-a@example.com"].body
    )
    assert "fue pausado: el receptor respondió 410 Gone, que pide dejar de enviar." in (
        by_recipient()["admin-es@example.com"].body
    )
