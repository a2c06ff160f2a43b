"""COTUser events: create, edit (only the edited fields), delete, and both sides of `properties`."""

import json
from datetime import UTC, datetime

import pytest

from events.models import Element, User
from tests.events.conftest import assert_created_at_now, ms_z


def full_user(user: User, properties: list[str] | None = None) -> dict:
    user.refresh_from_db()
    return {
        "_id": user.pk,
        "email": user.email,
        "name": {
            "displayName": user.display_name,
            "names": user.names,
            "lastName": user.last_name,
            "secondLastName": user.second_last_name,
        },
        "jobTitle": user.job_title,
        "phone": user.phone,
        "avatar": {"small": user.avatar, "square": user.avatar, "original": user.avatar},
        "properties": properties or [],
        "companies": [{"companyId": user.company_id}],
        "isActive": user.is_active,
        "createdAt": ms_z(user.created_at),
        "modifiedAt": ms_z(user.modified_at),
    }


@pytest.fixture
def element_b(company_a, collection_a) -> Element:
    return Element.objects.create(
        company=company_a, collection=collection_a, code="equipment_3a", display="Equipment 3-A"
    )


def test_it_sends_the_whole_user_on_create(company_a, sent):
    since = datetime.now(UTC)
    user = User.objects.create_user(
        "thomas@example.com",
        "pw-thomas-1",
        company=company_a,
        names="Thomas",
        last_name="Gardner",
        job_title="mechanic",
        avatar="https://cdn.example.com/t.png",
    )

    event = sent.only()
    assert event["type"] == "COTUser"
    assert event["event"] == "create"
    assert event["company"] == company_a.pk
    assert event["data"] == full_user(user)
    assert event["data"]["name"] == {
        "displayName": "",
        "names": "Thomas",
        "lastName": "Gardner",
        "secondLastName": "",
    }
    assert event["data"]["avatar"] == {
        "small": "https://cdn.example.com/t.png",
        "square": "https://cdn.example.com/t.png",
        "original": "https://cdn.example.com/t.png",
    }
    assert event["diff"] == {}
    assert event["extraData"] is None
    assert_created_at_now(event, since)


def test_it_sends_only_changed_fields_on_user_edit(member_a, sent):
    member_a.names = "Thomas"
    member_a.last_name = "Gardner"
    member_a.job_title = "mechanic"
    member_a.save()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == ("COTUser", "edit", member_a.company_id)
    assert event["data"] == {
        "_id": member_a.pk,
        "name": {"displayName": "", "names": "Thomas", "lastName": "Gardner", "secondLastName": ""},
        "jobTitle": "mechanic",
    }
    assert event["diff"] == {
        "/name/names": {"previous": "", "changedTo": "Thomas"},
        "/name/lastName": {"previous": "", "changedTo": "Gardner"},
        "/jobTitle": {"previous": "", "changedTo": "mechanic"},
    }
    assert event["extraData"] is None


def test_it_reports_only_what_update_fields_saved(member_a, sent):
    member_a.names = "Not saved"
    member_a.phone = "+56 9 1234 5678"
    member_a.save(update_fields=["phone"])

    event = sent.only()
    assert event["data"] == {"_id": member_a.pk, "phone": "+56 9 1234 5678"}
    assert event["diff"] == {"/phone": {"previous": "", "changedTo": "+56 9 1234 5678"}}


def test_it_sends_nothing_when_a_user_is_saved_unchanged(member_a, sent):
    member_a.save()
    User.objects.get(pk=member_a.pk).save()

    assert sent == []


def test_it_sends_nothing_for_fields_outside_the_cot_shape(member_a, sent):
    member_a.is_staff = True
    member_a.last_login = datetime.now(UTC)
    member_a.save()

    assert sent == []


def test_it_sends_the_last_stored_user_on_delete(member_a, element_a, sent):
    member_a.properties.add(element_a)
    expected = full_user(member_a, properties=[element_a.pk])
    sent.clear()

    member_a.delete()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == (
        "COTUser",
        "delete",
        expected["companies"][0]["companyId"],
    )
    assert event["data"] == expected
    assert event["diff"] == {}
    assert event["extraData"] is None


