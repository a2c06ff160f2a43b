"""Each rule of a webhook (webhooks.rules, applied by Webhook.full_clean()) gives the same error
from the REST API and from the panel, in English and in Spanish: one table of cases, both paths."""

from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser.i18n_support import EN
from webhooks.models import Trigger, Webhook

pytestmark = pytest.mark.usefixtures("translations")

B = "/api/v3/webhook/subscription"
ES = {"HTTP_ACCEPT_LANGUAGE": "es-CL,es;q=0.9,en;q=0.5"}


@dataclass
class Case:
    rule: str
    api: dict  # the API's body, over a valid task webhook's
    panel: dict  # the panel's post, over the same webhook's
    api_key: tuple[str, ...]  # where the API says it ("context", "taskGroup")
    panel_field: str  # where the panel says it ("__all__": above the form)
    english: str
    spanish: str
    panel_omits: tuple[str, ...] = field(default=())  # fields the panel's post leaves out


CASES = [
    Case(
        "a code of another webhook of the company",
        {"code": "taken"},
        {"code": "taken"},
        ("code",),
        "code",
        "A webhook with this code already exists.",
        "Ya existe un webhook con este código.",
    ),
    Case(
        "the code's pattern",
        {"code": "WO_Update"},
        {"code": "WO_Update"},
        ("code",),
        "code",
        "Use 1-60 lowercase letters, digits or underscores.",
        "Use de 1 a 60 letras minúsculas, dígitos o guiones bajos.",
    ),
    Case(
        "a URL that is not one",
        {"url": "not a url"},
        {"url": "not a url"},
        ("url",),
        "url",
        "Enter a valid URL.",
        "Ingrese una URL válida.",
    ),
    Case(
        "a URL that is not http(s)",
        {"url": "ftp://files.example.com/"},
        {"url": "ftp://files.example.com/"},
        ("url",),
        "url",
        "Enter an http(s) URL.",
        "Ingrese una URL http(s).",
    ),
    Case(
        "credentials in the URL",
        {"url": "https://user:secret@example.com/hook"},
        {"url": "https://user:secret@example.com/hook"},
        ("url",),
        "url",
        "Credentials in the URL (user:password@) are not accepted: send them in a custom request "
        "header, such as Authorization.",
        "No se aceptan credenciales en la URL (usuario:contraseña@): envíelas en un encabezado "
        "personalizado, como Authorization.",
    ),
    Case(
        "the name's length",
        {"name": "n" * 201},
        {"name": "n" * 201},
        ("name",),
        "name",
        "Enter at most 200 characters (it has 201).",
        "Ingrese como máximo 200 caracteres (tiene 201).",
    ),
    Case(
        "the URL's length",
        {"url": "https://example.com/" + "p" * 1990},
        {"url": "https://example.com/" + "p" * 1990},
        ("url",),
        "url",
        "Enter at most 2000 characters (it has 2010).",
        "Ingrese como máximo 2000 caracteres (tiene 2010).",
    ),
    Case(
        "the description's length",
        {"description": "d" * 2001},
        {"description": "d" * 2001},
        ("description",),
        "description",
        "Enter at most 2000 characters (it has 2001).",
        "Ingrese como máximo 2000 caracteres (tiene 2001).",
    ),
    Case(
        "deliveries in flight above 16",
        {"maxInFlight": 17},
        {"max_in_flight": "17"},
        ("maxInFlight",),
        "max_in_flight",
        "Enter a whole number from 1 to 16.",
        "Ingrese un número entero de 1 a 16.",
    ),
    Case(
        "deliveries in flight below 1",
        {"maxInFlight": 0},
        {"max_in_flight": "0"},
        ("maxInFlight",),
        "max_in_flight",
        "Enter a whole number from 1 to 16.",
        "Ingrese un número entero de 1 a 16.",
    ),
    Case(
        "a task trigger without its workflow",
        {"context": {"taskGroup": ""}},
        {},
        ("context", "taskGroup"),
        "workflow",
        "A workflow is required for this trigger.",
        "Este disparador requiere un flujo de trabajo.",
        panel_omits=("workflow",),
    ),
    Case(
        "a header the product sets",
        {"headers": {"Host": "example.com"}},
        {"header_name_0": "Host", "header_value_0": "example.com"},
        ("headers",),
        "__all__",
        "“Host” is set by the product and cannot be sent as a custom header.",
        "«Host» lo fija el producto y no se puede enviar como encabezado personalizado.",
    ),
    Case(
        "no action",
        {"events": []},
        {"subscription_shown": "1"},
        ("events",),
        "events",
        "Choose at least one action.",
        "Elija al menos una acción.",
        panel_omits=("events",),
    ),
    Case(
        "fields without edits",
        {"events": ["create"], "fields": ["/status"]},
        {"subscription_shown": "1", "events": ["create"], "field_paths": ["/status"]},
        ("fields",),
        "field_paths",
        "Fields apply to edits only: send edits too, or choose no field.",
        "Los campos se aplican solo a las ediciones: envíe también las ediciones, o no elija ningún campo.",
    ),
]


