"""webhooks:list — the Webhooks panel (Administrator → AUTOMATIONS → Webhooks)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from webhooks.models import Delivery, Event, Trigger, Webhook

URL = reverse("webhooks:list")


def make(company, code, **fields):
    fields.setdefault("url", f"https://example.com/{code}")
    fields.setdefault("trigger", Trigger.USER)
    return Webhook.objects.create(company=company, name=fields.pop("name", code.title()), code=code, **fields)


def deliver(webhook, state, *, status=None, attempts=1, ago=timedelta(minutes=5)):
    event = Event.objects.create(company=webhook.company, type="COTUser", action="edit", body="{}")
    return Delivery.objects.create(
        company=webhook.company,
        webhook=webhook,
        event=event,
        state=state,
        status_code=status,
        attempts=attempts,
        created_at=timezone.now() - ago,
    )


def test_lists_the_company_webhooks_with_name_trigger_url_and_edit(staff_client, company_a, company_b):
    mine = make(company_a, "wo_update", name="Work Orders Update", url="https://www.server.com")
    make(company_b, "theirs", name="Other company hook")
    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "Work Orders Update" in html
    # The trigger's label, as the form shows it (the raw value stays in the markup, for scripts).
    assert '<td class="trigger" data-trigger="create-edit-delete-user">Create/Edit/Remove User</td>' in html
    assert "https://www.server.com" in html
    assert reverse("webhooks:edit", args=[mine.pk]) in html
    assert reverse("webhooks:create") in html
    assert 'name="ids"' in html
    assert "Other company hook" not in html
    assert reverse("admin:index") in html  # the Django admin one click away
    assert ">Webhooks</a>" in html and "AUTOMATIONS" in html


def test_hides_disabled_unless_asked(staff_client, company_a):
    make(company_a, "on", name="Enabled hook")
    make(company_a, "off", name="Disabled hook", is_active=False)
    html = staff_client.get(URL).content.decode()
    assert "Enabled hook" in html and "Disabled hook" not in html
    assert "Show disabled" in html
    html = staff_client.get(URL, {"disabled": "1"}).content.decode()
    assert "Enabled hook" in html and "Disabled hook" in html
    assert "Hide disabled" in html


def test_paginates_ten_per_page(staff_client, company_a):
    for n in range(23):
        make(company_a, f"hook_{n:02d}", name=f"Hook {n:02d}")
    html = staff_client.get(URL).content.decode()
    assert "1 – 10 of 23" in html
    assert "Hook 09" in html and "Hook 10" not in html
    html = staff_client.get(URL, {"page": 3}).content.decode()
    assert "21 – 23 of 23" in html and "Hook 22" in html and "Hook 00" not in html
    html = staff_client.get(URL, {"per_page": 25}).content.decode()
    assert "1 – 23 of 23" in html


def test_health_mark_shows_last_result_and_24h_success_rate(staff_client, company_a):
    hook = make(company_a, "healthy", name="Healthy")
    deliver(hook, Delivery.State.SUCCESS, status=200)
    deliver(hook, Delivery.State.SUCCESS, status=200)
    deliver(hook, Delivery.State.SUCCESS, status=201)
    deliver(hook, Delivery.State.FAILED, status=500, ago=timedelta(minutes=1))
    deliver(hook, Delivery.State.FAILED, status=500, ago=timedelta(days=2))  # outside the window
    html = staff_client.get(URL).content.decode()
    assert "75% of 4" in html
    assert "Last result: FAILED (500)" in html


def test_fragment_for_htmx(staff_client, company_a):
    make(company_a, "frag", name="Fragment hook")
    response = staff_client.get(URL, {"disabled": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="webhooks-panel"' in html and "Fragment hook" in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_htmx_without_login_redirects_the_whole_page(client):
    response = client.get(URL, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_non_staff_refused(client, member_a):
    client.force_login(member_a)
    assert client.get(URL).status_code == 403


def test_staff_without_company_refused(client, db):
    from events.models import User

    client.force_login(User.objects.create_user("loner@example.com", "pw-loner-1", is_staff=True))
    assert client.get(URL).status_code == 403


def test_wrong_method(staff_client):
    assert staff_client.post(URL).status_code == 405


def test_fixed_number_of_queries_with_1000_webhooks_and_10000_logs(
    staff_client, company_a, django_assert_num_queries
):
    hooks = Webhook.objects.bulk_create(
        Webhook(company=company_a, name=f"Hook {n:04d}", code=f"hook_{n:04d}", url="https://example.com/")
        for n in range(1000)
    )
    event = Event.objects.create(company=company_a, type="COTUser", action="edit", body="{}")
    now = timezone.now()
    states = [Delivery.State.SUCCESS, Delivery.State.FAILED, Delivery.State.PENDING]
    Delivery.objects.bulk_create(
        Delivery(
            company=company_a,
            webhook=hooks[n % 10],
            event=event,
            state=states[n % 3],
            status_code=200 if n % 3 == 0 else 500,
            created_at=now - timedelta(minutes=n),
        )
        for n in range(10_000)
    )
    # session, user, the user's company (top bar), count, the page (health marks are subqueries of it)
    with django_assert_num_queries(5):
        response = staff_client.get(URL)
    assert response.status_code == 200
    assert "1 – 10 of 1000" in response.content.decode()
    with django_assert_num_queries(4):  # a fragment has no top bar
        staff_client.get(URL, {"page": 50, "disabled": "1"}, HTTP_HX_REQUEST="true")


def test_health_rate_covers_only_the_latest_sample_of_deliveries(staff_client, company_a, monkeypatch):
    monkeypatch.setattr("webhooks.panel.queries.HEALTH_SAMPLE", 3)
    hook = make(company_a, "busy", name="Busy")
    deliver(hook, Delivery.State.FAILED, status=500, ago=timedelta(hours=3))
    deliver(hook, Delivery.State.FAILED, status=500, ago=timedelta(hours=2))
    for minutes in (30, 20, 10):
        deliver(hook, Delivery.State.SUCCESS, status=200, ago=timedelta(minutes=minutes))

    html = staff_client.get(URL).content.decode()

    assert "100% of 3+" in html


def test_a_non_staff_user_gets_a_page_that_says_who_may_use_the_panel_and_can_sign_out(client, member_a):
    client.force_login(member_a)

    response = client.get(URL)

    assert response.status_code == 403
    html = response.content.decode()
    assert "The Webhooks panel is for the staff administrators of a company." in html
    assert "You are signed in as member-a@example.com" in html
    assert f'action="{reverse("logout")}"' in html and "csrfmiddlewaretoken" in html
    assert "css/panel.css" in html  # styled like the rest of the panel
    client.post(reverse("logout"))
    assert client.get(URL).status_code == 302  # signed out: sent to log in


def test_the_access_denied_page_is_translated(client, member_a):
    client.force_login(member_a)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9").content.decode()
    assert "Acceso denegado" in html and "Ha iniciado sesión como member-a@example.com" in html


def test_the_trigger_column_shows_each_triggers_label_not_its_code(staff_client, company_a):
    make(company_a, "tasks", trigger=Trigger.TASK)
    make(company_a, "logouts", trigger=Trigger.LOGOUT)

    html = staff_client.get(URL, HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9").content.decode()

    assert ">Crear/Editar/Eliminar tarea</td>" in html and ">Cierre de sesión de usuario</td>" in html
    assert ">create-edit-delete-task<" not in html and ">logout-user<" not in html


def test_the_pages_have_a_favicon(client, staff_client):
    html = staff_client.get(URL).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert client.get("/static/img/favicon.svg").status_code == 200
    # Pages of others (the Django admin, the API docs) ask for /favicon.ico.
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"


def test_a_paused_webhook_is_listed_as_paused_with_its_reason(staff_client, company_a):
    """Unlike one deactivated by hand, it is listed without "Show disabled": it needs its
    administrator (docs/panel.md, "A webhook that keeps failing")."""
    make(company_a, "paused", name="Paused hook", is_active=False, inactive_reason="paused_failing")

    for html in (
        staff_client.get(URL).content.decode(),
        staff_client.get(URL, {"disabled": "1"}).content.decode(),
    ):
        assert "Paused hook" in html and '<span class="badge badge-paused">Paused</span>' in html
        assert "Paused: its deliveries kept failing." in html and ">Disabled<" not in html


def test_a_paused_webhooks_reason_is_in_spanish_for_a_spanish_browser(staff_client, company_a):
    make(company_a, "gone", name="Gone hook", is_active=False, inactive_reason="paused_gone")

    html = staff_client.get(URL, {"disabled": "1"}, HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9").content.decode()

    assert "En pausa: el receptor respondió 410 Gone." in html
