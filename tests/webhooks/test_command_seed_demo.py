"""manage.py seed_demo — the demo data of `make run`, on the port it serves on."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from events.models import Collection, Company, Element, Group, Survey, User, Workflow
from tests.browser.i18n_support import ensure_messages_compiled
from webhooks.models import Webhook


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_it_seeds_once_with_the_demo_webhook_on_the_given_port(db, settings, monkeypatch):
    settings.WEBHOOK_DEMO_RECEIVER = True
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "pw-demo-admin-1")

    printed = seed(port=8001)

    assert "Sign in at http://127.0.0.1:8001/" in printed
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8001/demo/receiver/"
    assert User.objects.get(email="admin@example.com").check_password("pw-demo-admin-1")


def test_on_another_port_the_demo_webhook_follows_and_nothing_else_changes(db, settings):
    settings.WEBHOOK_DEMO_RECEIVER = True
    seed()
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8000/demo/receiver/"
    company = Company.objects.get()
    Webhook.objects.create(company=company, name="Mine", code="mine", url="https://erp.example.com/hook")

    printed = seed(port=8002)

    assert "already present" in printed and "http://127.0.0.1:8002/" in printed
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8002/demo/receiver/"
    assert Webhook.objects.get(code="mine").url == "https://erp.example.com/hook"
    assert Company.objects.count() == 1


def demo_names() -> dict[str, str]:
    return {
        "company": Company.objects.get().name,
        "admin": " ".join(User.objects.values_list("names", "last_name").get(email="admin@example.com")),
        "workflow": Workflow.objects.get(code="demo_workflow").name,
        "group": Group.objects.get(name_code="notifications").name_display,
        "survey": Survey.objects.get(code="create_notification").name,
        "collection": Collection.objects.get(code="data_equipment").display,
        "element": Element.objects.get(code="equipment_2c").display,
        "webhook": Webhook.objects.get(code="demo_tasks").name,
        "description": Webhook.objects.get(code="demo_tasks").description,
    }


def test_by_default_it_seeds_in_the_project_language_english(db, settings):
    settings.WEBHOOK_DEMO_RECEIVER = True

    seed()

    assert demo_names() == {
        "company": "Demo Company",
        "admin": "Demo Admin",
        "workflow": "Demo workflow",
        "group": "Notifications",
        "survey": "Create Notification",
        "collection": "Equipment",
        "element": "Equipment 2-C",
        "webhook": "Demo: tasks",
        "description": "Sends every task of the demo workflow to the built-in demo receiver.",
    }


def test_in_spanish_it_seeds_spanish_names_and_keeps_the_codes(db, settings):
    settings.WEBHOOK_DEMO_RECEIVER = True
    ensure_messages_compiled()
    translation.activate("en")  # whatever an earlier test left active in this thread

    seed(language="es")

    assert demo_names() == {
        "company": "Empresa de demostración",
        "admin": "Administrador Demo",
        "workflow": "Flujo de trabajo de demostración",
        "group": "Notificaciones",
        "survey": "Crear notificación",
        "collection": "Equipos",
        "element": "Equipo 2-C",
        "webhook": "Demo: tareas",
        "description": (
            "Envía cada tarea del flujo de trabajo de demostración al receptor de demostración integrado."
        ),
    }
    assert translation.get_language() == "en"  # the command's language does not leak


def test_seeded_in_one_language_a_run_in_the_other_finds_the_demo_data_and_adds_nothing(db, settings):
    settings.WEBHOOK_DEMO_RECEIVER = True
    ensure_messages_compiled()
    seed(language="es")

    printed = seed(language="en", port=8003)

    assert "already present" in printed
    assert Company.objects.count() == 1 and Company.objects.get().name == "Empresa de demostración"
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8003/demo/receiver/"


def test_a_language_the_panel_does_not_offer_is_refused(db):
    with pytest.raises(CommandError, match="invalid choice: 'fr'"):
        seed(language="fr")
    assert not Company.objects.exists()
