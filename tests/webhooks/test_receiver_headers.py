"""Custom request headers (receiver authentication): set in the API and the panel, sent with every
attempt, write-only (never returned, never stored with an attempt), and refused when reserved."""

import logging

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from events.models import Task
from webhooks import services
from webhooks.engine import delivery as engine
from webhooks.engine import http, resend
from webhooks.models import Attempt, Delivery, Trigger, Webhook

BASE = "/api/v3/webhook/subscription"
TOKEN = "Bearer erp-secret-0123456789"


@pytest.fixture
def body(workflow_a) -> dict:
    return {
        "name": "ERP",
        "code": "erp",
        "url": "https://erp.example.com/hook",
        "trigger": "create-edit-delete-task",
        "context": {"taskGroup": workflow_a.pk},
        "headers": {"Authorization": TOKEN, "X-Api-Key": "key-42"},
    }


def test_the_api_stores_headers_and_returns_their_names_only(api, body):
    response = api.post(BASE, body, format="json")

    assert response.status_code == 201
    assert response.json()["headers"] == {"Authorization": None, "X-Api-Key": None}
    webhook = Webhook.objects.get(pk=response.json()["_id"])
    assert webhook.receiver_headers() == {"Authorization": TOKEN, "X-Api-Key": "key-42"}
    for read in (api.get(f"{BASE}/{webhook.pk}"), api.get(BASE)):
        assert TOKEN not in read.content.decode() and "key-42" not in read.content.decode()


def test_a_read_sent_back_keeps_the_values_and_a_new_value_replaces_one(api, body):
    created = api.post(BASE, body, format="json").json()

    put_back = api.put(f"{BASE}/{created['_id']}", created, format="json")
    assert put_back.status_code == 200, put_back.json()
    webhook = Webhook.objects.get(pk=created["_id"])
    assert webhook.receiver_headers() == {"Authorization": TOKEN, "X-Api-Key": "key-42"}

    headers = {"authorization": None, "X-Env": "prod"}
    patched = api.patch(f"{BASE}/{webhook.pk}", {"headers": headers}, format="json")

    assert patched.status_code == 200
    webhook.refresh_from_db()
    assert webhook.receiver_headers() == {"authorization": TOKEN, "X-Env": "prod"}


def test_a_put_without_headers_keeps_them_and_an_empty_object_removes_them(api, body):
    created = api.post(BASE, body, format="json").json()
    without = {key: value for key, value in body.items() if key != "headers"}

    assert api.put(f"{BASE}/{created['_id']}", without, format="json").status_code == 200
    assert Webhook.objects.get(pk=created["_id"]).header_names() == ["Authorization", "X-Api-Key"]
    assert api.patch(f"{BASE}/{created['_id']}", {"headers": {}}, format="json").status_code == 200
    assert Webhook.objects.get(pk=created["_id"]).receiver_headers() == {}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Host": "evil.example.com"}, "set by the product"),
        ({"Content-Length": "1"}, "set by the product"),
        ({"Transfer-Encoding": "chunked"}, "set by the product"),
        ({"webhook-signature": "v1,forged"}, "set by the product"),
        ({"Proxy-Anything": "x"}, "set by the product"),
        ({"Bad Name": "x"}, "not a valid header name"),
        ({"Host\n": "evil.example.com"}, "not a valid header name"),
        ({"X-Api-Key\n": "x"}, "not a valid header name"),
        ({"X-Padded": " Bearer x"}, "no space at either end"),
        ({"X-Euro": "€-secret"}, "printable ASCII"),
        ({"X-Injected": "a\r\nHost: evil"}, "on one line"),
        ({"X-Empty": ""}, "Give a value"),
        ({"X-New": None}, "Give a value"),
        ({f"X-{n}": "v" for n in range(21)}, "At most 20"),
    ],
)
def test_reserved_or_malformed_headers_are_refused_with_400(api, body, headers, message):
    response = api.post(BASE, {**body, "headers": headers}, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()["headers"])
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("headers", [["Authorization"], {"X-Number": 5}, "Authorization: x"])
def test_headers_of_the_wrong_shape_are_refused_with_400(api, body, headers):
    response = api.post(BASE, {**body, "headers": headers}, format="json")

    assert response.status_code == 400 and "headers" in response.json()


def test_a_url_with_credentials_is_refused_pointing_to_custom_headers(api, body):
    response = api.post(BASE, {**body, "url": "https://user:pass@erp.example.com/hook"}, format="json")

    assert response.status_code == 400
    assert "custom request header" in response.json()["url"][0]
    assert not Webhook.objects.exists()


