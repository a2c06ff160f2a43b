"""The operational webhook (webhooks.alerts): a system webhook per company that gets the alerts
about the company's other webhooks, through the same engine, signed and in order."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from standardwebhooks import Webhook as StandardWebhook

from events.models import Task, User
from tests.receiver import Reply
from webhooks import alerts, services
from webhooks.alert_signals import (
    DELIVERY_EXHAUSTED,
    WEBHOOK_FAILING,
    WEBHOOK_PAUSED,
    WEBHOOK_RECOVERED,
    webhook_alert,
)
from webhooks.engine import delivery as engine
from webhooks.engine import resend
from webhooks.models import ALERTS_CODE, Delivery, Event, Trigger, Webhook

DETAILS = {
    "failures": 20,
    "since": "2026-12-06T18:00:00.000Z",
    "last_error": "HTTP 503",
    "status_code": 503,
    "delivery_id": None,
}


@pytest.fixture(autouse=True)
def no_email_tasks(monkeypatch, settings):
    """Emails are tested in test_alert_emails.py: here their task is only recorded."""
    settings.SITE_URL = "https://webhooks.example.com"
    queued = []
    monkeypatch.setattr(alerts, "async_task", lambda func, *args: queued.append((func, args)))
    return queued


@pytest.fixture
def orders(company_a, workflow_a) -> Webhook:
    return Webhook.objects.create(
        company=company_a, name="Orders", code="orders", url="https://user-hooks.example.com/in?token=t0ken",
        trigger=Trigger.TASK, workflow=workflow_a,
    )  # fmt: skip


def transition(webhook: Webhook, kind: str, captured, **details) -> None:
    with captured(execute=True):
        webhook_alert.send(sender=Webhook, webhook_id=webhook.pk, kind=kind, details={**DETAILS, **details})


# --- the alerts URL ------------------------------------------------------------


def test_setting_an_alerts_url_creates_one_system_webhook_with_a_secret_of_its_own(company_a, orders):
    created = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/alerts")

    assert (created.trigger, created.code, created.is_active) == (Trigger.ALERTS, ALERTS_CODE, True)
    assert created.secret.startswith("whsec_") and created.secret != orders.secret
    assert alerts.alerts_webhook(company_id=company_a.pk) == created
    assert list(Webhook.objects.for_company(company_a.pk).regular()) == [orders]


def test_a_new_url_changes_the_same_webhook_and_an_empty_one_removes_it(company_a):
    first = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/alerts")
    again = alerts.alerts_webhook_set(company=company_a, url="https://other.example.com/ops")

    assert again.pk == first.pk and again.secret == first.secret
    assert Webhook.objects.get(pk=first.pk).url == "https://other.example.com/ops"
    assert alerts.alerts_webhook_set(company=company_a, url="") is None
    assert not Webhook.objects.filter(pk=first.pk).exists()
    assert alerts.alerts_webhook_set(company=company_a, url=None) is None  # nothing to remove


@pytest.mark.parametrize(
    "url",
    [
        "ftp://ops.example.com/",
        "not a url",
        "https://user:pw@ops.example.com/",
        "https://x.com/" + "a" * 2000,
    ],
)
def test_a_url_a_webhook_could_not_have_is_refused_on_the_url_field(company_a, url):
    with pytest.raises(ValidationError) as refused:
        alerts.alerts_webhook_set(company=company_a, url=url)

    assert list(refused.value.message_dict) == ["url"]
    assert not Webhook.objects.filter(trigger=Trigger.ALERTS).exists()


def test_the_alerts_trigger_is_never_offered_for_a_webhook_an_administrator_creates(staff_client):
    page = staff_client.get(reverse("webhooks:create")).content.decode()

    assert 'value="create-edit-delete-user"' in page
    assert 'value="alerts"' not in page


def test_the_panel_list_leaves_the_alerts_webhook_out_and_its_settings_page_is_not_found(
    staff_client, company_a, orders
):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/alerts")

    listed = staff_client.get(reverse("webhooks:list"), {"disabled": "1"}).content.decode()
    assert "Orders" in listed and "Operational alerts" not in listed and own.pk not in listed
    assert staff_client.get(reverse("webhooks:edit", args=[own.pk])).status_code == 404
    assert (
        staff_client.post(reverse("webhooks:set_active", args=[own.pk]), {"active": "0"}).status_code == 404
    )
    assert Webhook.objects.get(pk=own.pk).is_active


# --- routing: alerts to the alerts webhook, and only alerts ------------------------


def test_an_alert_becomes_an_event_delivered_to_its_companys_alerts_webhook_only(
    company_a, company_b, orders, django_capture_on_commit_callbacks
):
    ours = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")
    alerts.alerts_webhook_set(company=company_b, url="https://ops.example.com/b")
    users = Webhook.objects.create(
        company=company_a, name="Users", code="users", url="https://u.example.com/", trigger=Trigger.USER
    )

    transition(orders, WEBHOOK_PAUSED, django_capture_on_commit_callbacks)

    event = Event.objects.get()
    assert (event.company_id, event.type, event.action) == (company_a.pk, "webhook.paused", "paused")
    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [ours.pk]
    body = json.loads(event.body)
    assert body == {
        "company": company_a.pk,
        "type": "webhook.paused",
        "event": "paused",
        "data": {
            "webhookId": orders.pk,
            "name": "Orders",
            "urlHost": "user-hooks.example.com",
            "failures": 20,
            "since": "2026-12-06T18:00:00.000Z",
            "lastError": "HTTP 503",
            "statusCode": 503,
            "settingsUrl": f"https://webhooks.example.com/webhooks/{orders.pk}/",
        },
        "diff": {},
        "extraData": None,
        "createdAt": body["createdAt"],
    }
    assert not Delivery.objects.filter(webhook=users).exists()


def test_a_delivery_that_used_up_its_attempts_names_the_delivery(
    company_a, orders, django_capture_on_commit_callbacks, no_email_tasks
):
    alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")

    transition(
        orders, DELIVERY_EXHAUSTED, django_capture_on_commit_callbacks, delivery_id="6b0933916d55676e79eeb5aa"
    )

    data = json.loads(Event.objects.get().body)["data"]
    assert (data["deliveryId"], data["failures"]) == ("6b0933916d55676e79eeb5aa", 20)
    assert no_email_tasks == []  # no email for one delivery


def test_a_company_without_an_alerts_url_stores_no_alert_event(
    orders, django_capture_on_commit_callbacks, no_email_tasks
):
    transition(orders, WEBHOOK_FAILING, django_capture_on_commit_callbacks)

    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert [func for func, _ in no_email_tasks] == ["webhooks.tasks.alert_email_send"]  # the email still goes


def test_domain_changes_never_reach_the_alerts_webhook(company_a, workflow_a, orders):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")

    Task.objects.create(company=company_a, workflow=workflow_a, name="A task")
    User.objects.create_user("someone@example.com", "pw-someone-1", company=company_a)

    assert Delivery.objects.filter(webhook=orders).count() == 1
    assert not Delivery.objects.filter(webhook=own).exists()


def test_the_alerts_webhook_failing_raises_no_alert_so_there_is_no_loop(
    company_a, django_capture_on_commit_callbacks, no_email_tasks
):
    own = alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")

    for kind in (WEBHOOK_FAILING, WEBHOOK_PAUSED, DELIVERY_EXHAUSTED):
        transition(own, kind, django_capture_on_commit_callbacks)

    assert not Event.objects.exists() and no_email_tasks == []


def test_an_unknown_kind_or_webhook_is_ignored(orders, company_a, django_capture_on_commit_callbacks):
    alerts.alerts_webhook_set(company=company_a, url="https://ops.example.com/a")

    transition(orders, "webhook.exploded", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_alert.send(sender=Webhook, webhook_id="0" * 24, kind=WEBHOOK_PAUSED, details=DETAILS)

    assert not Event.objects.exists()


# --- through the engine: signed, in order, retried ---------------------------------


def test_alerts_reach_a_real_receiver_signed_and_in_order_and_a_refused_one_is_retried_first(
    company_a, orders, receiver, fast_retries, django_capture_on_commit_callbacks
):
    own = alerts.alerts_webhook_set(company=company_a, url=receiver.url("/ops"))
    receiver.script("/ops", Reply(503))  # the first try of the first alert is refused
    kinds = [WEBHOOK_FAILING, WEBHOOK_PAUSED, DELIVERY_EXHAUSTED, WEBHOOK_RECOVERED]
    for kind in kinds:
        transition(orders, kind, django_capture_on_commit_callbacks, delivery_id="6b0933916d55676e79eeb5aa")

    while Delivery.objects.filter(webhook=own, state="pending").exists():
        engine.webhook_drain(webhook_id=own.pk)

    requests = receiver.on("/ops")
    sent = [StandardWebhook(own.secret).verify(r.body, r.headers) for r in requests]
    assert [alert["type"] for alert in sent] == [WEBHOOK_FAILING, *kinds]
    assert {alert["data"]["webhookId"] for alert in sent} == {orders.pk}
    assert requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]  # a retry
    assert list(Delivery.objects.filter(webhook=own).order_by("id").values_list("state", "attempts")) == [
        ("success", 2),
        ("success", 1),
        ("success", 1),
        ("success", 1),
    ]


def test_its_secret_rotates_like_any_webhooks_and_a_test_event_says_it_is_one(company_a, receiver):
    own = alerts.alerts_webhook_set(company=company_a, url=receiver.url("/ops"))
    old = own.secret
    services.webhook_rotate_secret(webhook=own)

    log = resend.webhook_send_test(webhook=own)

    (request,) = receiver.on("/ops")
    sent = StandardWebhook(own.secret).verify(request.body, request.headers)
    StandardWebhook(old).verify(request.body, request.headers)  # both sign during the grace
    assert (sent["type"], sent["event"], log.state) == ("webhook.test", "test", "success")
