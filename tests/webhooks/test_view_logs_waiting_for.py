"""The Logs say what a waiting delivery waits for (object ordering): the oldest earlier pending
delivery of the same webhook about the same object, linked, in the table and the log's panel;
one query per page (webhooks.panel.queries.waiting_for)."""

import re

import pytest
from django.urls import reverse

from events.ids import new_object_id
from webhooks.models import Delivery, Event, Ordering, Webhook
from webhooks.panel.queries import waiting_for

WAITING = "Waiting for an earlier event of this object:"
TASK, OTHER_TASK = new_object_id(), new_object_id()


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(
        company=company_a, name="Hook", code="hook", url="https://a.example/", ordering=Ordering.OBJECT
    )


def queue(webhook, subject: str, **fields) -> Delivery:
    event = Event.objects.create(
        company=webhook.company, type="COTTask", action="edit", subject_id=subject, body="{}"
    )
    return Delivery.objects.create(company=webhook.company, webhook=webhook, event=event, **fields)


def logs_url(webhook) -> str:
    return reverse("webhooks:logs", args=[webhook.pk])


def delivery_url(delivery) -> str:
    return reverse("webhooks:delivery", args=[delivery.webhook_id, delivery.object_id])


def waiting_note(html: str, delivery: Delivery) -> str | None:
    match = re.search(
        rf'<p class="waiting muted" id="log-waiting-{delivery.object_id}">(.*?)</p>', html, re.S
    )
    return match and match.group(1)


def test_a_later_event_of_the_same_object_waits_for_the_oldest_one_and_links_to_it(staff_client, webhook):
    head = queue(webhook, TASK, attempts=1)  # retrying: still pending
    second = queue(webhook, TASK)
    third = queue(webhook, TASK)
    other = queue(webhook, OTHER_TASK)

    html = staff_client.get(logs_url(webhook), HTTP_HX_REQUEST="true").content.decode()

    for waiting in (second, third):
        note = waiting_note(html, waiting)
        assert note is not None and note.startswith(WAITING)
        assert f'href="{delivery_url(head)}"' in note and f'hx-get="{delivery_url(head)}"' in note
        assert f">{head.object_id}</a>" in note
    assert waiting_note(html, head) is None  # the head of its object waits for nothing
    assert waiting_note(html, other) is None  # another object goes on its own
    assert html.count(WAITING) == 2


def test_finished_deliveries_neither_wait_nor_are_waited_for(staff_client, webhook):
    queue(webhook, TASK, state=Delivery.State.SUCCESS, attempts=1)
    failed = queue(webhook, TASK, state=Delivery.State.FAILED, attempts=3)
    head = queue(webhook, TASK)
    later = queue(webhook, TASK)

    assert waiting_for(webhook, [failed, head, later]) == {later.pk: head}
    html = staff_client.get(logs_url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert html.count(WAITING) == 1 and head.object_id in waiting_note(html, later)


def test_nothing_waits_in_webhook_ordering(staff_client, webhook):
    webhook.ordering = Ordering.WEBHOOK
    webhook.save()
    deliveries = [queue(webhook, TASK), queue(webhook, TASK)]

    assert waiting_for(webhook, deliveries) == {}
    assert WAITING not in staff_client.get(logs_url(webhook), HTTP_HX_REQUEST="true").content.decode()


def test_deliveries_queued_before_the_switch_to_object_mode_keep_the_webhook_order(webhook):
    webhook.ordering = Ordering.WEBHOOK
    webhook.save()
    before = [queue(webhook, TASK), queue(webhook, TASK)]
    webhook.ordering = Ordering.OBJECT
    webhook.save()
    assert webhook.per_object_after == before[-1].pk
    after = queue(webhook, TASK)

    assert waiting_for(webhook, [*before, after]) == {after.pk: before[0]}


def test_events_about_no_object_never_wait(webhook):
    tests = [queue(webhook, ""), queue(webhook, "")]

    assert waiting_for(webhook, tests) == {}


def test_the_earlier_delivery_is_one_of_the_same_webhook(webhook, company_a, company_b):
    other_hook = Webhook.objects.create(
        company=company_a, name="Other", code="other", url="https://a.example/", ordering=Ordering.OBJECT
    )
    foreign = Webhook.objects.create(
        company=company_b, name="B", code="b", url="https://a.example/", ordering=Ordering.OBJECT
    )
    queue(other_hook, TASK)
    queue(foreign, TASK)
    mine = queue(webhook, TASK)

    assert waiting_for(webhook, [mine]) == {}


def test_the_returned_delivery_reads_like_a_delivery(webhook):
    head, later = queue(webhook, TASK), queue(webhook, TASK)

    (earlier,) = waiting_for(webhook, [later]).values()

    assert (earlier.pk, earlier.object_id, earlier.webhook_id) == (head.pk, head.object_id, webhook.pk)
    assert earlier.event_id == head.event_id  # read on access


def test_the_logs_panel_of_a_waiting_delivery_links_to_what_it_waits_for(staff_client, webhook):
    head, later = queue(webhook, TASK), queue(webhook, TASK)

    page = staff_client.get(delivery_url(later)).content.decode()
    fragment = staff_client.get(delivery_url(later), HTTP_HX_REQUEST="true").content.decode()

    assert (
        WAITING in page and f'href="{delivery_url(head)}"' in page and "hx-get" not in page.split(WAITING)[1]
    )
    assert f'hx-get="{delivery_url(head)}"' in fragment and 'hx-target="#log-dialog-body"' in fragment
    assert WAITING not in staff_client.get(delivery_url(head)).content.decode()


def test_it_is_said_in_spanish_too(staff_client, webhook):
    queue(webhook, TASK)
    later = queue(webhook, TASK)

    html = staff_client.get(delivery_url(later), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Esperando un evento anterior de este objeto:" in html


def test_one_query_per_page_whatever_the_number_of_waiting_rows(
    staff_client, webhook, django_assert_num_queries
):
    url = logs_url(webhook)
    queue(webhook, TASK)
    queue(webhook, TASK)
    # session, user, webhook, count, page, and what the page's pending rows wait for
    with django_assert_num_queries(6):
        html = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert html.count(WAITING) == 1

    for _ in range(10):
        queue(webhook, TASK)
        queue(webhook, OTHER_TASK)
    with django_assert_num_queries(6):
        html = staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert html.count(WAITING) == 10
    with django_assert_num_queries(6):
        html = staff_client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert html.count(WAITING) == 9  # the other task's first event waits for nothing


def test_a_page_without_pending_rows_runs_no_extra_query(staff_client, webhook, django_assert_num_queries):
    for _ in range(3):
        queue(webhook, TASK, state=Delivery.State.SUCCESS, attempts=1)

    with django_assert_num_queries(5):
        staff_client.get(logs_url(webhook), HTTP_HX_REQUEST="true")


def test_another_companys_delivery_is_a_404(client, admin_b, webhook):
    queue(webhook, TASK)
    later = queue(webhook, TASK)
    client.force_login(admin_b)

    assert client.get(delivery_url(later)).status_code == 404
    assert client.get(logs_url(webhook)).status_code == 404
