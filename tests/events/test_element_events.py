"""COTProperty events: an element (row of a collection)."""

from datetime import UTC, datetime

from events.models import Collection, Element
from tests.events.conftest import assert_created_at_now, ms_z

ELEMENT_KEYS = {
    "_id",
    "company",
    "name",
    "propertyType",
    "schemaInstance",
    "subproperty",
    "isActive",
    "createdAt",
    "modifiedAt",
}


def test_it_sends_the_whole_element_on_create(company_a, collection_a, sent):
    since = datetime.now(UTC)
    element = Element.objects.create(
        company=company_a,
        collection=collection_a,
        code="equipment_2c",
        display="Equipment 2-C",
        schema_instance={"workstation": []},
    )

    event = sent.only()
    element.refresh_from_db()
    assert (event["type"], event["event"], event["company"]) == ("COTProperty", "create", company_a.pk)
    assert event["data"] == {
        "_id": element.pk,
        "company": company_a.pk,
        "name": {"code": "equipment_2c", "display": "Equipment 2-C"},
        "propertyType": "data_equipment",
        "schemaInstance": {"workstation": []},
        "subproperty": [],
        "isActive": True,
        "createdAt": ms_z(element.created_at),
        "modifiedAt": ms_z(element.modified_at),
    }
    assert event["diff"] == {}
    assert event["extraData"] is None
    assert_created_at_now(event, since)


def test_it_sends_each_changed_path_on_element_edit(element_a, company_a, sent):
    other = Collection.objects.create(company=company_a, code="data_tools", display="Tools")
    sent.clear()

    element_a.display = "Equipment 2-D"
    element_a.collection = other
    element_a.schema_instance = {"workstation": ["ws_1"], "a/b": 1}
    element_a.is_active = False
    element_a.save()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == ("COTProperty", "edit", company_a.pk)
    assert set(event["data"]) == ELEMENT_KEYS
    assert event["data"]["name"] == {"code": "equipment_2c", "display": "Equipment 2-D"}
    assert event["data"]["propertyType"] == "data_tools"
    assert event["diff"] == {
        "/name/display": {"previous": "Equipment 2-C", "changedTo": "Equipment 2-D"},
        "/propertyType": {"previous": "data_equipment", "changedTo": "data_tools"},
        "/schemaInstance/workstation": {"previous": None, "changedTo": ["ws_1"]},
        "/schemaInstance/a~1b": {"previous": None, "changedTo": 1},
        "/isActive": {"previous": True, "changedTo": False},
    }
    assert event["extraData"] is None


def test_it_sends_nothing_when_an_element_is_saved_unchanged(element_a, sent):
    element_a.save()
    Element.objects.get(pk=element_a.pk).save()

    assert sent == []


def test_it_sends_the_last_stored_element_on_delete(element_a, sent):
    element_a.refresh_from_db()
    element_id, modified_at = element_a.pk, ms_z(element_a.modified_at)

    element_a.delete()

    event = sent.only()
    assert (event["type"], event["event"], event["company"]) == (
        "COTProperty",
        "delete",
        element_a.company_id,
    )
    assert set(event["data"]) == ELEMENT_KEYS
    assert event["data"]["_id"] == element_id
    assert event["data"]["name"] == {"code": "equipment_2c", "display": "Equipment 2-C"}
    assert event["data"]["modifiedAt"] == modified_at
    assert event["diff"] == {}
    assert event["extraData"] is None


def test_it_sends_a_delete_per_element_when_its_collection_is_deleted(element_a, collection_a, sent):
    element_id = element_a.pk

    collection_a.delete()

    event = sent.only()
    assert (event["type"], event["event"], event["data"]["_id"]) == ("COTProperty", "delete", element_id)
    assert event["data"]["propertyType"] == "data_equipment"