@pytest.fixture
def taken(company_a):
    return Webhook.objects.create(
        company=company_a, name="Taken", code="taken", url="https://example.com/", trigger=Trigger.USER
    )


def api_error(api, case: Case, workflow, language: dict) -> list[str]:
    body = {
        "name": "Orders", "code": "orders", "url": "https://example.com/hook",
        "trigger": Trigger.TASK, "context": {"taskGroup": workflow.pk}, **case.api,
    }  # fmt: skip
    response = api.post(B, body, format="json", **language)
    assert response.status_code == 400, response.content
    errors = response.json()
    for key in case.api_key:
        errors = errors[key]
    return errors


def panel_error(client, case: Case, workflow, language: str) -> list[str]:
    post = {
        "name": "Orders", "code": "orders", "url": "https://example.com/hook",
        "trigger": Trigger.TASK, "workflow": workflow.pk, "is_active": "1", **case.panel,
    }  # fmt: skip
    for name in case.panel_omits:
        post.pop(name, None)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("webhooks:create"), post)
    assert response.status_code == 200
    form = response.context["form"]
    if case.panel_field == "__all__":
        return list(form.non_field_errors())
    return list(form.errors[case.panel_field])


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_each_rule_gives_the_same_error_from_the_api_and_the_panel(
    case, api, staff_client, workflow_a, taken
):
    assert api_error(api, case, workflow_a, EN) == [case.english]
    assert panel_error(staff_client, case, workflow_a, "en") == [case.english]
    assert api_error(api, case, workflow_a, ES) == [case.spanish]
    assert panel_error(staff_client, case, workflow_a, "es") == [case.spanish]
    assert list(Webhook.objects.values_list("code", flat=True)) == ["taken"]  # nothing saved


def test_the_logs_object_id_filter_says_the_same_from_the_api_and_the_panel(api, staff_client, hook):
    """A search folds the case of the id typed (both accept 62742B75…), then applies the rule."""
    api_response = api.get(f"{B}/logs/{hook.pk}", {"objectId": "not-an-id"})
    panel_response = staff_client.get(reverse("webhooks:logs", args=[hook.pk]), {"objectId": "not-an-id"})

    message = "Enter a 24-character lowercase hexadecimal id."
    assert api_response.json() == {"objectId": [message]}
    assert list(panel_response.context["log_filters"].errors["object_id"]) == [message]
    upper = {"objectId": "62742B7562F37034D9399914"}
    assert api.get(f"{B}/logs/{hook.pk}", upper).status_code == 200
    assert not staff_client.get(reverse("webhooks:logs", args=[hook.pk]), upper).context["log_filters"].errors


def test_the_loser_of_two_concurrent_creates_is_told_the_code_is_taken(company_a, monkeypatch):
    """The (company, code) constraint catches a create that won between the check and the insert;
    the loser asks the rule again, which now says the code is taken."""
    from django.core.exceptions import ValidationError

    from webhooks import services

    checked = Webhook.full_clean

    def checked_then_overtaken(webhook, *args, **kwargs):
        checked(webhook, *args, **kwargs)
        if not Webhook.objects.filter(code="orders").exists():
            Webhook.objects.create(
                company=company_a,
                name="Winner",
                code="orders",
                url="https://example.com/",
                trigger=Trigger.USER,
            )

    monkeypatch.setattr(Webhook, "full_clean", checked_then_overtaken)

    with pytest.raises(ValidationError) as refused:
        services.webhook_create(
            company_id=company_a.pk,
            code="orders",
            name="Loser",
            url="https://example.com/",
            trigger=Trigger.USER,
        )

    assert refused.value.message_dict == {"code": ["A webhook with this code already exists."]}
    assert list(Webhook.objects.values_list("name", flat=True)) == ["Winner"]


def test_a_changed_code_is_refused_in_the_same_words_by_the_api_and_the_panel(api, staff_client, hook):
    """The panel's Code is read-only once saved; a forged post is refused like the API's PUT."""
    body = {"name": "Orders", "code": "renamed", "url": hook.url, "trigger": hook.trigger}
    body["context"] = {"taskGroup": hook.workflow_id}
    post = {"name": "Orders", "code": "renamed", "url": hook.url, "trigger": hook.trigger}
    post["workflow"] = hook.workflow_id

    api_response = api.put(f"{B}/{hook.pk}", body, format="json")
    panel_response = staff_client.post(reverse("webhooks:edit", args=[hook.pk]), post)

    message = "The code cannot be changed once the webhook is saved."
    assert api_response.status_code == 400 and api_response.json() == {"code": [message]}
    assert panel_response.status_code == 200
    assert list(panel_response.context["form"].errors["code"]) == [message]
    hook.refresh_from_db()
    assert hook.code == "orders"
