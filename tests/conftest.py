"""Shared fixtures: two companies with a staff admin each, and a non-staff user."""

import pytest

from events.models import Collection, Company, Element, Group, Survey, User, Workflow


@pytest.fixture(scope="session", autouse=True)
def route_table_closed_at_the_end(django_db_setup, django_db_blocker):
    """The route table's LISTEN session (PostgreSQL) would keep the test database from
    being dropped: close it before the database goes."""
    yield
    from webhooks.engine import routes

    routes.close()


@pytest.fixture
def company_a(db) -> Company:
    return Company.objects.create(name="Company A")


@pytest.fixture
def company_b(db) -> Company:
    return Company.objects.create(name="Company B")


@pytest.fixture
def admin_a(company_a) -> User:
    return User.objects.create_user("admin-a@example.com", "pw-admin-a-1", company=company_a, is_staff=True)


@pytest.fixture
def admin_b(company_b) -> User:
    return User.objects.create_user("admin-b@example.com", "pw-admin-b-1", company=company_b, is_staff=True)


@pytest.fixture
def member_a(company_a) -> User:
    """A non-staff user of company A."""
    return User.objects.create_user("member-a@example.com", "pw-member-a-1", company=company_a)


@pytest.fixture
def staff_client(client, admin_a):
    """A test client signed in as company A's staff administrator."""
    client.force_login(admin_a)
    return client


@pytest.fixture
def workflow_a(company_a) -> Workflow:
    return Workflow.objects.create(company=company_a, name="Work Orders", code="work_orders")


@pytest.fixture
def group_a(company_a) -> Group:
    return Group.objects.create(company=company_a, name_code="notifications", name_display="Notifications")


@pytest.fixture
def survey_a(company_a) -> Survey:
    return Survey.objects.create(company=company_a, code="create_notification", name="Create Notification")


@pytest.fixture
def collection_a(company_a) -> Collection:
    return Collection.objects.create(company=company_a, code="data_equipment", display="Equipment")


@pytest.fixture
def element_a(company_a, collection_a) -> Element:
    return Element.objects.create(
        company=company_a, collection=collection_a, code="equipment_2c", display="Equipment 2-C"
    )


@pytest.fixture
def unused_port() -> int:
    """A loopback port with nothing listening on it."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def translations():
    """The catalogues compiled (a .po newer than its .mo is compiled first), and English active
    again afterwards: a test that asked in Spanish leaves no language behind in this thread."""
    from django.utils import translation

    from tests.browser.i18n_support import ensure_messages_compiled

    ensure_messages_compiled()
    yield
    translation.activate("en")


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Passwords stored and checked with a fast hash in tests: the production hasher (PBKDF2, a
    million rounds) costs about a quarter of a second of CPU a call, and most tests create a user
    or sign one in. No test here is about the hash's strength; the sign-in limits are about how
    many passwords are checked, not how long a check takes."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield
