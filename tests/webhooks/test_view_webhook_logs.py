"""webhooks:logs — the Logs table of the settings panel (paginated, polled while in progress)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from webhooks.models import Delivery, Event, Webhook


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


@pytest.fixture
def event(company_a):
    return Event.objects.create(company=company_a, type="COTUser", action="edit", body='{"event": "edit"}')


def url(webhook):
    return reverse("webhooks:logs", args=[webhook.pk])


def log(webhook, event, **fields):
    return Delivery.objects.create(company=webhook.company, webhook=webhook, event=event, **fields)


def test_fragment_for_htmx_with_all_result_labels(staff_client, webhook, event):
    log(webhook, event, state="success", status_code=200, attempts=1)
    log(webhook, event, state="failed", status_code=409, attempts=3)
    log(webhook, event, state="pending", attempts=0)
    log(webhook, event, state="pending", attempts=1, status_code=503)
    response = staff_client.get(url(webhook), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="logs"' in html
    for label in ("SUCCESS", "FAILED", "PENDING", "RETRYING"):
        assert f">{label}<" in html
    assert 'hx-trigger="every 2s"' in html  # pending rows: polled


def test_full_page_otherwise(staff_client, webhook):
    html = staff_client.get(url(webhook)).content.decode()
    assert "<html" in html and "General information" in html and 'id="logs"' in html


def test_first_page_polls_slowly_when_idle_other_pages_do_not(staff_client, webhook, event):
    Delivery.objects.bulk_create(
        Delivery(company=webhook.company, webhook=webhook, event=event, state="success", status_code=200)
        for _ in range(12)
    )
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 4s"' in html
    html = staff_client.get(url(webhook), {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html


def test_paginated_ten_per_page_newest_first(staff_client, webhook, event):
    now = timezone.now()
    for n in range(25):
        log(
            webhook, event, state="success", status_code=200 + (n % 10), created_at=now + timedelta(seconds=n)
        )
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert "1 – 10 of 25" in html and html.count("data-delivery=") == 10
    first = Delivery.objects.order_by("-id").first()
    assert html.index(first.object_id) < html.index(Delivery.objects.order_by("-id")[1].object_id)
    html = staff_client.get(url(webhook), {"page": 3}, HTTP_HX_REQUEST="true").content.decode()
    assert "21 – 25 of 25" in html and html.count("data-delivery=") == 5
    assert f'href="{url(webhook)}?page=2"' in html and f'hx-get="{url(webhook)}?page=2"' in html


def test_newest_first_by_execution_date_even_when_stored_later(staff_client, webhook, event):
    # A concurrent change may store an older delivery after a newer one: the table follows the
    # Execution Date (the (webhook, created_at) index), not the storage order.
    now = timezone.now()
    newer = log(webhook, event, state="success", status_code=200, created_at=now)
    older = log(webhook, event, state="success", status_code=200, created_at=now - timedelta(milliseconds=1))
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert html.index(newer.object_id) < html.index(older.object_id)


def test_fixed_number_of_queries_with_10000_logs(staff_client, webhook, event, django_assert_num_queries):
    Delivery.objects.bulk_create(
        Delivery(company=webhook.company, webhook=webhook, event=event, state=("success", "failed")[n % 2])
        for n in range(10_000)
    )
    # session, user, webhook, count, page
    with django_assert_num_queries(5):
        response = staff_client.get(url(webhook), {"page": 1000}, HTTP_HX_REQUEST="true")
    assert "9991 – 10000 of 10000" in response.content.decode()


def test_settings_page_queries_are_fixed_with_10000_logs(
    staff_client, webhook, event, django_assert_num_queries
):
    Delivery.objects.bulk_create(
        Delivery(company=webhook.company, webhook=webhook, event=event, state="success")
        for n in range(10_000)
    )
    # session, user, webhook, company (top bar), count, page (a task trigger adds its workflow choices)
    with django_assert_num_queries(6):
        response = staff_client.get(reverse("webhooks:edit", args=[webhook.pk]))
    assert "1 – 10 of 10000" in response.content.decode()


def test_another_company_webhook_is_404(client, admin_b, webhook):
    client.force_login(admin_b)
    assert client.get(url(webhook)).status_code == 404


def test_requires_login(client, webhook):
    response = client.get(url(webhook))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.get(url(webhook)).status_code == 403


def test_wrong_method(staff_client, webhook):
    assert staff_client.post(url(webhook)).status_code == 405


def test_a_long_log_is_counted_only_up_to_the_cap(staff_client, webhook, event, monkeypatch):
    from webhooks.panel.queries import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 20)
    for _ in range(23):
        log(webhook, event, state="success", status_code=200, attempts=1)

    first = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    last = staff_client.get(url(webhook), {"page": 2}, HTTP_HX_REQUEST="true").content.decode()

    assert "1 – 10 of 20+" in first
    assert "11 – 20 of 20+" in last
