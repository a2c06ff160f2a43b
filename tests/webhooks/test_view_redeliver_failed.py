"""webhooks:redeliver_failed — after an outage, count the failed deliveries of a time range, then
queue them again on confirmation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from webhooks.models import Delivery, Event, Webhook
from webhooks.panel.timezones import COOKIE

T0 = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 10:00 in Santiago
RANGE = {"created_from": "2026-12-01T10:00", "created_to": "2026-12-01T11:00"}  # Santiago


@pytest.fixture
def webhook(make_webhook) -> Webhook:
    return make_webhook("https://erp.example.com/hook")


@pytest.fixture
def failed(webhook) -> list[Delivery]:
    rows = []
    for minutes in (5, 30, 90):  # the last one is after the range
        event = Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")
        rows.append(
            Delivery.objects.create(
                company=webhook.company,
                webhook=webhook,
                event=event,
                state="failed",
                attempts=3,
                created_at=T0 + timedelta(minutes=minutes),
            )
        )
    return rows


def url(webhook) -> str:
    return reverse("webhooks:redeliver_failed", args=[webhook.pk])


def test_the_page_offers_the_last_day_by_default(staff_client, webhook):
    response = staff_client.get(url(webhook))
    html = response.content.decode()

    assert response.status_code == 200 and "<html" in html
    # Typed as the panel shows dates (month first in English), 24-hour time.
    assert 'placeholder="MM/DD/YYYY HH:MM"' in html and "recovery-confirm" not in html


def test_the_logs_filter_days_become_the_range(staff_client, webhook):
    html = staff_client.get(url(webhook), {"from": "2026-11-30", "to": "2026-12-01"}).content.decode()

    assert 'value="11/30/2026 00:00"' in html and 'value="12/02/2026 00:00"' in html


def test_it_counts_the_failed_deliveries_of_the_range_in_the_panels_zone(staff_client, webhook, failed):
    staff_client.cookies[COOKIE] = "America/Santiago"

    html = staff_client.get(url(webhook), RANGE).content.decode()

    assert "2 failed deliveries will be sent again." in html and "Redeliver 2 deliveries" in html
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_confirming_queues_them_in_order_and_returns_to_the_logs(staff_client, webhook, failed):
    staff_client.cookies[COOKIE] = "America/Santiago"

    response = staff_client.post(url(webhook), RANGE)

    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:edit", args=[webhook.pk]) + "#logs"
    again = Delivery.objects.filter(kind="redelivery").order_by("id")
    assert [d.redelivery_of for d in again] == [failed[0].object_id, failed[1].object_id]
    page = staff_client.get(response["Location"]).content.decode()
    assert "2 failed deliveries queued again." in page


def test_the_count_comes_as_a_fragment_for_htmx(staff_client, webhook, failed):
    staff_client.cookies[COOKIE] = "America/Santiago"

    html = staff_client.get(url(webhook), RANGE, HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in html and 'id="recovery"' in html and "Redeliver 2 deliveries" in html


def test_a_bad_range_is_a_form_error_and_queues_nothing(staff_client, webhook, failed):
    response = staff_client.post(
        url(webhook), {"created_from": "2026-12-01T11:00", "created_to": "2026-12-01T10:00"}
    )

    assert response.status_code == 200 and "The end must be after the start." in response.content.decode()
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_nothing_to_send_says_so(staff_client, webhook):
    html = staff_client.get(url(webhook), RANGE).content.decode()

    assert "No failed delivery to send again in this time." in html and "recovery-confirm" not in html


def test_the_logs_link_to_it_with_their_days(staff_client, webhook):
    logs = reverse("webhooks:logs", args=[webhook.pk])
    html = staff_client.get(logs, {"from": "2026-11-30"}).content.decode()

    assert f'href="{url(webhook)}?from=2026-11-30"' in html


def test_another_companys_webhook_is_404(staff_client, admin_b):
    theirs = Webhook.objects.create(company=admin_b.company, name="B", code="b", url="https://b.example/")

    assert staff_client.get(url(theirs)).status_code == 404
    assert staff_client.post(url(theirs), RANGE).status_code == 404


def test_requires_login(client, webhook):
    response = client.get(url(webhook))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a, webhook, failed):
    client.force_login(member_a)
    assert client.post(url(webhook), RANGE).status_code == 403
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_wrong_method(staff_client, webhook):
    assert staff_client.delete(url(webhook)).status_code == 405


def test_the_default_range_includes_what_failed_seconds_ago(staff_client, webhook):
    event = Event.objects.create(company=webhook.company, type="COTTask", action="edit", body="{}")
    Delivery.objects.create(company=webhook.company, webhook=webhook, event=event, state="failed", attempts=3)
    html = staff_client.get(url(webhook)).content.decode()
    start = html.split('name="created_from" value="')[1].split('"')[0]
    end = html.split('name="created_to" value="')[1].split('"')[0]

    counted = staff_client.get(url(webhook), {"created_from": start, "created_to": end}).content.decode()

    assert "1 failed delivery will be sent again." in counted


@pytest.mark.parametrize(
    "query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "2026-13-01"}, {"to": "x"}]
)
def test_a_hand_edited_address_falls_back_to_the_default_range(staff_client, webhook, query):
    response = staff_client.get(url(webhook), query)

    assert response.status_code == 200 and 'placeholder="MM/DD/YYYY HH:MM"' in response.content.decode()


@pytest.mark.parametrize(
    "bounds",
    [
        {"created_from": "2026-12-01T10:00", "created_to": "9999-12-31T23:59"},
        {"created_from": "0001-01-01T00:00", "created_to": "2026-12-01T10:00"},
    ],
)
def test_far_away_dates_are_a_form_error(staff_client, webhook, failed, bounds):
    staff_client.cookies[COOKIE] = "Asia/Tokyo"

    response = staff_client.post(url(webhook), bounds)

    assert response.status_code == 200 and "between the years 1900 and 9998" in response.content.decode()
    assert not Delivery.objects.filter(kind="redelivery").exists()


def test_a_day_whose_midnight_a_dst_change_skips_starts_at_one(staff_client, webhook):
    staff_client.cookies[COOKIE] = "America/Santiago"  # 2026-09-06 00:00 does not exist there

    html = staff_client.get(url(webhook), {"from": "2026-09-06", "to": "2026-09-06"}).content.decode()

    assert 'value="09/06/2026 01:00"' in html and 'value="09/07/2026 00:00"' in html


def test_confirming_more_than_the_cap_queues_the_cap_and_says_how_to_continue(
    staff_client, webhook, failed, settings
):
    settings.WEBHOOK_REDELIVER_FAILED_MAX = 1
    staff_client.cookies[COOKIE] = "America/Santiago"

    first = staff_client.post(url(webhook), RANGE, follow=True).content.decode()
    second = staff_client.post(url(webhook), RANGE, follow=True).content.decode()

    assert "1 failed delivery queued again." in first
    assert "1 more is left (at most 1 at a time): redeliver failed again to continue." in first
    assert "1 failed delivery queued again." in second and "more is left" not in second
    again = Delivery.objects.filter(kind="redelivery").order_by("id")
    assert [d.redelivery_of for d in again] == [failed[0].object_id, failed[1].object_id]


def test_the_count_says_when_it_is_over_the_cap(staff_client, webhook, failed, settings):
    settings.WEBHOOK_REDELIVER_FAILED_MAX = 1
    staff_client.cookies[COOKIE] = "America/Santiago"

    html = staff_client.get(url(webhook), RANGE).content.decode()

    assert "At most 1 are queued at a time: redeliver failed again to queue the rest." in html
    settings.WEBHOOK_REDELIVER_FAILED_MAX = 2
    assert 'id="recovery-cap"' not in staff_client.get(url(webhook), RANGE).content.decode()


def test_the_range_is_typed_in_the_panels_date_format_in_spanish(staff_client, webhook, failed):
    staff_client.cookies[COOKIE] = "America/Santiago"
    es = {"HTTP_ACCEPT_LANGUAGE": "es-CL,es;q=0.9"}

    page = staff_client.get(url(webhook), {"from": "2026-11-30", "to": "2026-12-01"}, **es).content.decode()
    assert 'value="30/11/2026 00:00"' in page and 'placeholder="DD/MM/AAAA HH:MM"' in page
    typed = {"created_from": "01/12/2026 10:00", "created_to": "01/12/2026 11:00"}  # as RANGE, day first
    counted = staff_client.get(url(webhook), typed, **es).content.decode()
    assert "Se reenviarán 2 entregas fallidas." in counted
