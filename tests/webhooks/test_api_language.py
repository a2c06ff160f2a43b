"""The API's error messages follow Accept-Language (English without it); the data and the schema
stay English."""

import pytest
from rest_framework.test import APIClient

from events.models import Workflow
from tests.browser.i18n_support import EN
from webhooks.models import ApiToken

pytestmark = pytest.mark.usefixtures("translations")

B = "/api/v3/webhook/subscription"
ES = {"HTTP_ACCEPT_LANGUAGE": "es-CL,es;q=0.9,en;q=0.5"}


def in_both(send) -> tuple:
    """(English, Spanish) responses of the same request."""
    return send(**EN), send(**ES)


def test_401_without_a_token(db):
    english, spanish = in_both(lambda **h: APIClient().get(B, **h))

    assert english.status_code == spanish.status_code == 401
    assert english.json() == {"detail": "Authentication credentials were not provided."}
    assert spanish.json() == {"detail": "Las credenciales de autenticación no se proveyeron."}
    assert spanish["Content-Language"] == "es" and "Accept-Language" in spanish["Vary"]


def test_401_with_a_malformed_authorization_header(db):
    english, spanish = in_both(lambda **h: APIClient().get(B, HTTP_AUTHORIZATION="Bearer a b", **h))

    assert english.json() == {"detail": "Invalid Authorization header: use 'Bearer <token>'."}
    assert spanish.json() == {"detail": "Encabezado Authorization no válido: use 'Bearer <token>'."}


def test_403_for_a_user_who_is_not_staff_of_a_company(member_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=member_a, name='t')[1]}")

    english, spanish = in_both(lambda **h: client.get(B, **h))

    assert english.status_code == spanish.status_code == 403
    assert english.json() == {"detail": "Only staff users of a company may use this API."}
    assert spanish.json() == {"detail": "Solo los usuarios del personal de una empresa pueden usar esta API."}


def test_404_for_a_webhook_of_no_one_and_for_an_unknown_path(api):
    english, spanish = in_both(lambda **h: api.get(f"{B}/000000000000000000000000", **h))
    english_path, spanish_path = in_both(lambda **h: api.get("/api/v3/nothing/", **h))

    assert english.status_code == spanish.status_code == 404
    assert english.json() == {"detail": "No webhook with this id in your company."}
    assert spanish.json() == {"detail": "No hay ningún webhook con este id en su empresa."}
    assert english_path.json() == {"detail": "Not found."}
    assert spanish_path.json() == {"detail": "No encontrado."}


def test_405_for_a_method_the_endpoint_does_not_have(api):
    english, spanish = in_both(lambda **h: api.delete(B, **h))

    assert english.status_code == spanish.status_code == 405
    assert english.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert spanish.json() == {"detail": 'Método "DELETE" no permitido.'}


def test_400_field_errors_from_drf_django_and_the_project(api, company_a):
    inactive = Workflow.objects.create(company=company_a, name="Old", code="old", is_active=False)
    body = {
        "code": "Bad Code",
        "url": "ftp://example.com",
        "trigger": "create-edit-delete-task",
        "context": {"taskGroup": inactive.pk},
        "descripton": "typo",
    }

    english, spanish = in_both(lambda **h: api.post(B, body, format="json", **h))

    assert english.status_code == spanish.status_code == 400
    assert english.json() == {"descripton": ["Unknown field."]}
    assert spanish.json() == {"descripton": ["Campo desconocido."]}
    del body["descripton"]
    english, spanish = in_both(lambda **h: api.post(B, body, format="json", **h))
    assert english.json() == {
        "name": ["This field is required."],
        "code": ["Use 1-60 lowercase letters, digits or underscores."],
        "url": ["Enter an http(s) URL."],
        "context": {"taskGroup": ["This workflow is inactive."]},
    }
    assert spanish.json() == {
        "name": ["Este campo es obligatorio."],
        "code": ["Use de 1 a 60 letras minúsculas, dígitos o guiones bajos."],
        "url": ["Ingrese una URL http(s)."],
        "context": {"taskGroup": ["Este flujo de trabajo está inactivo."]},
    }


def test_400_for_a_bad_log_filter(api, webhook):
    english, spanish = in_both(lambda **h: api.get(f"{B}/logs/{webhook.pk}", {"objectId": "x"}, **h))

    assert english.json() == {"objectId": ["Enter a 24-character lowercase hexadecimal id."]}
    assert spanish.json() == {"objectId": ["Ingrese un id hexadecimal en minúsculas de 24 caracteres."]}


def test_without_accept_language_or_with_an_unoffered_one_it_is_english(db):
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "fr-FR,de;q=0.8"}, {"HTTP_ACCEPT_LANGUAGE": "*"}):
        response = APIClient().get(B, **headers)
        assert response.json() == {"detail": "Authentication credentials were not provided."}, headers


def test_the_panels_language_cookie_does_not_change_the_api(db, settings):
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = client.get(B, **EN)

    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_the_data_stays_as_it_is_and_the_schema_stays_english(api, webhook):
    english, spanish = in_both(lambda **h: api.get(f"{B}/{webhook.pk}", **h))
    english_schema, spanish_schema = in_both(
        lambda **h: APIClient().get("/api/schema/", {"format": "json"}, **h)
    )

    assert spanish.json() == english.json()
    assert spanish_schema["Content-Language"] == "en"
    assert spanish_schema.json() == english_schema.json()
