"""After a PostgreSQL restart no request pays for a kept connection the server closed: kept
connections are health-checked before a request reuses them (CONN_HEALTH_CHECKS)."""

import pytest
from django.db import OperationalError, close_old_connections, connection

from tests.pg_faults import own_session_cut

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kept connections: CI's PostgreSQL run"),
    pytest.mark.django_db(transaction=True),
]


def next_request_query() -> int:
    close_old_connections()  # what every request (and django-q2 task) starts with
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


def test_kept_connections_are_health_checked_by_default():
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_the_first_request_after_the_server_closed_the_connection_gets_a_new_one():
    own_session_cut()  # what a database restart does to a kept connection

    assert next_request_query() == 1


def test_without_health_checks_that_request_would_fail(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    own_session_cut()  # what a database restart does to a kept connection

    with pytest.raises(OperationalError):
        next_request_query()
    connection.close()
