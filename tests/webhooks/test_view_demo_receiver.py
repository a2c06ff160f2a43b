"""webhooks:demo_receiver — development only: receives like any receiver, shows staff their
company's deliveries only."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from webhooks.panel.demo import DEMO_RECEIVED_KEY

URL = "/demo/receiver/"


@pytest.fixture(autouse=True)
def demo_on(settings):
    settings.WEBHOOK_DEMO_RECEIVER = True
    cache.delete(DEMO_RECEIVED_KEY)
    yield
    cache.delete(DEMO_RECEIVED_KEY)


def post_event(client, company_id: str, marker: str, webhook_id: str) -> None:
    body = json.dumps({"company": company_id, "type": "COTTask", "data": {"name": marker}})
    response = client.post(URL, body, content_type="application/json", HTTP_WEBHOOK_ID=webhook_id)
    assert response.status_code == 200 and response.json() == {"received": True}


def test_it_receives_without_a_login_and_shows_staff_only_their_companys_events(
    client, staff_client, company_a, company_b
):
    post_event(client, company_a.pk, "for A <b>", "msg_a")
    post_event(client, company_b.pk, "for B", "msg_b")

    html = staff_client.get(URL).content.decode()

    assert "msg_a" in html and "for A &lt;b&gt;" in html and "<b>" not in html
    assert "msg_b" not in html and "for B" not in html


def test_the_page_requires_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_is_for_staff_only(client, member_a):
    client.force_login(member_a)
    assert client.get(URL).status_code == 403


def test_a_body_that_is_not_json_is_kept_but_shown_to_nobody(client, staff_client):
    assert client.post(URL, "plain text", content_type="text/plain").status_code == 200
    assert "plain text" not in staff_client.get(URL).content.decode()


def test_it_is_a_404_when_the_demo_receiver_is_off(staff_client, settings):
    settings.WEBHOOK_DEMO_RECEIVER = False
    assert staff_client.get(URL).status_code == 404
    assert staff_client.post(URL, "{}", content_type="application/json").status_code == 404


def test_wrong_method(staff_client):
    assert staff_client.put(URL).status_code == 405


def test_a_deeply_nested_body_is_kept_as_text_not_a_server_error(client, staff_client, company_a):
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(URL, body, content_type="application/json", HTTP_WEBHOOK_ID="msg_deep")

    assert response.status_code == 200 and response.json() == {"received": True}
    (entry,) = cache.get(DEMO_RECEIVED_KEY)
    assert (entry["id"], entry["company"], entry["body"]) == ("msg_deep", None, body)
    assert "msg_deep" not in staff_client.get(URL).content.decode()  # no company: shown to nobody
