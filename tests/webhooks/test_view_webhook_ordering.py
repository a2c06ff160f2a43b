"""The settings panel's "Order of deliveries" and "Deliveries in flight at once" (webhooks:edit and
webhooks:create): shown, saved, validated with the errors next to the field, kept when not posted."""

import re

import pytest
from django.urls import reverse

from webhooks.models import Ordering, Trigger, Webhook


def edit_url(webhook: Webhook) -> str:
    return reverse("webhooks:edit", args=[webhook.pk])


def posted(workflow, **fields) -> dict:
    return {
        "name": "Orders", "url": "https://www.server.com/hook", "trigger": Trigger.TASK,
        "workflow": workflow.pk, "ordering": "webhook", "max_in_flight": "4", **fields,
    }  # fmt: skip


def checked_ordering(html: str) -> list[str]:
    radios = re.findall(r'<input type="radio" name="ordering"[^>]*>', html)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in radios if " checked" in tag]


def in_flight_input(html: str) -> str:
    return re.search(r'<input type="number" name="max_in_flight"[^>]*>', html).group(0)


def stored(webhook: Webhook) -> tuple[str, int]:
    webhook.refresh_from_db()
    return webhook.ordering, webhook.max_in_flight


def test_the_settings_show_both_orders_with_their_help_and_the_number(staff_client, webhook):
    html = staff_client.get(edit_url(webhook)).content.decode()

    assert "<legend>Order of deliveries</legend>" in html
    assert checked_ordering(html) == ["webhook"]
    assert 'aria-describedby="ordering-help-webhook"' in html and 'id="ordering-help-webhook"' in html
    assert 'aria-describedby="ordering-help-object"' in html and 'id="ordering-help-object"' in html
    assert "Webhook: one at a time, in order" in html
    assert "Object: in order per object, several objects at once" in html
    field = in_flight_input(html)
    assert 'value="4"' in field and 'min="1"' in field and 'max="16"' in field
    assert 'aria-describedby="id_max_in_flight_helptext"' in field
    assert '<label for="id_max_in_flight">Deliveries in flight at once' in html
    # Without JavaScript both are simply visible.
    assert re.search(r'<div id="in-flight"[^>]*\bhidden\b', html) is None


def test_saving_object_mode_with_8_in_flight_stores_and_shows_them(staff_client, webhook, workflow_a):
    response = staff_client.post(edit_url(webhook), posted(workflow_a, ordering="object", max_in_flight="8"))

    assert response.status_code == 302
    assert stored(webhook) == (Ordering.OBJECT, 8)
    html = staff_client.get(edit_url(webhook)).content.decode()
    assert checked_ordering(html) == ["object"] and 'value="8"' in in_flight_input(html)


def test_switching_to_object_mode_sets_the_boundary_the_form_never_posts(staff_client, webhook, workflow_a):
    data = posted(workflow_a, ordering="object", per_object_after="999999")

    assert staff_client.post(edit_url(webhook), data).status_code == 302
    webhook.refresh_from_db()
    assert webhook.per_object_after == 0  # no delivery yet; the posted value is ignored
    assert 'name="per_object_after"' not in staff_client.get(edit_url(webhook)).content.decode()


def test_creating_a_webhook_in_object_mode(staff_client, workflow_a):
    data = {
        **posted(workflow_a, ordering="object", max_in_flight="16"),
        "code": "by_object",
        "is_active": "1",
    }

    assert staff_client.post(reverse("webhooks:create"), data).status_code == 302
    assert stored(Webhook.objects.get(code="by_object")) == (Ordering.OBJECT, 16)


def test_the_create_page_offers_the_defaults(staff_client):
    html = staff_client.get(reverse("webhooks:create")).content.decode()

    assert checked_ordering(html) == ["webhook"] and 'value="4"' in in_flight_input(html)


def test_a_post_without_them_keeps_the_stored_values(staff_client, webhook, workflow_a):
    webhook.ordering, webhook.max_in_flight = Ordering.OBJECT, 6
    webhook.save()
    data = posted(workflow_a)
    del data["ordering"], data["max_in_flight"]

    assert staff_client.post(edit_url(webhook), data).status_code == 302
    assert stored(webhook) == (Ordering.OBJECT, 6)


@pytest.mark.parametrize("value", ["17", "0", "-1", "2.5", "many", ""])
def test_a_number_outside_1_to_16_is_an_error_next_to_the_field(staff_client, webhook, workflow_a, value):
    response = staff_client.post(
        edit_url(webhook), posted(workflow_a, ordering="object", max_in_flight=value)
    )

    html = response.content.decode()
    assert response.status_code == 200 and "Please correct the errors below." in html
    assert (
        '<ul class="errorlist" id="id_max_in_flight_error"><li>Enter a whole number from 1 to 16.</li>'
        in html
    )
    field = in_flight_input(html)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_max_in_flight_helptext id_max_in_flight_error"' in field
    assert checked_ordering(html) == ["object"]  # what was chosen is kept
    assert stored(webhook) == (Ordering.WEBHOOK, 4)


def test_an_unknown_order_is_an_error_next_to_the_choices(staff_client, webhook, workflow_a):
    response = staff_client.post(edit_url(webhook), posted(workflow_a, ordering="fifo"))

    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_ordering_error"' in html
    assert 'aria-describedby="id_ordering_error"' in html
    assert stored(webhook) == (Ordering.WEBHOOK, 4)


def test_the_errors_are_in_spanish_for_a_spanish_browser(staff_client, webhook, workflow_a):
    response = staff_client.post(
        edit_url(webhook), posted(workflow_a, max_in_flight="17"), HTTP_ACCEPT_LANGUAGE="es"
    )

    html = response.content.decode()
    assert "Orden de las entregas" in html and "Entregas en curso a la vez" in html
    assert "Ingrese un número entero de 1 a 16." in html


def test_another_companys_webhook_is_a_404(staff_client, company_b, workflow_a):
    other = Webhook.objects.create(company=company_b, name="b", code="b", url="https://www.server.com")

    assert staff_client.get(edit_url(other)).status_code == 404
    response = staff_client.post(edit_url(other), posted(workflow_a, ordering="object", max_in_flight="8"))

    assert response.status_code == 404
    assert stored(other) == (Ordering.WEBHOOK, 4)


def test_requires_login(client, webhook, workflow_a):
    response = client.post(edit_url(webhook), posted(workflow_a, ordering="object", max_in_flight="8"))

    assert response.status_code == 302 and "/login/" in response["Location"]
    assert stored(webhook) == (Ordering.WEBHOOK, 4)
    assert client.get(edit_url(webhook)).status_code == 302
