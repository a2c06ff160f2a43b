"""webhooks:time_zone — the administrator's time zone: remembered in a cookie, used for every date
of the panel (named, with the full ISO-8601 time on hover); the API stays UTC."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from webhooks.models import ApiToken, Delivery, Event, Webhook
from webhooks.panel import timezones
from webhooks.panel.timezones import COOKIE

URL = reverse("webhooks:time_zone")
# 02:47:02.123 UTC on 2 December is 23:47:02.123 on 1 December in Santiago (UTC-3 in summer).
WHEN = datetime(2026, 12, 2, 2, 47, 2, 123000, tzinfo=UTC)


@pytest.fixture
def logged(company_a) -> Webhook:
    webhook = Webhook.objects.create(company=company_a, name="Hook", code="hook", url="https://a.example/")
    event = Event.objects.create(company=company_a, type="COTUser", action="edit", body="{}")
    Delivery.objects.create(company=company_a, webhook=webhook, event=event, created_at=WHEN)
    return webhook


def test_the_page_offers_every_zone_and_detection(staff_client):
    response = staff_client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200 and "<html" in html
    assert '<option value="America/Santiago">America/Santiago</option>' in html
    assert '<option value="">Detect from this browser</option>' in html


def test_choosing_a_zone_remembers_it_and_returns(staff_client, logged):
    back = reverse("webhooks:edit", args=[logged.pk])

    response = staff_client.post(URL, {"zone": "America/Santiago", "next": back})

    assert response.status_code == 302 and response["Location"] == back
    cookie = response.cookies[COOKIE]
    assert cookie.value == "America/Santiago" and int(cookie["max-age"]) == 365 * 24 * 3600


def test_dates_are_shown_in_the_chosen_zone_named_with_the_full_time_on_hover(staff_client, logged):
    staff_client.cookies[COOKIE] = "America/Santiago"

    html = staff_client.get(reverse("webhooks:edit", args=[logged.pk])).content.decode()

    assert (
        '<time datetime="2026-12-01T23:47:02.123-03:00" title="2026-12-01T23:47:02.123-03:00">'
        '12/01/26 - 23:47:02 <span class="tz">GMT-3</span></time>'
    ) in html
    assert 'data-time-zone="America/Santiago"' in html and ">America/Santiago</a>" in html


def test_without_a_choice_dates_are_utc_and_say_so(staff_client, logged):
    html = staff_client.get(reverse("webhooks:edit", args=[logged.pk])).content.decode()

    assert '12/02/26 - 02:47:02 <span class="tz">UTC</span>' in html
    assert 'title="2026-12-02T02:47:02.123+00:00"' in html


def test_a_zone_with_a_name_shows_the_name(staff_client, logged):
    staff_client.cookies[COOKIE] = "Europe/Madrid"

    html = staff_client.get(reverse("webhooks:edit", args=[logged.pk])).content.decode()

    assert '12/02/26 - 03:47:02 <span class="tz">CET</span>' in html


def test_the_api_stays_utc_whatever_the_cookie(api, logged):
    api.cookies[COOKIE] = "America/Santiago"

    (entry,) = api.get(f"/api/v3/webhook/subscription/logs/{logged.pk}").json()

    assert entry["createdAt"] == "2026-12-02T02:47:02.123Z"


def test_an_unknown_zone_is_a_form_error_and_nothing_is_remembered(staff_client):
    response = staff_client.post(URL, {"zone": "Mars/Olympus_Mons"})

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert COOKIE not in response.cookies


def test_a_forged_cookie_is_ignored(staff_client, logged):
    staff_client.cookies[COOKIE] = "../../etc/passwd"

    html = staff_client.get(reverse("webhooks:edit", args=[logged.pk])).content.decode()

    assert '<span class="tz">UTC</span>' in html


def test_detect_forgets_the_choice_when_the_browser_told_no_zone(staff_client):
    staff_client.cookies[COOKIE] = "America/Santiago"

    response = staff_client.post(URL, {"zone": ""})

    assert response.status_code == 302 and response.cookies[COOKIE].value == ""
    assert response.cookies[COOKIE]["max-age"] == 0


def test_next_must_stay_on_this_site(staff_client):
    response = staff_client.post(URL, {"zone": "UTC", "next": "https://evil.example.com/"})

    assert response["Location"] == reverse("webhooks:list")


def test_token_dates_follow_the_zone_too(staff_client, admin_a):
    ApiToken.objects.create(user=admin_a, name="script")
    ApiToken.objects.filter(user=admin_a).update(created=WHEN)
    staff_client.cookies[COOKIE] = "America/Santiago"

    assert "12/01/26 - 23:47:02" in staff_client.get(reverse("webhooks:token")).content.decode()


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a):
    client.force_login(member_a)
    assert client.get(URL).status_code == 403
    assert COOKIE not in client.post(URL, {"zone": "UTC"}).cookies


def test_wrong_method(staff_client):
    assert staff_client.delete(URL).status_code == 405


# --- the list: current names, grouped, and detection at once (issue 24) ---------------------


def test_the_list_offers_current_names_only_grouped_by_region(staff_client):
    html = staff_client.get(URL).content.decode()

    assert '<option value="America/Santiago">America/Santiago</option>' in html
    assert '<option value="Europe/Amsterdam">Europe/Amsterdam</option>' in html  # a country's own name
    for alias in (
        "Chile/Continental",
        "US/Eastern",
        "Africa/Timbuktu",
        "Asia/Calcutta",
        "America/Buenos_Aires",
    ):
        assert f'value="{alias}"' not in html, alias
    assert '<optgroup label="America">' in html and '<optgroup label="Pacific Ocean">' in html
    santiago = html.index('value="America/Santiago"')
    assert html.rindex("<optgroup", 0, santiago) == html.index('<optgroup label="America">')


def test_the_region_names_are_translated(staff_client):
    html = staff_client.get(URL, HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9").content.decode()

    for label in ("África", "América", "Antártida", "Europa", "Océano Pacífico", "Océano Índico"):
        assert f'<optgroup label="{label}">' in html
    assert '<option value="">Detectar desde este navegador</option>' in html


def test_zone_names_are_known_and_include_utc_first():
    names = timezones.zone_names()

    assert names[0] == "UTC" and len(names) > 300
    assert all(timezones.zone_from(name) for name in names)
    assert not {"Chile/Continental", "US/Eastern", "Africa/Timbuktu", "Etc/GMT+3", "posixrules"} & set(names)


def test_a_zone_saved_under_an_old_name_still_works_and_stays_selected(staff_client, logged):
    staff_client.cookies[COOKIE] = "Chile/Continental"

    html = staff_client.get(URL).content.decode()
    assert '<option value="Chile/Continental" selected>Chile/Continental</option>' in html
    response = staff_client.post(URL, {"zone": "Chile/Continental"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "Chile/Continental"
    edit = staff_client.get(reverse("webhooks:edit", args=[logged.pk])).content.decode()
    assert "12/01/26 - 23:47:02" in edit  # shown in Santiago's time


def test_detect_remembers_the_zone_the_browser_told_so_the_next_page_shows_it_at_once(staff_client):
    staff_client.cookies[COOKIE] = "Europe/Madrid"

    response = staff_client.post(URL, {"zone": "", "detected": "America/Santiago", "next": "/webhooks/"})

    assert response.status_code == 302 and response.cookies[COOKIE].value == "America/Santiago"
    html = staff_client.get(response["Location"]).content.decode()
    assert ">America/Santiago</a>" in html


def test_detect_ignores_an_unknown_zone_from_the_browser(staff_client):
    staff_client.cookies[COOKIE] = "Europe/Madrid"

    response = staff_client.post(URL, {"zone": "", "detected": "Mars/Olympus_Mons"})

    assert response.cookies[COOKIE].value == "" and response.cookies[COOKIE]["max-age"] == 0
