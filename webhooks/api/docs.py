"""A self-contained HTML page rendering the OpenAPI schema (no CDN assets)."""

from django.http import HttpResponse
from django.utils.html import escape
from drf_spectacular.generators import SchemaGenerator
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView


def _resolve(schema: dict, node: dict) -> tuple[str, dict]:
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        return name, schema["components"]["schemas"].get(name, {})
    return "", node


def _type_label(schema: dict, node: dict) -> str:
    if "$ref" in node:
        name, _ = _resolve(schema, node)
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "allOf" in node and node["allOf"]:
        return _type_label(schema, node["allOf"][0])
    if node.get("type") == "array":
        return f"array of {_type_label(schema, node.get('items', {}))}"
    label = escape(node.get("type", "any"))
    if node.get("enum"):
        label += " (" + escape(", ".join(str(v) for v in node["enum"] if v not in ("", None))) + ")"
    if node.get("format"):
        label += f" <small>{escape(node['format'])}</small>"
    return label


def _docs_html(schema: dict) -> str:
    info = schema.get("info", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info.get('title', 'API'))}</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1d2433}code,pre{font-family:ui-monospace,monospace;font-size:13px}"
        "h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}"
        ".op{border:1px solid #dde;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}"
        ".m{display:inline-block;min-width:4.5rem;font-weight:700;color:#fff;border-radius:4px;"
        "text-align:center;margin-right:.5rem}.get{background:#2b6cb0}.post{background:#2f855a}"
        ".put,.patch{background:#b7791f}.delete{background:#c53030}"
        "table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #e2e2ea;padding:.15rem .5rem;"
        "text-align:left;vertical-align:top}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} <small>{escape(info.get('version', ''))}</small></h1>",
        f"<p>{escape(info.get('description', ''))}</p>",
        "<p>Machine-readable schema: <a href='/api/schema/'>OpenAPI 3 (YAML)</a> · "
        "<a href='/api/schema/?format=json'>JSON</a>. Authenticate with "
        "<code>Authorization: Bearer &lt;token&gt;</code>.</p><h2>Operations</h2>",
    ]
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parts.append(f"<div class='op' id='{escape(op.get('operationId', ''))}'>")
            parts.append(f"<p><span class='m {method}'>{method.upper()}</span><code>{escape(path)}</code>")
            parts.append(f" — <strong>{escape(op.get('summary', ''))}</strong></p>")
            if op.get("description"):
                parts.append(f"<p>{escape(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                parts.append("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>")
                for param in params:
                    required = " *" if param.get("required") else ""
                    parts.append(
                        f"<tr><td><code>{escape(param['name'])}</code>{required}</td><td>{escape(param['in'])}"
                        f"</td><td>{_type_label(schema, param.get('schema', {}))}</td>"
                        f"<td>{escape(param.get('description', ''))}</td></tr>"
                    )
                parts.append("</table>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                parts.append(f"<p>Request body (JSON): {_type_label(schema, body.get('schema', {}))}</p>")
            parts.append("<table><tr><th>Response</th><th>Body</th><th>Description</th></tr>")
            for code, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                body_label = _type_label(schema, content["schema"]) if "schema" in content else "—"
                headers = ", ".join(response.get("headers", {}))
                note = escape(response.get("description", "")) + (
                    f" <small>Headers: {escape(headers)}</small>" if headers else ""
                )
                parts.append(f"<tr><td>{escape(code)}</td><td>{body_label}</td><td>{note}</td></tr>")
            parts.append("</table></div>")
    parts.append("<h2>Schemas</h2>")
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        parts.append(f"<div class='op' id='schema-{escape(name)}'><h3>{escape(name)}</h3>")
        if component.get("description"):
            parts.append(f"<p>{escape(component['description'])}</p>")
        properties = component.get("properties", {})
        if properties:
            required = set(component.get("required", []))
            parts.append("<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>")
            for field, node in properties.items():
                mark = " *" if field in required else ""
                parts.append(
                    f"<tr><td><code>{escape(field)}</code>{mark}</td><td>{_type_label(schema, node)}</td>"
                    f"<td>{escape(node.get('description', ''))}</td></tr>"
                )
            parts.append("</table>")
        elif component.get("enum"):
            parts.append(f"<p>One of: <code>{escape(', '.join(map(str, component['enum'])))}</code></p>")
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


class ApiDocsView(APIView):
    """A self-contained HTML rendering of the OpenAPI schema."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = None  # not part of the API it documents

    def get(self, request: Request) -> HttpResponse:
        generator = SchemaGenerator()
        schema = generator.get_schema(request=None, public=True)
        return HttpResponse(_docs_html(schema), content_type="text/html; charset=utf-8")
