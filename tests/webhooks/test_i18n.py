"""Translation of the panel (English and Spanish, locale/es).

- every string marked in the panel's templates and Python files has a Spanish
  translation (makemessages into a temporary copy, then the .po is checked);
- the main pages rendered in Spanish carry none of the English UI words, outside
  of data (names, URLs, codes, JSON);
- Spanish validation errors and dates; the language switch (set_language) and its
  cookie; trigger values are shown by their label, never translated themselves;
- the panel says "usted", and says length limits right ("como máximo 200").
"""

import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from tests.browser.i18n_support import BASE_DIR, EN, ES, parse_po
from webhooks.models import Attempt, Delivery, Event, Trigger, Webhook

pytestmark = pytest.mark.usefixtures("translations")

PANEL_PYTHON = [
    "webhooks/panel/*.py",
    "webhooks/panel/forms/*.py",
    "webhooks/rules.py",
    "webhooks/choices.py",
    "webhooks/panel/queries.py",
    "webhooks/failure_reasons.py",
    "webhooks/api/*.py",
    "webhooks/management/commands/seed_demo.py",
    "webhooks/models/*.py",
    "events/models.py",
    "events/admin.py",
    "events/apps.py",
    "webhooks/alerts.py",
]
WHEN = datetime(2024, 4, 5, 14, 3, 7, tzinfo=UTC)

# English UI words that must not appear in a Spanish page (outside data).
ENGLISH = [
    "Save", "Deactivate", "Activate", "Show disabled", "Hide disabled", "Name", "Logs", "Log",
    "Trigger", "Result", "Status", "Execution Date", "Redeliver", "Send test event", "Signing secret",
    "Reveal", "Hide", "Rotate", "Copy", "Close", "Response", "Attempts", "General information",
    "Description", "Identifier", "Workflow", "Survey", "Group", "Items per page", "No records found",
    "Create", "Edit", "Active", "Disabled", "Select", "Log out", "Log in", "Password", "Email", "Url",
    "SUCCESS", "FAILED", "PENDING", "RETRYING", "of", "the", "and", "is", "required", "This field",
    "Enter", "deactivated", "Saved", "Secret", "Test", "Health", "Administrator", "AUTOMATIONS",
    "SECURITY", "DATA", "Code", "Live", "Kind", "Time", "Duration", "page", "Back", "More options",
    "Language", "Skip", "Please", "Your", "You", "Created", "Regenerate", "Event", "Open",
]  # fmt: skip
ENGLISH_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
DATA_TAGS = {"code", "pre", "script", "style"}
TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "hx-confirm", "data-announce"}


class UiText(HTMLParser):
    """The text a user reads or hears: text nodes and labelling attributes, minus data."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, data: list[str], lang: str):
        super().__init__(convert_charrefs=True)
        self.data = data
        self.lang = lang
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        skip = tag in DATA_TAGS or (lang is not None and not lang.startswith(self.lang))
        if not (skip or self.skipping()):
            for name, value in attrs.items():
                if value and (name in TEXT_ATTRIBUTES or name.startswith("data-text-")):
                    self.check(value, f"{tag}[{name}]")
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.check(attrs["value"], "input[value]")
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, text):
        if not self.skipping():
            self.check(text, "text")

    def check(self, text: str, where: str) -> None:
        for value in self.data:
            text = text.replace(value, " ")
        for match in ENGLISH_RE.finditer(text):
            self.found.append(f"{where}: {match.group(0)!r} in {text.strip()[:90]!r}")


def english_words(html: str, *data: str, lang: str = "es") -> list[str]:
    """English UI words in `html`, leaving out `data` and elements in another language than `lang`."""
    parser = UiText([d for d in data if d], lang)
    parser.feed(html)
    return parser.found


# --- the catalogue ------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext, msgmerge) is not installed")
def test_every_panel_string_has_a_spanish_translation(tmp_path, monkeypatch):
    """makemessages over a copy of the panel's files, merged into our .po: nothing new, empty or fuzzy."""
    shutil.copytree(BASE_DIR / "templates", tmp_path / "templates")
    for path in (path for pattern in PANEL_PYTHON for path in sorted(BASE_DIR.glob(pattern))):
        name = path.relative_to(BASE_DIR)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, tmp_path / name)
    po = Path("locale/es/LC_MESSAGES/django.po")
    (tmp_path / po).parent.mkdir(parents=True)
    shutil.copy(BASE_DIR / po, tmp_path / po)
    committed = {
        (e["msgctxt"], e["msgid"])
        for e in parse_po((BASE_DIR / po).read_text())
        if e["msgid"] and not e["obsolete"] and all(e["msgstr"]) and "fuzzy" not in e["flags"]
    }
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["es"], verbosity=0)

    entries = [e for e in parse_po((tmp_path / po).read_text()) if e["msgid"] and not e["obsolete"]]
    extracted = {(e["msgctxt"], e["msgid"]) for e in entries}
    assert len(extracted) > 100
    assert extracted - committed == set(), "strings missing from locale/es (run makemessages, translate)"
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"]) or "fuzzy" in e["flags"]]
    assert untranslated == [], "untranslated or fuzzy entries in locale/es/LC_MESSAGES/django.po"


