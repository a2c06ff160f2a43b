"""`manage.py issue_api_token --email ...` prints a Bearer token for a staff user of a company."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_it_prints_a_token_that_opens_the_api(admin_a):
    key = issue("--email", "Admin-A@Example.com")

    assert key == Token.objects.get(user=admin_a).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v3/webhook/subscription").status_code == 200


def test_running_it_again_prints_the_same_token_unless_asked_to_rotate(admin_a):
    first = issue("--email", admin_a.email)

    assert issue("--email", admin_a.email) == first
    rotated = issue("--email", admin_a.email, "--rotate")
    assert rotated != first
    assert list(Token.objects.values_list("key", flat=True)) == [rotated]


def test_an_unknown_email_is_an_error(db):
    with pytest.raises(CommandError, match="No user"):
        issue("--email", "nobody@example.com")


def test_a_non_staff_user_gets_no_token(member_a):
    with pytest.raises(CommandError, match="staff"):
        issue("--email", member_a.email)
    assert not Token.objects.exists()
