"""Cotalker's date format and the COT shapes' guarantees."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.test import override_settings

from events.cot import iso, user_to_cot


def test_iso_writes_utc_with_milliseconds_and_z():
    moment = datetime(2022, 4, 27, 21, 28, 15, 186_999, tzinfo=UTC)

    assert iso(moment) == "2022-04-27T21:28:15.186Z"


def test_iso_converts_other_offsets_to_utc():
    santiago = timezone(timedelta(hours=-4))

    assert iso(datetime(2022, 4, 27, 17, 28, 15, 5_000, tzinfo=santiago)) == "2022-04-27T21:28:15.005Z"


def test_iso_pads_a_whole_second_with_three_zeros():
    assert iso(datetime(2022, 5, 19, 13, 0, tzinfo=UTC)) == "2022-05-19T13:00:00.000Z"


def test_iso_keeps_none_as_null():
    assert iso(None) is None


def test_iso_reads_an_iso_string_as_an_unsaved_field_may_hold_it():
    assert iso("2022-05-19T10:00:00.250-03:00") == "2022-05-19T13:00:00.250Z"


@override_settings(TIME_ZONE="America/Santiago")
def test_iso_reads_a_naive_datetime_in_the_current_time_zone():
    assert iso(datetime(2022, 1, 10, 9, 30)) == "2022-01-10T12:30:00.000Z"


def test_iso_refuses_text_that_is_not_a_date():
    with pytest.raises(ValueError):
        iso("next tuesday")


def test_the_user_shape_has_no_password_key(member_a):
    assert set(user_to_cot(member_a)) == {
        "_id",
        "email",
        "name",
        "jobTitle",
        "phone",
        "avatar",
        "properties",
        "companies",
        "isActive",
        "createdAt",
        "modifiedAt",
    }
