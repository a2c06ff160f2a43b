"""A self-contained HTML page rendering the OpenAPI schema (no CDN assets).

The page's own words follow the panel's language; the schema's texts (summaries, descriptions)
are English, marked lang="en" so that a screen reader reads them as such."""

from django.http import HttpResponse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
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
        name, _component = _resolve(schema, node)
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "allOf" in node and node["allOf"]:
        return _type_label(schema, node["allOf"][0])
    if node.get("type") == "array":
        return escape(_("array of %(type)s")) % {"type": _type_label(schema, node.get("items", {}))}
    label: str = escape(node.get("type", "any"))
    if node.get("enum"):
        label += " (" + escape(", ".join(str(v) for v in node["enum"] if v not in ("", None))) + ")"
    if node.get("format"):
        label += f" <small>{escape(node['format'])}</small>"
    return label


def _header_row(*names: str) -> str:
    return "<table><tr>" + "".join(f"<th>{escape(name)}</th>" for name in names) + "</tr>"


def _docs_html(schema: dict) -> str:
    info = schema.get("info", {})
    parts = [
        f"<!doctype html><html lang='{escape(translation.get_language())}'><head><meta charset='utf-8'>",
        f"<title>{escape(info.get('title', 'API'))}</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1d2433}code,pre{font-family:ui-monospace,monospace;font-size:13px}"
        "h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}"
        ".op{border:1px solid #dde;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}"
        ".m{display:inline-block;min-width:4.5rem;font-weight:700;color:#fff;border-radius:4px;"
        "text-align:center;margin-right:.5rem}.get{background:#2b6cb0}.post{background:#2f855a}"
        ".put,.patch{background:#975a16}.delete{background:#c53030}"
        "table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #e2e2ea;padding:.15rem .5rem;"
        "text-align:left;vertical-align:top}</style></head><body><main>",
        f"<h1>{escape(info.get('title', 'API'))} <small>{escape(info.get('version', ''))}</small></h1>",
        f"<p lang='en'>{escape(info.get('description', ''))}</p>",
        "<p>"
        + escape(_("Machine-readable schema: %(yaml)s · %(json)s. Authenticate with %(header)s."))
        % {
            "yaml": "<a href='/api/schema/'>OpenAPI 3 (YAML)</a>",
            "json": "<a href='/api/schema/?format=json'>JSON</a>",
            "header": "<code>Authorization: Bearer &lt;token&gt;</code>",
        }
        + "</p>",
    ]
    if not translation.get_language().startswith("en"):
        parts.append(f"<p>{escape(_('The descriptions of the schema are in English.'))}</p>")
    parts.append(f"<h2>{escape(_('Operations'))}</h2>")
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parts.append(f"<div class='op' id='{escape(op.get('operationId', ''))}'>")
            parts.append(f"<p><span class='m {method}'>{method.upper()}</span><code>{escape(path)}</code>")
            parts.append(f" — <strong lang='en'>{escape(op.get('summary', ''))}</strong></p>")
            if op.get("description"):
                parts.append(f"<p lang='en'>{escape(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                parts.append(_header_row(_("Parameter"), _("In"), _("Type"), _("Description")))
                for param in params:
                    required = " *" if param.get("required") else ""
                    parts.append(
                        f"<tr><td><code>{escape(param['name'])}</code>{required}</td><td>{escape(param['in'])}"
                        f"</td><td>{_type_label(schema, param.get('schema', {}))}</td>"
                        f"<td lang='en'>{escape(param.get('description', ''))}</td></tr>"
                    )
                parts.append("</table>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                label = _type_label(schema, body.get("schema", {}))
                parts.append("<p>" + escape(_("Request body (JSON): %(type)s")) % {"type": label} + "</p>")
            parts.append(_header_row(_("Response"), _("Body"), _("Description")))
            for code, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                body_label = _type_label(schema, content["schema"]) if "schema" in content else "—"
                headers = ", ".join(response.get("headers", {}))
                note = f"<span lang='en'>{escape(response.get('description', ''))}</span>" + (
                    " <small>" + escape(_("Headers: %(names)s") % {"names": headers}) + "</small>"
                    if headers
                    else ""
                )
                parts.append(f"<tr><td>{escape(code)}</td><td>{body_label}</td><td>{note}</td></tr>")
            parts.append("</table></div>")
    parts.append(f"<h2>{escape(_('Schemas'))}</h2>")
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        parts.append(f"<div class='op' id='schema-{escape(name)}'><h3>{escape(name)}</h3>")
        if component.get("description"):
            parts.append(f"<p lang='en'>{escape(component['description'])}</p>")
        properties = component.get("properties", {})
        if properties:
            required_fields = set(component.get("required", []))
            parts.append(_header_row(_("Field"), _("Type"), _("Description")))
            for field, node in properties.items():
                mark = " *" if field in required_fields else ""
                parts.append(
                    f"<tr><td><code>{escape(field)}</code>{mark}</td><td>{_type_label(schema, node)}</td>"
                    f"<td lang='en'>{escape(node.get('description', ''))}</td></tr>"
                )
            parts.append("</table>")
        elif component.get("enum"):
            values = f"<code>{escape(', '.join(map(str, component['enum'])))}</code>"
            parts.append("<p>" + escape(_("One of: %(values)s")) % {"values": values} + "</p>")
        parts.append("</div>")
    parts.append("</main></body></html>")
    return "".join(parts)


class ApiDocsView(APIView):
    """A self-contained HTML rendering of the OpenAPI schema."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = None  # not part of the API it documents

    def get(self, request: Request) -> HttpResponse:
        with translation.override("en"):  # the schema's texts are English (ApiMiddleware)
            schema = SchemaGenerator().get_schema(request=None, public=True)
        return HttpResponse(_docs_html(schema), content_type="text/html; charset=utf-8")
