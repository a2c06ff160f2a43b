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
    # session, user, webhook, company (top bar), count, page (a task trigger adds its workflow choices),
    # and the charts: the roll-up's watermark, its hours, the hours read live
    with django_assert_num_queries(9):
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


# --- filters ------------------------------------------------------------------------------

TASK_ID = "62742b7562f37034d9399914"


def about(company, subject_id: str) -> Event:
    return Event.objects.create(
        company=company, type="COTTask", action="edit", body="{}", subject_id=subject_id
    )


def shown(response) -> list[str]:
    """The delivery ids of the table's rows, in order."""
    import re

    return re.findall(r'data-delivery="([0-9a-f]{24})"', response.content.decode())


def test_the_logs_filter_by_result(staff_client, webhook, event):
    ok = log(webhook, event, state="success", status_code=200, attempts=1)
    failed = log(webhook, event, state="failed", status_code=500, attempts=3)
    pending = log(webhook, event, state="pending")

    def ids(result):
        return shown(staff_client.get(url(webhook), {"result": result}, HTTP_HX_REQUEST="true"))

    assert ids("success") == [ok.object_id]
    assert ids("failed") == [failed.object_id]
    assert ids("pending") == [pending.object_id]
    assert ids("") == [pending.object_id, failed.object_id, ok.object_id]


def test_the_logs_filter_by_status_code(staff_client, webhook, event):
    log(webhook, event, state="success", status_code=200, attempts=1)
    conflict = log(webhook, event, state="failed", status_code=409, attempts=3)
    log(webhook, event, state="pending")

    response = staff_client.get(url(webhook), {"status": "409"}, HTTP_HX_REQUEST="true")

    assert shown(response) == [conflict.object_id]


def test_the_logs_filter_by_days_with_the_last_day_included(staff_client, webhook, event):
    def at(day: int, hour: int):
        return timezone.make_aware(timezone.datetime(2026, 11, day, hour))

    before = log(webhook, event, state="success", created_at=at(9, 23))
    first = log(webhook, event, state="success", created_at=at(10, 0))
    last = log(webhook, event, state="success", created_at=at(12, 23))
    after = log(webhook, event, state="success", created_at=at(13, 0))

    def ids(**days):
        return shown(staff_client.get(url(webhook), days, HTTP_HX_REQUEST="true"))

    assert ids(**{"from": "2026-11-10", "to": "2026-11-12"}) == [last.object_id, first.object_id]
    assert ids(**{"from": "2026-11-13"}) == [after.object_id]
    assert ids(to="2026-11-09") == [before.object_id]


def test_the_logs_search_by_the_id_of_the_object_the_event_is_about(staff_client, webhook, company_a):
    first = log(webhook, about(company_a, TASK_ID), state="success")
    log(webhook, about(company_a, "62742b7562f37034d9399915"), state="success")
    second = log(webhook, about(company_a, TASK_ID), state="failed", status_code=500)

    response = staff_client.get(url(webhook), {"objectId": TASK_ID.upper()}, HTTP_HX_REQUEST="true")

    assert shown(response) == [second.object_id, first.object_id]
    combined = staff_client.get(
        url(webhook), {"objectId": TASK_ID, "result": "success"}, HTTP_HX_REQUEST="true"
    )
    assert shown(combined) == [first.object_id]


def test_a_filter_that_matches_nothing_says_so(staff_client, webhook, event):
    log(webhook, event, state="success")

    html = staff_client.get(url(webhook), {"result": "failed"}, HTTP_HX_REQUEST="true").content.decode()

    assert "No logs match these filters." in html and 'id="log-filters-clear"' in html


def test_the_filters_stay_in_the_pager_and_the_live_refresh(staff_client, webhook, event):
    for _ in range(12):
        log(webhook, event, state="failed", status_code=500, attempts=3)
    query = {"result": "failed", "status": "500", "objectId": "", "from": "2000-01-01"}

    html = staff_client.get(url(webhook), query, HTTP_HX_REQUEST="true").content.decode()

    next_page = f"{url(webhook)}?result=failed&amp;status=500&amp;from=2000-01-01&amp;page=2"
    assert f'href="{next_page}"' in html and f'hx-get="{next_page}"' in html
    poll = f'hx-get="{url(webhook)}?result=failed&amp;status=500&amp;from=2000-01-01&amp;page=1"'
    assert poll in html and 'hx-trigger="every 4s"' in html
    assert 'name="result"' in html and '<option value="failed" selected>' in html
    assert 'name="status" value="500"' in html and 'name="from" value="01/01/2000"' in html


