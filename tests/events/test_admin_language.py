"""The Django admin in Spanish: model and field names are translated (Django translates the rest)."""

import html

import pytest
from django.contrib.auth.models import Permission

from events.models import Task
from tests.browser.i18n_support import EN, ES

pytestmark = pytest.mark.usefixtures("translations")


@pytest.fixture
def admin_client_a(client, admin_a):
    admin_a.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["events", "webhooks"])
    )
    client.force_login(admin_a)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_task_changelist_offers_to_add_a_task_in_the_browsers_language(admin_client_a):
    spanish = text(admin_client_a.get("/admin/events/task/", **ES))
    english = text(admin_client_a.get("/admin/events/task/", **EN))

    assert "Añadir tarea" in spanish and "Add task" not in spanish
    assert "Add task" in english


def test_the_language_cookie_chooses_spanish_too(admin_client_a, settings):
    admin_client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    assert "Añadir tarea" in text(admin_client_a.get("/admin/events/task/add/", **EN))


def test_the_index_names_the_models_in_spanish(admin_client_a):
    index = text(admin_client_a.get("/admin/", **ES))

    for name in (
        "Tareas",
        "Respuestas de encuesta",
        "Flujos de trabajo",
        "Entregas",
        "Webhooks",
        "Dominio de Cotalker",
    ):
        assert name in index, name
    assert "Survey answers" not in index


def test_the_add_form_labels_the_fields_in_spanish(admin_client_a):
    form = text(admin_client_a.get("/admin/events/task/add/", **ES))

    for label in ("Flujo de trabajo:", "Nombre:", "Información:", "Responsable:", "Fecha de inicio:"):
        assert label in form, label


def test_deleting_a_task_says_so_in_spanish(admin_client_a, workflow_a):
    task = Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Revisar bomba")

    response = admin_client_a.post(
        f"/admin/events/task/{task.pk}/delete/", {"post": "yes"}, follow=True, **ES
    )

    assert not Task.objects.filter(pk=task.pk).exists()
    # Django's own Spanish would read "Eltarea “Revisar bomba” fue eliminado con éxito." (locale/es).
    assert "Se eliminó correctamente: tarea “Revisar bomba”." in text(response)