def test_the_po_compiles_cleanly():
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt is not installed")
    import subprocess

    po = BASE_DIR / "locale/es/LC_MESSAGES/django.po"
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- pages in Spanish ---------------------------------------------------------------


@pytest.fixture
def webhook(company_a, workflow_a):
    return Webhook.objects.create(
        company=company_a,
        name="Órdenes de trabajo",
        code="ordenes",
        url="https://erp.ejemplo.cl/hook",
        trigger=Trigger.TASK,
        workflow=workflow_a,
    )


@pytest.fixture
def deliveries(webhook):
    event = Event.objects.create(company=webhook.company, type="COTTask", action="create", body='{"a": 1}')
    rows = []
    states = (("success", 200, 1), ("failed", 409, 3), ("pending", 503, 1), ("pending", None, 0))
    for state, status, attempts in states:
        rows.append(
            Delivery.objects.create(
                company=webhook.company,
                webhook=webhook,
                event=event,
                state=state,
                status_code=status,
                attempts=attempts,
                created_at=WHEN,
            )
        )
    Attempt.objects.create(delivery=rows[1], number=1, started_at=WHEN, status_code=409, duration_ms=12)
    return rows


# Data shown in the pages, which is not UI text.
DATA = (
    "Órdenes de trabajo",
    "https://erp.ejemplo.cl/hook",
    "Company A",
    "admin-a@example.com",
    "Work Orders",
)


def spanish_pages(client, webhook, deliveries):
    """(name, html) of every main page and fragment, in Spanish."""
    edit = reverse("webhooks:edit", args=[webhook.pk])
    delivery = reverse("webhooks:delivery", args=[webhook.pk, deliveries[1].object_id])
    htmx = {**ES, "HTTP_HX_REQUEST": "true"}
    pages = {
        "list": client.get(reverse("webhooks:list"), **ES),
        "list disabled": client.get(reverse("webhooks:list") + "?disabled=1", **ES),
        "create": client.get(reverse("webhooks:create"), **ES),
        "create, errors": client.post(
            reverse("webhooks:create"),
            {"name": "", "code": "MAL", "url": "no es url", "trigger": Trigger.SURVEY},
            **ES,
        ),
        "edit": client.get(edit, **ES),
        "delivery": client.get(delivery, **ES),
        "delivery fragment": client.get(delivery, **htmx),
        "secret": client.get(reverse("webhooks:secret", args=[webhook.pk]), **htmx),
        "rotate": client.post(reverse("webhooks:rotate_secret", args=[webhook.pk]), **htmx),
        "set active": client.post(reverse("webhooks:set_active", args=[webhook.pk]), {"active": "0"}, **htmx),
        "deactivate": client.post(reverse("webhooks:deactivate"), {"ids": [webhook.pk]}, **htmx),
        "deactivate none": client.post(reverse("webhooks:deactivate"), {}, **htmx),
        "token": client.get(reverse("webhooks:token"), **ES),
        "token created": client.post(reverse("webhooks:token"), **htmx),
        "token page": client.get(reverse("webhooks:token"), **ES),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.content.decode() for name, response in pages.items()}


def test_spanish_pages_have_no_english_ui_words(staff_client, webhook, deliveries):
    found = {}
    for name, html in spanish_pages(staff_client, webhook, deliveries).items():
        words = english_words(html, *DATA, webhook.pk, webhook.secret)
        if words:
            found[name] = words
    assert found == {}


def test_login_page_in_spanish(client, admin_a):
    html = client.get(reverse("login"), **ES).content.decode()
    assert '<html lang="es">' in html
    assert "Iniciar sesión" in html and "Contraseña" in html and "Correo electrónico" in html
    assert english_words(html) == []
    response = client.post(reverse("login"), {"username": admin_a.email, "password": "wrong"}, **ES)
    html = response.content.decode()
    assert "Ingrese un correo electrónico y una contraseña correctos." in html
    assert english_words(html, admin_a.email) == []


