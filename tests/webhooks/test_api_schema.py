"""GET /api/schema/ (OpenAPI 3 by drf-spectacular) and /api/docs/ (a self-contained page)."""

import re

import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.browser.i18n_support import ensure_messages_compiled

OPERATIONS = {
    ("get", "/api/v3/webhook/subscription"),
    ("post", "/api/v3/webhook/subscription"),
    ("get", "/api/v3/webhook/subscription/{id}"),
    ("put", "/api/v3/webhook/subscription/{id}"),
    ("patch", "/api/v3/webhook/subscription/{id}"),
    ("post", "/api/v3/webhook/subscription/{id}/activate"),
    ("post", "/api/v3/webhook/subscription/{id}/deactivate"),
    ("post", "/api/v3/webhook/subscription/{id}/resume"),
    ("post", "/api/v3/webhook/subscription/{id}/test"),
    ("get", "/api/v3/webhook/subscription/{id}/secret"),
    ("post", "/api/v3/webhook/subscription/{id}/rotate-secret"),
    ("get", "/api/v3/webhook/subscription/logs/{id}"),
    ("get", "/api/v3/webhook/subscription/logs/{id}/{log_id}"),
    ("post", "/api/v3/webhook/subscription/logs/{id}/{log_id}/redeliver"),
    ("post", "/api/v3/webhook/subscription/logs/{id}/redeliver-failed"),
    ("get", "/api/v3/webhook/alerts"),
    ("put", "/api/v3/webhook/alerts"),
}


def api_operations(schema: dict) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v3/")
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_schema_is_public_openapi_3_with_every_operation_and_bearer_auth(db):
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert api_operations(schema) == OPERATIONS
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_list_responses_are_documented_as_arrays_with_pagination_headers(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    for path in ("/api/v3/webhook/subscription", "/api/v3/webhook/subscription/logs/{id}"):
        ok = schema["paths"][path]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"]["type"] == "array"
        assert set(ok["headers"]) == {"X-Total-Count", "Link"}
    webhook = schema["components"]["schemas"]["Webhook"]
    assert set(webhook["required"]) == {
        "_id", "company", "isActive", "trigger", "url", "name", "code", "description", "context",
        "createdAt", "modifiedAt", "inactiveReason", "headers", "events", "fields", "ordering", "maxInFlight",
        "health",
    }  # fmt: skip


def test_the_schema_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert api_operations(yaml.safe_load(target.read_text())) == OPERATIONS


def test_the_docs_page_lists_every_operation_without_external_assets(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for method, path in OPERATIONS:
        assert f"<span class='m {method}'>{method.upper()}</span><code>{path}</code>" in html
    assert "Authorization: Bearer" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_the_docs_page_speaks_the_panels_language_and_marks_the_schemas_english_texts(db, settings):
    ensure_messages_compiled()
    english = APIClient().get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = APIClient().get("/api/docs/", HTTP_ACCEPT_LANGUAGE="es-CL,es").content.decode()
    by_cookie = APIClient()
    by_cookie.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    assert english.startswith("<!doctype html><html lang='en'>")
    assert "<h2>Operations</h2>" in english and "<th>Parameter</th>" in english
    assert "are in English" not in english
    assert spanish.startswith("<!doctype html><html lang='es'>")
    for chrome in ("<h2>Operaciones</h2>", "<h2>Esquemas</h2>", "<th>Parámetro</th>", "<th>Campo</th>"):
        assert chrome in spanish
    assert (
        "Esquema legible por máquina" in spanish
        and "Las descripciones del esquema están en inglés." in spanish
    )
    assert "<p lang='en'>Cotalker-compatible webhook subscriptions" in spanish
    assert "<h2>Operations</h2>" not in spanish
    assert "<h2>Operaciones</h2>" in by_cookie.get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_no_description_carries_markdown_of_enum_choices(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    html = APIClient().get("/api/docs/").content.decode()

    descriptions = []

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("description"), str):
                descriptions.append(node["description"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    assert descriptions
    assert [d for d in descriptions if "* `" in d] == []
    assert "* `" not in html and "` - " not in html
    trigger = next(
        p
        for p in schema["paths"]["/api/v3/webhook/subscription"]["get"]["parameters"]
        if p["name"] == "trigger"
    )
    assert trigger["description"] == "Only webhooks with this trigger."


def test_the_panel_links_to_the_docs_page_in_both_languages(staff_client):
    english = staff_client.get(reverse("webhooks:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = staff_client.get(reverse("webhooks:list"), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert f'<a href="{reverse("api:docs")}">API documentation</a>' in english
    assert f'<a href="{reverse("api:docs")}">Documentación de la API</a>' in spanish