def test_it_sends_a_delete_per_user_on_queryset_delete(member_a, admin_a, sent):
    User.objects.filter(pk__in=[member_a.pk, admin_a.pk]).delete()

    assert sorted((e["event"], e["data"]["_id"]) for e in sent) == sorted(
        [("delete", member_a.pk), ("delete", admin_a.pk)]
    )


def test_it_sends_the_properties_diff_when_an_element_is_added(member_a, element_a, element_b, sent):
    member_a.properties.add(element_a)
    member_a.properties.add(element_b)

    first, second = sent
    assert (first["type"], first["event"]) == ("COTUser", "edit")
    assert first["data"] == {"_id": member_a.pk, "properties": [element_a.pk]}
    assert first["diff"] == {"/properties": {"previous": [], "changedTo": [element_a.pk]}}
    both = sorted([element_a.pk, element_b.pk])
    assert second["data"] == {"_id": member_a.pk, "properties": both}
    assert second["diff"] == {"/properties": {"previous": [element_a.pk], "changedTo": both}}


def test_it_sends_the_properties_diff_when_an_element_is_removed_or_cleared(
    member_a, element_a, element_b, sent
):
    member_a.properties.add(element_a, element_b)
    both = sorted([element_a.pk, element_b.pk])
    sent.clear()

    member_a.properties.remove(element_a)
    member_a.properties.clear()

    removed, cleared = sent
    assert removed["diff"] == {"/properties": {"previous": both, "changedTo": [element_b.pk]}}
    assert cleared["diff"] == {"/properties": {"previous": [element_b.pk], "changedTo": []}}
    assert cleared["data"] == {"_id": member_a.pk, "properties": []}


def test_it_sends_a_user_edit_when_the_user_is_added_from_the_element_side(
    member_a, admin_a, element_a, sent
):
    element_a.users.add(member_a, admin_a)

    by_user = {event["data"]["_id"]: event for event in sent}
    assert set(by_user) == {member_a.pk, admin_a.pk}
    for user in (member_a, admin_a):
        event = by_user[user.pk]
        assert (event["type"], event["event"], event["company"]) == ("COTUser", "edit", user.company_id)
        assert event["data"] == {"_id": user.pk, "properties": [element_a.pk]}
        assert event["diff"] == {"/properties": {"previous": [], "changedTo": [element_a.pk]}}


def test_it_sends_a_user_edit_when_the_element_side_removes_or_clears(member_a, admin_a, element_a, sent):
    element_a.users.add(member_a, admin_a)
    sent.clear()

    element_a.users.remove(member_a)
    removed = sent.only()
    assert removed["data"] == {"_id": member_a.pk, "properties": []}
    assert removed["diff"] == {"/properties": {"previous": [element_a.pk], "changedTo": []}}
    sent.clear()

    element_a.users.clear()
    cleared = sent.only()
    assert cleared["data"] == {"_id": admin_a.pk, "properties": []}
    assert cleared["diff"] == {"/properties": {"previous": [element_a.pk], "changedTo": []}}


def test_it_sends_nothing_when_adding_an_element_the_user_already_has(member_a, element_a, sent):
    member_a.properties.add(element_a)
    sent.clear()

    member_a.properties.add(element_a)
    element_a.users.add(member_a)
    member_a.properties.remove(*[])

    assert sent == []


def test_it_sends_nothing_for_a_user_without_company(db, element_a, sent):
    user = User.objects.create_user("root@example.com", "pw-root-1")
    user.names = "Root"
    user.save()
    user.properties.add(element_a)
    element_a.users.remove(user)
    user.delete()

    assert sent == []


def test_it_never_puts_the_password_or_its_hash_in_a_payload(company_a, element_a, sent):
    user = User.objects.create_user("secret@example.com", "pw-secret-1", company=company_a)
    user.names = "Secret"
    user.save()
    user.set_password("pw-secret-2")
    user.save()
    user.properties.add(element_a)
    password_hash = User.objects.get(pk=user.pk).password
    user.delete()

    assert [e["event"] for e in sent] == ["create", "edit", "edit", "delete"]
    text = json.dumps(sent)
    assert password_hash and password_hash not in text
    assert password_hash.split("$")[-1] not in text
    assert "password" not in text.lower()
    assert "pw-secret" not in text
