"""webhooks:charts — the settings page's delivery charts (24 hours / 7 days) and their table."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from webhooks import stats
from webhooks.models import Attempt, Delivery, Event, Webhook
from webhooks.panel import timezones


@pytest.fixture
def webhook(company_a):
    return Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")


@pytest.fixture
def deliver(company_a):
    def make(webhook, at, state="success", duration=40):
        event = Event.objects.create(company=company_a, type="COTUser", action="edit", body="{}")
        delivery = Delivery.objects.create(
            company=company_a, webhook=webhook, event=event, state=state, created_at=at, attempts=1
        )
        Attempt.objects.create(delivery=delivery, number=1, started_at=at, duration_ms=duration)
        return delivery

    return make


def url(webhook, **query):
    path = reverse("webhooks:charts", args=[webhook.pk])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def table_rows(html: str) -> dict[str, list[str]]:
    """{hour (ISO, UTC): its cells} of the charts' table."""
    rows = re.findall(r'<tr data-hour="([^"]+)"><th scope="row">[^<]*</th>(.*?)</tr>', html)
    return {hour: re.findall(r"<td[^>]*>([^<]*)</td>", cells) for hour, cells in rows}


def test_the_settings_page_shows_the_last_24_hours(staff_client, webhook, deliver):
    now = timezone.now()
    deliver(webhook, now - timedelta(hours=3), duration=40)
    deliver(webhook, now - timedelta(hours=3), state="failed", duration=2500)
    stats.deliveries_rollup()
    deliver(webhook, now, state="pending")  # the current hour: read live

    html = staff_client.get(reverse("webhooks:edit", args=[webhook.pk])).content.decode()

    assert 'id="charts"' in html and 'id="chart-counts"' in html and 'id="chart-times"' in html
    assert 'id="charts-24h" href="' in html and 'aria-current="true">24 hours' in html
    rows = table_rows(html)
    assert len(rows) == 24
    three_ago = stats.hour_floor(now - timedelta(hours=3)).isoformat()
    assert rows[three_ago] == ["1", "1", "0", "&lt; 50 ms", "&lt; 3 s"]
    assert rows[stats.hour_floor(now).isoformat()][:3] == ["0", "0", "1"]
    assert "Deliveries: <strong>3</strong>" in html
    assert html.count('class="bar-success"') == 1 and html.count('class="bar-pending"') == 1
    assert ": 1 successful, 1 failed, 0 pending</title>" in html  # the hour's bar, in its tooltip
    assert 'role="img" aria-labelledby="chart-counts-title chart-counts-desc"' in html


def test_seven_days_has_an_hour_a_row(staff_client, webhook, deliver):
    deliver(webhook, timezone.now() - timedelta(days=5))
    stats.deliveries_rollup()

    html = staff_client.get(url(webhook, range="7d")).content.decode()

    assert "<html" in html and "General information" in html  # the whole page
    assert len(table_rows(html)) == 168
    assert 'aria-current="true">7 days' in html
    assert "Deliveries: <strong>1</strong>" in html


def test_htmx_gets_only_the_charts(staff_client, webhook):
    response = staff_client.get(url(webhook, range="7d"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "General information" not in html
    assert html.lstrip().startswith('<section id="charts"') and len(table_rows(html)) == 168
    assert 'data-announce="Showing the last 7 days."' in html


def test_an_unknown_range_is_24_hours(staff_client, webhook):
    html = staff_client.get(url(webhook, range="1y"), HTTP_HX_REQUEST="true").content.decode()
    assert len(table_rows(html)) == 24


def test_hours_are_in_the_administrators_time_zone(staff_client, webhook, deliver):
    staff_client.cookies[timezones.COOKIE] = "America/Santiago"
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert "Hours in America/Santiago" in html
    santiago = timezones.zone_from("America/Santiago")
    last = timezone.localtime(stats.hour_floor(timezone.now()), timezone=santiago)
    assert f'<th scope="row">{last:%m/%d %H:%M}</th>' in html


def test_a_roll_up_that_never_ran_is_said(staff_client, webhook):
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="charts-behind"' in html and "the statistics task has not run yet" in html
    assert "not counted yet" in html


def test_a_roll_up_that_stopped_is_said_with_its_last_run(staff_client, webhook):
    stats.deliveries_rollup(now=timezone.now() - timedelta(hours=10))
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="charts-behind"' in html and "the statistics task last ran at" in html
    # 10 hours not reached, of which the last 3 are counted live: 7 hatched bars.
    assert html.count('class="bar-missing"') == 7


def test_no_notice_once_rolled_up(staff_client, webhook):
    stats.deliveries_rollup()
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="charts-behind"' not in html and "not counted yet" not in html


def test_spanish(staff_client, webhook, deliver):
    deliver(webhook, timezone.now())
    html = staff_client.get(url(webhook), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Entregas" in html and "Mostrar como tabla" in html and "24 horas" in html


def test_requires_login(client, webhook):
    response = client.get(url(webhook))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_non_staff_refused(client, member_a, webhook):
    client.force_login(member_a)
    assert client.get(url(webhook)).status_code == 403


def test_another_companys_webhook_is_404(client, admin_b, webhook):
    client.force_login(admin_b)
    assert client.get(url(webhook)).status_code == 404


def test_post_is_405(staff_client, webhook):
    assert staff_client.post(url(webhook)).status_code == 405


def test_fixed_number_of_queries(staff_client, webhook, deliver, django_assert_max_num_queries):
    for hours in range(0, 100, 3):
        deliver(webhook, timezone.now() - timedelta(hours=hours))
    stats.deliveries_rollup()
    # session, user, webhook, then the watermark, the rolled-up hours and the live ones
    with django_assert_max_num_queries(6):
        staff_client.get(url(webhook, range="7d"), HTTP_HX_REQUEST="true")


def test_the_hour_repeated_when_summer_time_ends_is_told_apart_in_the_table(webhook):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from webhooks.panel import charts

    # 2026-11-01 in New York: 01:00-02:00 happens twice, EDT (05:00 UTC) then EST (06:00 UTC).
    with timezone.override(ZoneInfo("America/New_York")):
        drawn = charts.webhook_charts(
            webhook_id=webhook.pk, key="24h", now=datetime(2026, 11, 1, 12, tzinfo=UTC)
        )

    hours = {bar["iso"]: bar["when"] for bar in drawn["bars"]}
    assert len(set(hours.values())) == 24
    assert hours["2026-11-01T05:00:00+00:00"] != hours["2026-11-01T06:00:00+00:00"]