def test_the_live_refresh_renders_only_the_table_with_its_filters(staff_client, webhook, event):
    failed = log(webhook, event, state="failed", status_code=500, attempts=3)
    log(webhook, event, state="success", status_code=200, attempts=1)

    response = staff_client.get(
        url(webhook), {"result": "failed", "page": 1}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="log-table"
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="log-table"') and 'id="log-filters"' not in html
    assert shown(response) == [failed.object_id]
    assert f'hx-get="{url(webhook)}?result=failed&amp;page=1"' in html


def test_a_filtered_view_is_a_page_of_its_own(staff_client, webhook, event):
    failed = log(webhook, event, state="failed", status_code=500, attempts=3)
    log(webhook, event, state="success", status_code=200, attempts=1)

    response = staff_client.get(url(webhook), {"result": "failed"})

    html = response.content.decode()
    assert "<html" in html and "General information" in html
    assert shown(response) == [failed.object_id]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"result": "retrying"}, "result", "Select a valid choice."),
        ({"status": "abc"}, "status", "Enter an HTTP status code (100-599)."),
        ({"status": "99999999999999999999999"}, "status", "less than or equal to 599"),
        ({"objectId": "not-an-id"}, "objectId", "Enter a 24-character lowercase hexadecimal id."),
        ({"from": "2026-13-40"}, "from", "Enter a valid date."),
        ({"from": "2026-11-12", "to": "2026-11-10"}, "to", "The end date must not be before the start date."),
    ],
)
def test_a_bad_filter_is_a_form_error_and_shows_no_rows(staff_client, webhook, event, query, field, message):
    log(webhook, event, state="success", status_code=200, attempts=1)

    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = staff_client.get(url(webhook), query, **extra)

        html = response.content.decode()
        assert response.status_code == 200
        assert message in html and f'id="logs-{field}"' in html and 'aria-invalid="true"' in html
        assert "Correct the filters to see the logs." in html and shown(response) == []
        assert 'hx-trigger="every' not in html  # nothing to refresh until it is corrected


def test_a_filter_on_another_companys_webhook_is_404(client, admin_b, webhook, event):
    log(webhook, event, state="failed", status_code=500)
    client.force_login(admin_b)

    assert client.get(url(webhook), {"result": "failed"}).status_code == 404
    assert client.get(url(webhook), {"objectId": TASK_ID}, HTTP_HX_REQUEST="true").status_code == 404


def test_the_object_search_stays_within_the_company(staff_client, webhook, company_a, company_b):
    own = log(webhook, about(company_a, TASK_ID), state="success")
    # A delivery of this webhook whose event is (wrongly) another company's is never found.
    log(webhook, about(company_b, TASK_ID), state="success")

    response = staff_client.get(url(webhook), {"objectId": TASK_ID}, HTTP_HX_REQUEST="true")

    assert shown(response) == [own.object_id]


def test_a_filtered_search_runs_the_same_queries_as_the_plain_list(
    staff_client, webhook, company_a, django_assert_num_queries
):
    log(webhook, about(company_a, TASK_ID), state="failed", status_code=500)
    # session, user, webhook, count, page
    with django_assert_num_queries(5):
        staff_client.get(url(webhook), {"objectId": TASK_ID, "result": "failed"}, HTTP_HX_REQUEST="true")


def test_a_redelivery_from_a_filtered_view_keeps_its_filters(staff_client, webhook, event):
    failed = log(webhook, event, state="failed", status_code=500, attempts=3)
    log(webhook, event, state="success", status_code=200, attempts=1)
    shown_url = f"http://testserver{url(webhook)}?result=failed"

    response = staff_client.post(
        reverse("webhooks:redeliver", args=[webhook.pk, failed.object_id]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=shown_url,
    )

    assert shown(response) == [failed.object_id]  # the new, pending redelivery is not a failure
    assert '<option value="failed" selected>' in response.content.decode()


def test_a_filter_sets_the_address_to_the_filtered_view_without_empty_fields(staff_client, webhook, event):
    log(webhook, event, state="failed", status_code=500, attempts=3)
    form = {"result": "failed", "status": "", "from": "", "to": "", "objectId": ""}

    response = staff_client.get(url(webhook), form, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="log-filters")
    cleared = staff_client.get(url(webhook), HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="log-filters-clear")

    assert response["HX-Push-Url"] == f"{url(webhook)}?result=failed"
    assert cleared["HX-Push-Url"] == url(webhook)


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}])
def test_a_date_far_away_is_a_filter_error_not_a_crash(staff_client, webhook, settings, query):
    staff_client.cookies["panel_tz"] = "Asia/Tokyo"

    response = staff_client.get(url(webhook), query)

    assert response.status_code == 200
    assert "between the years 1900 and 9998" in response.content.decode()


def test_the_days_are_typed_in_the_panels_format_and_the_address_keeps_iso_dates(staff_client, webhook):
    es = {"HTTP_ACCEPT_LANGUAGE": "es-CL,es;q=0.9"}

    html = staff_client.get(url(webhook), {"from": "2026-11-30"}, **es).content.decode()
    assert 'name="from" value="30/11/2026"' in html and 'placeholder="DD/MM/AAAA"' in html
    # Typed without JS (the form's GET): redirected to the ISO address, the same in any language.
    response = staff_client.get(url(webhook), {"from": "30/11/2026", "to": "01/12/2026"}, **es)
    assert response.status_code == 302
    assert response["Location"] == f"{url(webhook)}?from=2026-11-30&to=2026-12-01#logs"
    english = staff_client.get(url(webhook), {"from": "2026-11-30"}).content.decode()
    assert 'name="from" value="11/30/2026"' in english and 'placeholder="MM/DD/YYYY"' in english


def test_a_skipped_log_reads_skipped_and_the_result_filter_finds_it(staff_client, webhook, event):
    log(webhook, event, state="skipped", attempts=0)
    log(webhook, event, state="success", status_code=200, attempts=1)

    html = staff_client.get(url(webhook), {"result": "skipped"}, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-state="skipped"' in html and 'data-state="success"' not in html
    assert html.count(">SKIPPED<") == 2  # the row's badge, and the filter's option
