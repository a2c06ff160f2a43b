"""JSON-pointer diffs in Cotalker's `{path: {previous, changedTo}}` shape."""

from events.diff import changed_top_level_keys, json_diff


def test_it_reports_nested_leaves_by_json_pointer():
    before = {"name": {"names": "Mechanic Profile I", "lastName": ""}, "phone": ""}
    after = {"name": {"names": "Thomas", "lastName": "Gardner"}, "phone": ""}

    assert json_diff(before, after) == {
        "/name/names": {"previous": "Mechanic Profile I", "changedTo": "Thomas"},
        "/name/lastName": {"previous": "", "changedTo": "Gardner"},
    }


def test_it_compares_lists_whole():
    assert json_diff({"properties": ["a", "b"]}, {"properties": ["a", "c"]}) == {
        "/properties": {"previous": ["a", "b"], "changedTo": ["a", "c"]}
    }


def test_it_reports_added_and_removed_keys_against_null():
    assert json_diff({"gone": 1}, {"new": 2}) == {
        "/gone": {"previous": 1, "changedTo": None},
        "/new": {"previous": None, "changedTo": 2},
    }


def test_it_escapes_tilde_and_slash_in_keys():
    assert json_diff({"s": {"a/b": 1, "c~d": 1}}, {"s": {"a/b": 2, "c~d": 2}}) == {
        "/s/a~1b": {"previous": 1, "changedTo": 2},
        "/s/c~0d": {"previous": 1, "changedTo": 2},
    }


def test_it_ignores_a_top_level_modified_at_only():
    before = {"modifiedAt": "2022-01-01T00:00:00.000Z", "x": {"modifiedAt": "a"}}
    after = {"modifiedAt": "2022-01-02T00:00:00.000Z", "x": {"modifiedAt": "b"}}

    assert json_diff(before, after) == {"/x/modifiedAt": {"previous": "a", "changedTo": "b"}}


def test_it_finds_nothing_between_equal_documents():
    doc = {"a": [1, {"b": None}], "c": {"d": True}}

    assert json_diff(doc, {"a": [1, {"b": None}], "c": {"d": True}}) == {}


def test_changed_top_level_keys_unescapes_the_first_segment():
    diff = {"/name/names": {}, "/name/lastName": {}, "/a~1b": {}, "/jobTitle": {}}

    assert changed_top_level_keys(diff) == {"name", "a/b", "jobTitle"}
