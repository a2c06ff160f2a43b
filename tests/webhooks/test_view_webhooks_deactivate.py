"""webhooks:deactivate — bulk deactivation of the checked rows of the list."""

from django.urls import reverse

from webhooks.models import Webhook

URL = reverse("webhooks:deactivate")


def make(company, code):
    return Webhook.objects.create(company=company, name=code.title(), code=code, url="https://a.example/")


def test_deactivates_checked_rows_and_redirects_to_the_list(staff_client, company_a):
    one, two, three = make(company_a, "one"), make(company_a, "two"), make(company_a, "three")
    response = staff_client.post(URL, {"ids": [one.pk, two.pk], "disabled": "1", "page": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:list") + "?disabled=1&page=1"
    assert set(Webhook.objects.filter(is_active=False)) == {one, two}
    three.refresh_from_db()
    assert three.is_active


def test_htmx_returns_the_list_fragment_with_a_notice(staff_client, company_a):
    one = make(company_a, "one")
    make(company_a, "two")
    response = staff_client.post(URL, {"ids": [one.pk]}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "1 webhook deactivated." in html
    assert "Two" in html and ">One<" not in html  # disabled rows hidden


def test_nothing_checked(staff_client, company_a):
    make(company_a, "one")
    html = staff_client.post(URL, {}, HTTP_HX_REQUEST="true").content.decode()
    assert "Select the webhooks to deactivate." in html
    assert Webhook.objects.filter(is_active=True).count() == 1


def test_another_company_webhooks_are_untouched(staff_client, company_b):
    theirs = make(company_b, "theirs")
    staff_client.post(URL, {"ids": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.is_active


def test_requires_login(client, company_a):
    one = make(company_a, "one")
    response = client.post(URL, {"ids": [one.pk]})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    one.refresh_from_db()
    assert one.is_active


def test_non_staff_refused(client, member_a, company_a):
    one = make(company_a, "one")
    client.force_login(member_a)
    assert client.post(URL, {"ids": [one.pk]}).status_code == 403
    one.refresh_from_db()
    assert one.is_active


def test_wrong_method(staff_client):
    assert staff_client.get(URL).status_code == 405


def test_selecting_only_disabled_webhooks_says_nothing_changed_and_why(staff_client, company_a):
    one = make(company_a, "one")
    Webhook.objects.filter(pk=one.pk).update(is_active=False)

    html = staff_client.post(URL, {"ids": [one.pk], "disabled": "1"}, HTTP_HX_REQUEST="true").content.decode()

    assert "Nothing changed: the selected webhooks were already disabled." in html
    assert "0 webhooks deactivated." not in html


def test_the_bulk_form_carries_its_confirmation_question(staff_client, company_a):
    make(company_a, "one")

    html = staff_client.get(reverse("webhooks:list")).content.decode()

    assert 'data-confirm-checked="Deactivate the selected webhooks?' in html


def test_a_paused_row_becomes_a_manual_deactivation_and_stops_queuing(staff_client, company_a):
    paused = make(company_a, "paused")
    Webhook.objects.filter(pk=paused.pk).update(is_active=False, inactive_reason="paused_failing")

    staff_client.post(URL, {"ids": [paused.pk]})

    paused.refresh_from_db()
    assert (paused.is_active, paused.inactive_reason, paused.is_paused) == (False, "", False)
