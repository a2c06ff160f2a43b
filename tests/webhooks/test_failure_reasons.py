"""Delivery failure reasons: stored and returned by the API in English, shown in the panel's language."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.browser.i18n_support import EN, ES
from webhooks.engine.http import Reason, Step
from webhooks.failure_reasons import failure_reason_display
from webhooks.models import Attempt, Delivery, Event

pytestmark = pytest.mark.usefixtures("translations")


def constants(namespace: type) -> list[str]:
    return [value for name, value in vars(namespace).items() if name.isupper()]


def every_stored_reason() -> list[str]:
    """Every text an attempt can record as its error, with sample numbers where it has them."""
    numbered = (Reason.DEADLINE, Reason.REDIRECT, Reason.NO_LOCATION, Reason.ANSWERED)
    fixed = [r for r in constants(Reason) if r not in numbered]
    deadlines = [
        Reason.DEADLINE.format(seconds=seconds, doing=step)
        for step in constants(Step)
        for seconds in ("10", "2.5")
    ]
    redirects = [
        Reason.REDIRECT.format(status=307, location="/other"),
        Reason.REDIRECT.format(status=302, location=Reason.NO_LOCATION),
    ]
    # A webhook's last error when a response came (its health): not an attempt's, translated alike.
    answered = [Reason.ANSWERED.format(status=503)]
    return fixed + deadlines + redirects + answered


@pytest.mark.parametrize("reason", every_stored_reason())
def test_every_reason_the_http_module_records_reads_the_same_in_english_and_is_translated_in_spanish(reason):
    with translation.override("en"):
        english = str(failure_reason_display(reason))
    with translation.override("es"):
        spanish = str(failure_reason_display(reason))

    assert english == reason
    assert spanish != reason and spanish.strip()


def test_a_deadline_keeps_its_seconds_and_translates_what_the_attempt_was_doing():
    with translation.override("es"):
        shown = str(failure_reason_display("timed out after 2.5 s while connecting"))

    assert shown == "tiempo agotado tras 2.5 s mientras se conectaba"


def test_a_redirect_keeps_its_status_and_location():
    with translation.override("es"):
        shown = str(failure_reason_display("HTTP 307: redirect to https://a.example/other not followed"))
        missing = str(failure_reason_display("HTTP 302: redirect to (no Location) not followed"))

    assert shown == "HTTP 307: no se siguió la redirección a https://a.example/other"
    assert missing == "HTTP 302: no se siguió la redirección a (sin Location)"


@pytest.mark.parametrize(
    "text",
    ["", '{"error": "connection refused"}', "connection refused!", "timed out after 1 s while dreaming"],
)
def test_any_other_text_is_shown_as_it_is(text):
    with translation.override("es"):
        assert str(failure_reason_display(text)) == text


def test_the_translation_follows_the_language_active_when_it_is_shown():
    shown = failure_reason_display("timed out after 10 s while reading the response body")

    with translation.override("es"):
        assert str(shown) == "tiempo agotado tras 10 s mientras se leía el cuerpo de la respuesta"
    with translation.override("en"):
        assert str(shown) == "timed out after 10 s while reading the response body"


@pytest.fixture
def refused(webhook, company_a):
    event = Event.objects.create(company=company_a, type="COTTask", action="create", body="{}")
    delivery = Delivery.objects.create(
        company=company_a,
        webhook=webhook,
        event=event,
        state="failed",
        attempts=2,
        response="connection refused",
    )
    now = timezone.now()
    Attempt.objects.create(
        delivery=delivery, number=1, started_at=now, duration_ms=3, error="connection refused"
    )
    Attempt.objects.create(
        delivery=delivery,
        number=2,
        started_at=now,
        duration_ms=10000,
        error="timed out after 10 s while waiting for the response headers",
    )
    return delivery


def test_the_logs_panel_shows_the_reasons_in_spanish_and_in_english(staff_client, refused):
    url = reverse("webhooks:delivery", args=[refused.webhook_id, refused.object_id])

    spanish = staff_client.get(url, **ES).content.decode()
    english = staff_client.get(url, **EN).content.decode()

    assert spanish.count("conexión rechazada") == 2  # the response pane and the first attempt
    assert "tiempo agotado tras 10 s mientras se esperaban los encabezados de la respuesta" in spanish
    assert "connection refused" not in spanish
    assert english.count("connection refused") == 2
    assert "timed out after 10 s while waiting for the response headers" in english


def test_the_api_returns_the_stored_english_reasons_whatever_the_language(api, refused):
    url = reverse("api:subscription-log", args=[refused.webhook_id, refused.object_id])

    log = api.get(url, **ES).json()

    assert log["response"] == "connection refused"
    assert [a["error"] for a in log["attempts"]] == [
        "connection refused",
        "timed out after 10 s while waiting for the response headers",
    ]
