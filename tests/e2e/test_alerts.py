"""Alerts end to end: a real qcluster mails the administrators through a real SMTP server
(aiosmtpd, on loopback) and delivers the operational webhook's signed alerts, in order."""

import email
import email.policy
import json
import threading

import pytest
from aiosmtpd.controller import Controller
from standardwebhooks import Webhook as StandardWebhook

from events.models import User
from tests.e2e.conftest import wait_until
from tests.receiver import Reply
from webhooks import alerts
from webhooks.alert_signals import (
    DELIVERY_EXHAUSTED,
    WEBHOOK_FAILING,
    WEBHOOK_PAUSED,
    WEBHOOK_RECOVERED,
    webhook_alert,
)
from webhooks.models import Delivery, Trigger, Webhook

SITE = "https://webhooks.example.com"


class Mailbox:
    """aiosmtpd's handler: every message the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        with self.lock:
            return list(self.messages)


@pytest.fixture
def smtp_server(unused_port):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=unused_port)
    controller.start()
    yield controller, mailbox
    controller.stop()


def test_each_transition_mails_each_administrator_once_over_smtp_and_the_alerts_arrive_signed_in_order(
    start_cluster, receiver, smtp_server, settings, company_a, company_b, admin_a, admin_b, workflow_a
):
    controller, mailbox = smtp_server
    settings.SITE_URL = SITE
    User.objects.filter(pk=admin_a.pk).update(language="en")
    User.objects.create_user(
        "admin-es@example.com", "pw-admin-es-1", company=company_a, is_staff=True, language="es"
    )
    orders = Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url=receiver.url("/orders?token=t0ken"),
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip
    ops = alerts.alerts_webhook_set(company=company_a, url=receiver.url("/ops"))
    start_cluster(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=controller.hostname,
        EMAIL_PORT=str(controller.port),
        DEFAULT_FROM_EMAIL="alerts@webhooks.example.com",
        SITE_URL=SITE,
    )

    # The engine sends these after each transition commits; this test is the engine.
    kinds = [WEBHOOK_FAILING, WEBHOOK_PAUSED, DELIVERY_EXHAUSTED, WEBHOOK_RECOVERED]
    for failures, kind in zip([5, 20, 20, 0], kinds, strict=True):
        details = {
            "failures": failures,
            "since": "2026-12-06T18:00:00.000Z" if failures else None,
            "last_error": "HTTP 503",
            "status_code": 503 if failures else None,
            "delivery_id": "6b0933916d55676e79eeb5aa" if kind == DELIVERY_EXHAUSTED else None,
        }
        webhook_alert.send(sender=Webhook, webhook_id=orders.pk, kind=kind, details=details)

    requests = receiver.wait_for("/ops", 4)
    sent = [StandardWebhook(ops.secret).verify(r.body, r.headers) for r in requests]
    assert [alert["type"] for alert in sent] == kinds
    assert [alert["data"]["failures"] for alert in sent] == [5, 20, 20, 0]
    assert sent[2]["data"]["deliveryId"] == "6b0933916d55676e79eeb5aa"
    assert {alert["data"]["urlHost"] for alert in sent} == {f"127.0.0.1:{receiver.port}"}
    assert all(json.loads(r.body)["data"]["settingsUrl"] == f"{SITE}/webhooks/{orders.pk}/" for r in requests)
    wait_until(
        lambda: Delivery.objects.filter(webhook=ops, state="success").count() == 4,
        message="the four alerts logged as delivered",
    )

    wait_until(lambda: len(mailbox.received()) >= 6, message="six emails at the SMTP server")
    received = mailbox.received()
    subjects: dict[str, list[str]] = {}
    for recipients, message in received:
        assert len(recipients) == 1 and message["From"] == "alerts@webhooks.example.com"
        body = message.get_content()
        assert f"{SITE}/webhooks/{orders.pk}/" in body and "t0ken" not in body
        subjects.setdefault(recipients[0], []).append(str(message["Subject"]))
    # Each email is a task of its own: two workers may send two transitions' emails at once.
    assert {recipient: sorted(sent) for recipient, sent in subjects.items()} == {
        "admin-a@example.com": [
            "Webhook “Orders” is delivering again",
            "Webhook “Orders” is failing",
            "Webhook “Orders” was paused",
        ],
        "admin-es@example.com": [
            "El webhook «Orders» está fallando",
            "El webhook «Orders» fue pausado",
            "El webhook «Orders» vuelve a entregar",
        ],
    }
    assert admin_b.email not in subjects
    assert receiver.on("/orders") == []


def test_a_receiver_that_keeps_failing_is_announced_failing_paused_and_recovered_by_email_and_alerts(
    start_cluster, receiver, smtp_server, settings, company_a, admin_a, workflow_a
):
    """The engine's own transitions (webhooks.engine.failing, issue 23's health and auto-pause)
    drive the alerts: a receiver answering 503 for four deliveries, then resumed."""
    failing = pytest.importorskip(
        "webhooks.engine.failing", reason="the engine's health (issue 23) is not here"
    )
    from events.models import Task
    from webhooks import services

    controller, mailbox = smtp_server
    settings.SITE_URL = SITE
    orders = Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url=receiver.url("/orders"),
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip
    ops = alerts.alerts_webhook_set(company=company_a, url=receiver.url("/ops"))
    receiver.script("/orders", then=Reply(503))
    start_cluster(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=controller.hostname,
        EMAIL_PORT=str(controller.port),
        SITE_URL=SITE,
        WEBHOOK_MAX_ATTEMPTS="1",
        WEBHOOK_FAILING_AFTER="2",
        WEBHOOK_PAUSE_AFTER_FAILURES="4",
        WEBHOOK_PAUSE_AFTER_MINUTES="0",
    )
    assert failing.alerts_apply_to is alerts.alerts_apply_to

    tasks = [
        Task.objects.create(company=company_a, workflow=workflow_a, name=f"Task {n}").pk for n in range(6)
    ]
    wait_until(lambda: not Webhook.objects.get(pk=orders.pk).is_active, message="the webhook paused")
    receiver.script("/orders")  # the receiver is back
    services.webhook_resume(webhook=Webhook.objects.get(pk=orders.pk))

    delivered = receiver.wait_for("/orders", 6)
    assert [json.loads(r.body)["data"]["_id"] for r in delivered[4:]] == tasks[4:]
    expected = [
        DELIVERY_EXHAUSTED, DELIVERY_EXHAUSTED, WEBHOOK_FAILING, DELIVERY_EXHAUSTED, DELIVERY_EXHAUSTED,
        WEBHOOK_PAUSED, WEBHOOK_RECOVERED,
    ]  # fmt: skip
    requests = receiver.wait_for("/ops", len(expected))
    sent = [StandardWebhook(ops.secret).verify(r.body, r.headers) for r in requests]
    assert [alert["type"] for alert in sent] == expected
    assert sent[5]["data"]["failures"] == 4 and sent[5]["data"]["statusCode"] == 503

    wait_until(lambda: len(mailbox.received()) >= 3, message="three emails at the SMTP server")
    subjects = sorted(str(message["Subject"]) for _, message in mailbox.received())
    assert subjects == [
        "Webhook “Orders” is delivering again",
        "Webhook “Orders” is failing",
        "Webhook “Orders” was paused",
    ]