def test_html_lang_follows_the_active_language(staff_client):
    assert '<html lang="es">' in staff_client.get(reverse("webhooks:list"), **ES).content.decode()
    assert '<html lang="en">' in staff_client.get(reverse("webhooks:list"), **EN).content.decode()
    assert '<html lang="en">' in staff_client.get(reverse("webhooks:list")).content.decode()


def test_spanish_validation_errors(staff_client, company_a):
    Webhook.objects.create(company=company_a, name="Ocupado", code="ocupado", url="https://a.example/")
    cases = [
        ({"name": ""}, "Este campo es obligatorio."),
        ({"code": "Con_Mayusculas"}, "Use de 1 a 60 letras minúsculas, dígitos o guiones bajos."),
        ({"code": "ocupado"}, "Ya existe un webhook con este código."),
        ({"url": "no es una url"}, "Ingrese una URL válida."),
        ({"url": "ftp://ejemplo.cl/"}, "Ingrese una URL http(s)."),
        ({"trigger": Trigger.TASK}, "Este disparador requiere un flujo de trabajo."),
        ({"trigger": Trigger.SURVEY}, "Este disparador requiere una encuesta."),
        ({"trigger": "nope"}, "Seleccione una opción válida."),
    ]
    for fields, message in cases:
        data = {"name": "Pedidos", "code": "pedidos", "url": "https://erp.ejemplo.cl/"}
        data["trigger"] = Trigger.USER
        response = staff_client.post(reverse("webhooks:create"), {**data, **fields}, **ES)
        html = response.content.decode()
        assert response.status_code == 200, fields
        assert message in html, (fields, message)
        assert "Corrija los errores indicados más abajo." in html
    assert not Webhook.objects.filter(code="pedidos").exists()


def test_the_code_cannot_change_message_in_spanish(staff_client, webhook):
    data = {"name": "X", "code": "otro", "url": "https://erp.ejemplo.cl/", "trigger": Trigger.USER}
    html = staff_client.post(reverse("webhooks:edit", args=[webhook.pk]), data, **ES).content.decode()
    assert "El código no se puede cambiar una vez guardado el webhook." in html


def test_spanish_labels_trigger_labels_and_dates(staff_client, webhook, deliveries):
    html = staff_client.get(reverse("webhooks:list"), **ES).content.decode()
    assert "Nombre" in html and "Disparador" in html and "Mostrar deshabilitados" in html
    # The list names the trigger as the form does; the raw value (the API's) stays in the markup.
    assert f'<td class="trigger" data-trigger="{Trigger.TASK}">Crear/Editar/Eliminar tarea</td>' in html
    assert f">{Trigger.TASK}<" not in html
    edit = staff_client.get(reverse("webhooks:edit", args=[webhook.pk]), **ES).content.decode()
    assert f'<option value="{Trigger.TASK}" selected>Crear/Editar/Eliminar tarea</option>' in edit
    for label in ("ÉXITO", "FALLIDO", "REINTENTANDO", "PENDIENTE", "Fecha de ejecución", "Reenviar"):
        assert f">{label}<" in edit
    assert '>05/04/2024 14:03:07 <span class="tz">UTC</span></time>' in edit  # d/m/Y in Spanish
    assert 'title="2024-04-05T14:03:07.000+00:00"' in edit  # the full time on hover, in any language
    english = staff_client.get(reverse("webhooks:edit", args=[webhook.pk]), **EN).content.decode()
    assert '>04/05/24 - 14:03:07 <span class="tz">UTC</span></time>' in english  # MM/DD/YY - HH:mm:ss
    with translation.override("es"):
        assert date_format(WHEN, "DATETIME_FORMAT") == "5 de abril de 2024 a las 14:03"


def test_notices_in_spanish_with_plurals(staff_client, company_a):
    hooks = [
        Webhook.objects.create(company=company_a, name=f"H{n}", code=f"h{n}", url="https://a.example/")
        for n in range(3)
    ]
    htmx = {**ES, "HTTP_HX_REQUEST": "true"}
    html = staff_client.post(reverse("webhooks:deactivate"), {"ids": [hooks[0].pk]}, **htmx).content.decode()
    assert "1 webhook desactivado." in html
    html = staff_client.post(
        reverse("webhooks:deactivate"), {"ids": [h.pk for h in hooks[1:]]}, **htmx
    ).content.decode()
    assert "2 webhooks desactivados." in html and "data-announce" in html