def test_every_attempt_sends_the_headers_and_stores_only_their_names(db, receiver, make_webhook, workflow_a):
    webhook = make_webhook(receiver.url("/hook"))
    services.webhook_update(webhook=webhook, headers={"Authorization": TOKEN})
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Task")

    assert engine.webhook_drain(webhook_id=webhook.pk) == 1

    (request,) = receiver.on("/hook")
    assert request.headers["authorization"] == TOKEN
    attempt = Attempt.objects.get()
    assert attempt.request_headers["Authorization"] == "(hidden)"
    assert TOKEN not in str(attempt.request_headers)
    assert Delivery.objects.get().state == Delivery.State.SUCCESS


def test_the_send_test_sends_them_too(db, receiver, make_webhook):
    webhook = make_webhook(receiver.url("/test"))
    services.webhook_update(webhook=webhook, headers={"X-Api-Key": "key-42"})

    resend.webhook_send_test(webhook=webhook)

    (request,) = receiver.on("/test")
    assert request.headers["x-api-key"] == "key-42"
    assert Attempt.objects.get().request_headers["X-Api-Key"] == "(hidden)"


def test_a_signing_header_cannot_be_overridden_even_if_stored(db, receiver, make_webhook, workflow_a):
    """Validation refuses webhook-* names; the engine sends its own last in any case."""
    webhook = make_webhook(receiver.url("/hook"))
    webhook.sealed_headers = '{"webhook-id": "forged"}'
    Webhook.objects.filter(pk=webhook.pk).update(sealed_headers=webhook.sealed_headers)
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Task")

    engine.webhook_drain(webhook_id=webhook.pk)

    (request,) = receiver.on("/hook")
    assert request.headers["webhook-id"] == Delivery.objects.get().object_id


def test_the_model_rule_is_the_one_the_services_use(company_a):
    with pytest.raises(ValidationError) as error:
        services.webhook_create(
            company_id=company_a.pk,
            code="x",
            name="X",
            url="https://x.example.com/",
            trigger=Trigger.USER,
            headers={"Connection": "close"},
        )
    assert "set by the product" in str(error.value.message_dict["headers"])


# --- panel


def edit_url(webhook: Webhook) -> str:
    return reverse("webhooks:edit", args=[webhook.pk])


def form_data(webhook: Webhook, **rows) -> dict:
    data = {"name": webhook.name, "url": webhook.url, "description": "", "trigger": webhook.trigger}
    if webhook.workflow_id:
        data["workflow"] = webhook.workflow_id
    return {**data, **rows}


