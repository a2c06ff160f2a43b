"""System checks on the delivery timings (webhooks.checks)."""

import pytest
from django.core.checks import ERROR, Error, run_checks

from webhooks import checks
from webhooks.engine import http


@pytest.fixture
def defaults(settings):
    """The shipped defaults (cotalker_webhooks/settings.py), whatever the environment says."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120, "retry": 180}
    settings.WEBHOOK_TIMEOUT = 15.0
    settings.WEBHOOK_CONNECT_TIMEOUT = 5.0
    settings.WEBHOOK_LEASE_MARGIN = 30.0
    settings.WEBHOOK_DRAIN_BUDGET = 10.0
    return settings


def run_all() -> list[Error]:
    return [error for check in checks.CHECKS for error in check(None)]


def test_the_default_settings_pass(defaults):
    assert run_all() == []
    assert checks.drain_lease_seconds() == 10 + 15 + http.DEADLINE_SLACK + 30


def test_the_settings_the_tests_run_with_pass():
    assert run_all() == []


@pytest.mark.parametrize(
    "overrides, error_id, setting_to_change",
    [
        ({"WEBHOOK_LEASE_MARGIN": 0}, "webhooks.E001", "WEBHOOK_LEASE_MARGIN"),
        ({"WEBHOOK_LEASE_MARGIN": -5}, "webhooks.E001", "WEBHOOK_LEASE_MARGIN"),
        ({"WEBHOOK_DRAIN_BUDGET": -1}, "webhooks.E002", "WEBHOOK_DRAIN_BUDGET"),
        ({"Q_TIMEOUT": 56}, "webhooks.E003", "Q_TIMEOUT"),
        ({"WEBHOOK_TIMEOUT": 200.0}, "webhooks.E003", "WEBHOOK_TIMEOUT"),
        ({"WEBHOOK_DRAIN_BUDGET": 100.0}, "webhooks.E003", "WEBHOOK_DRAIN_BUDGET"),
        ({"Q_RETRY": 120}, "webhooks.E004", "Q_RETRY"),
        ({"Q_RETRY": 60}, "webhooks.E004", "Q_RETRY"),
        ({"WEBHOOK_CONNECT_TIMEOUT": 20.0}, "webhooks.E005", "WEBHOOK_CONNECT_TIMEOUT"),
    ],
)
def test_each_broken_link_is_an_error_that_names_the_setting_to_change(
    defaults, overrides, error_id, setting_to_change
):
    for name, value in overrides.items():
        if name.startswith("Q_"):  # Q_TIMEOUT and Q_RETRY are read into Q_CLUSTER
            defaults.Q_CLUSTER = {**defaults.Q_CLUSTER, name[2:].lower(): value}
        else:
            setattr(defaults, name, value)

    errors = run_all()

    assert [error.id for error in errors] == [error_id]
    (error,) = errors
    assert error.level == ERROR
    assert setting_to_change in error.hint


def test_the_task_timeout_must_be_strictly_longer_than_the_lease(defaults):
    defaults.Q_CLUSTER = {**defaults.Q_CLUSTER, "timeout": checks.drain_lease_seconds()}

    assert [error.id for error in run_all()] == ["webhooks.E003"]

    defaults.Q_CLUSTER = {**defaults.Q_CLUSTER, "timeout": checks.drain_lease_seconds() + 1}

    assert run_all() == []


def test_a_connect_timeout_equal_to_the_timeout_passes(defaults):
    defaults.WEBHOOK_CONNECT_TIMEOUT = defaults.WEBHOOK_TIMEOUT

    assert run_all() == []


def test_registered_checks_run_with_django_check_framework(defaults):
    checks.register()
    checks.register()  # ready() may run twice in tests: still one of each
    defaults.WEBHOOK_LEASE_MARGIN = 0

    errors = run_checks(tags=[checks.TAG])

    assert [error.id for error in errors] == ["webhooks.E001"]