def test_saved_message_after_the_redirect(staff_client, webhook):
    data = {"name": "Renombrado", "url": "https://erp.ejemplo.cl/v2", "trigger": Trigger.USER}
    response = staff_client.post(reverse("webhooks:edit", args=[webhook.pk]), data, follow=True, **ES)
    html = response.content.decode()
    assert '<div class="notice" data-announce>Guardado.</div>' in html
    html = staff_client.get(reverse("webhooks:edit", args=[webhook.pk]), **ES).content.decode()
    assert "Guardado." not in html  # shown once


def test_language_switch_is_remembered_in_a_cookie(staff_client):
    html = staff_client.get(reverse("webhooks:list"), **ES).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="language" value="en" lang="en"' in html
    assert 'value="es" lang="es" aria-current="true"' in html
    switch = {"language": "en", "next": "/webhooks/?disabled=1"}
    response = staff_client.post(reverse("set_language"), switch, **ES)
    assert response.status_code == 302 and response["Location"] == "/webhooks/?disabled=1"
    assert response.cookies["django_language"].value == "en"
    # The cookie wins over the browser's Accept-Language from now on.
    html = staff_client.get(reverse("webhooks:list"), **ES).content.decode()
    assert '<html lang="en">' in html and "Show disabled" in html
    staff_client.post(reverse("set_language"), {"language": "es", "next": "/webhooks/"}, **EN)
    assert '<html lang="es">' in staff_client.get(reverse("webhooks:list"), **EN).content.decode()


def test_login_page_has_the_language_switch(client):
    html = client.get(reverse("login"), **ES).content.decode()
    assert f'action="{reverse("set_language")}"' in html and 'name="next"' in html


def test_the_scan_is_not_vacuous(staff_client, webhook, deliveries):
    """The same scan over the English page finds the English words (the check above can fail)."""
    html = staff_client.get(reverse("webhooks:edit", args=[webhook.pk]), **EN).content.decode()
    found = " ".join(english_words(html, *DATA, webhook.pk, lang="en"))
    for word in ("'Save'", "'Deactivate'", "'Logs'", "'Name'", "'Trigger'", "'SUCCESS'", "'Send test event'"):
        assert word in found
    # Data is not UI: names, URLs, codes and JSON are left out.
    assert english_words('<td>Save</td><code>Save</code><pre>{"Name": 1}</pre>', "Save") == []


def test_the_rest_api_messages_follow_accept_language_only(client, settings):
    """More in tests/webhooks/test_api_language.py; the panel's cookie is not the API's choice."""
    response = client.get("/api/v3/webhook/subscription", **ES)
    assert response.status_code == 401
    assert response.json()["detail"] == "Las credenciales de autenticación no se proveyeron."
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert client.get("/api/v3/webhook/subscription", **EN).json()["detail"] == (
        "Authentication credentials were not provided."
    )


# --- wording (issue 24) ----------------------------------------------------------------------


def spanish_catalogue() -> dict[str, list[str]]:
    po = (BASE_DIR / "locale/es/LC_MESSAGES/django.po").read_text()
    return {e["msgid"]: e["msgstr"] for e in parse_po(po) if not e["obsolete"]}


def test_the_spanish_catalogue_says_usted_never_tu():
    """The panel addresses the administrator as "usted": "Vuelva a intentarlo", never "Vuelve"."""
    tu = re.compile(
        r"\b(Vuelve a intentarlo|Elige|guarda antes|Has iniciado|Pide|tu empresa|inicia sesión con)\b"
    )
    found = {msgid: msgstr for msgid, msgstr in spanish_catalogue().items() if tu.search(" ".join(msgstr))}
    assert found == {}
    catalogue = spanish_catalogue()
    assert catalogue["Too many test events for now. Try again in %(seconds)s s."] == [
        "Demasiados eventos de prueba por ahora. Vuelva a intentarlo en %(seconds)s s."
    ]


def test_an_over_long_name_says_at_most_in_spanish(staff_client):
    data = {"name": "x" * 300, "url": "https://erp.ejemplo.cl/", "trigger": Trigger.USER}

    html = staff_client.post(reverse("webhooks:create"), data, **ES).content.decode()

    assert "Ingrese como máximo 200 caracteres (tiene 300)." in html
    assert "menos de 200" not in html