def test_the_panel_sets_a_header_and_never_shows_its_value(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")

    response = staff_client.post(
        edit_url(webhook), form_data(webhook, header_name_0="Authorization", header_value_0=TOKEN)
    )

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.receiver_headers() == {"Authorization": TOKEN}
    html = staff_client.get(edit_url(webhook)).content.decode()
    assert 'value="Authorization"' in html and TOKEN not in html
    assert 'name="header_remove_0"' in html and 'placeholder="Unchanged"' in html


def test_the_panel_keeps_an_empty_value_and_removes_a_checked_row(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")
    services.webhook_update(webhook=webhook, headers={"Authorization": TOKEN, "X-Old": "old"})

    staff_client.post(
        edit_url(webhook),
        form_data(
            webhook,
            header_name_0="Authorization",
            header_value_0="",
            header_name_1="X-Old",
            header_remove_1="on",
            header_name_2="X-New",
            header_value_2="new",
        ),
    )

    webhook.refresh_from_db()
    assert webhook.receiver_headers() == {"Authorization": TOKEN, "X-New": "new"}


def test_the_panel_shows_a_reserved_header_as_an_error_and_saves_nothing(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")

    data = form_data(webhook, header_name_0="Host", header_value_0="x")
    response = staff_client.post(edit_url(webhook), data)

    assert response.status_code == 200
    assert "is set by the product" in response.content.decode()
    webhook.refresh_from_db()
    assert webhook.receiver_headers() == {}


def test_the_panel_refuses_a_value_without_a_name(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")

    response = staff_client.post(edit_url(webhook), form_data(webhook, header_value_0="orphan"))

    assert response.status_code == 200 and "Give the header&#x27;s name." in response.content.decode()
    assert Webhook.objects.get(pk=webhook.pk).receiver_headers() == {}


def test_a_header_error_at_send_time_logs_no_value(db, receiver):
    """Defence in depth for rows stored before the value rule: the log names the error's class."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("webhooks.http")
    logger.addHandler(handler)
    old_level, logger.level = logger.level, logging.INFO
    try:
        for value in (" leading-SECRETVAL", "€-SECRETVAL"):
            result = http.post_json(receiver.url("/hook"), b"{}", {"X-Key": value})
            assert result.status_code is None and "SECRETVAL" not in result.error
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert len(records) == 2 and not any("SECRETVAL" in record.getMessage() for record in records)


# --- a new receiver host must be given the header values again (docs/security.md)


@pytest.fixture
def with_headers(api, body) -> Webhook:
    return Webhook.objects.get(pk=api.post(BASE, body, format="json").json()["_id"])


@pytest.mark.parametrize(
    "url",
    ["https://attacker.example.net/hook", "http://erp.example.com/hook", "https://erp.example.com:8443/hook"],
)
def test_the_api_refuses_a_new_host_scheme_or_port_that_would_take_the_stored_values(api, with_headers, url):
    response = api.patch(f"{BASE}/{with_headers.pk}", {"url": url}, format="json")

    assert response.status_code == 400
    (message,) = response.json()["headers"]
    assert "“Authorization”, “X-Api-Key”" in message and "again" in message
    with_headers.refresh_from_db()
    assert with_headers.url == "https://erp.example.com/hook"


def test_the_api_refuses_a_new_host_when_a_value_is_kept_with_null(api, with_headers):
    headers = {"Authorization": "Bearer new-host-token", "X-Api-Key": None}
    response = api.patch(
        f"{BASE}/{with_headers.pk}", {"url": "https://new.example.net/", "headers": headers}, format="json"
    )

    assert response.status_code == 400
    assert "“X-Api-Key”" in response.json()["headers"][0]
    assert "Authorization" not in response.json()["headers"][0]


def test_the_api_moves_to_a_new_host_with_new_values_or_without_the_headers(api, with_headers):
    headers = {"Authorization": "Bearer new-host-token", "X-Api-Key": "key-43"}
    moved = api.patch(
        f"{BASE}/{with_headers.pk}", {"url": "https://new.example.net/", "headers": headers}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    with_headers.refresh_from_db()
    assert with_headers.receiver_headers() == headers

    dropped = api.patch(
        f"{BASE}/{with_headers.pk}", {"url": "https://other.example.org/", "headers": {}}, format="json"
    )
    assert dropped.status_code == 200
    with_headers.refresh_from_db()
    assert (with_headers.url, with_headers.receiver_headers()) == ("https://other.example.org/", {})


def test_a_new_path_or_query_on_the_same_host_keeps_the_values(api, with_headers):
    response = api.patch(
        f"{BASE}/{with_headers.pk}", {"url": "https://ERP.example.com:443/v2/hook?x=1"}, format="json"
    )

    assert response.status_code == 200
    with_headers.refresh_from_db()
    assert with_headers.receiver_headers() == {"Authorization": TOKEN, "X-Api-Key": "key-42"}


def test_any_full_clean_refuses_it_so_the_django_admin_does_too(with_headers):
    with_headers.url = "https://attacker.example.net/hook"

    with pytest.raises(ValidationError) as refused:
        with_headers.full_clean()

    assert "headers" in refused.value.message_dict


def test_the_panel_refuses_a_new_host_without_the_values_again(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")
    services.webhook_update(webhook=webhook, headers={"Authorization": TOKEN})

    response = staff_client.post(
        edit_url(webhook),
        {**form_data(webhook), "url": "https://attacker.example.net/", "header_name_0": "Authorization"},
    )

    assert response.status_code == 200
    assert "give the value of “Authorization” again" in response.content.decode()
    webhook.refresh_from_db()
    assert webhook.url == "https://erp.example.com/hook"


def test_the_panel_moves_to_a_new_host_with_a_new_value(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")
    services.webhook_update(webhook=webhook, headers={"Authorization": TOKEN})

    response = staff_client.post(
        edit_url(webhook),
        {
            **form_data(webhook),
            "url": "https://new.example.net/",
            "header_name_0": "Authorization",
            "header_value_0": "Bearer for-the-new-host",
        },
    )

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.receiver_headers() == {"Authorization": "Bearer for-the-new-host"}


def test_the_panel_offers_two_blank_rows_below_the_stored_headers(staff_client, make_webhook):
    webhook = make_webhook("https://erp.example.com/hook")
    new = staff_client.get(reverse("webhooks:create")).content.decode()
    services.webhook_update(webhook=webhook, headers={"Authorization": TOKEN})

    html = staff_client.get(edit_url(webhook)).content.decode()

    assert 'name="header_name_0"' in new and 'name="header_name_1"' in new
    assert 'name="header_name_2"' not in new
    assert 'name="header_remove_0"' in html and 'name="header_name_2"' in html
    assert 'name="header_remove_1"' not in html and 'name="header_name_3"' not in html
