"""webhooks.staff: the company of the staff user a panel view or the API serves."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from events.models import User
from webhooks.staff import staff_company, staff_company_id


def test_a_staff_user_of_a_company_gets_its_company(admin_a, company_a):
    assert staff_company_id(admin_a) == company_a.pk
    assert staff_company(admin_a) == company_a


@pytest.mark.parametrize(
    "fields",
    [{"is_staff": False}, {"is_staff": True, "company": None}],
    ids=["not staff", "staff of no company"],
)
def test_anyone_else_is_refused_rather_than_given_no_company(company_a, fields):
    user = User.objects.create_user("someone@example.com", "pw-someone-1", **{"company": company_a, **fields})
    with pytest.raises(PermissionDenied):
        staff_company_id(user)
    with pytest.raises(PermissionDenied):
        staff_company(user)


def test_an_anonymous_user_is_refused(db):
    with pytest.raises(PermissionDenied):
        staff_company_id(AnonymousUser())
