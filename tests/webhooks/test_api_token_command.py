"""`manage.py issue_api_token --email ...` prints a new Bearer token for a staff user of a company."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from webhooks.models import ApiToken


def issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_it_prints_a_token_that_opens_the_api(admin_a):
    key = issue("--email", "Admin-A@Example.com")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v3/webhook/subscription").status_code == 200


def test_only_a_digest_of_the_token_is_stored(admin_a):
    key = issue("--email", admin_a.email, "--name", "ERP sync")

    (token,) = ApiToken.objects.filter(user=admin_a)
    assert token.name == "ERP sync"
    assert token.digest == hashlib.sha512(key.encode()).hexdigest()
    assert token.token_key == key[:15]
    assert key not in {token.digest, token.token_key}


def test_each_run_issues_another_token_and_rotate_revokes_the_others(admin_a):
    first = issue("--email", admin_a.email)
    second = issue("--email", admin_a.email)
    assert first != second and ApiToken.objects.filter(user=admin_a).count() == 2

    rotated = issue("--email", admin_a.email, "--rotate")

    (token,) = ApiToken.objects.filter(user=admin_a)
    assert token.token_key == rotated[:15]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
    assert client.get("/api/v3/webhook/subscription").status_code == 401


def test_it_can_issue_a_token_that_expires(admin_a):
    issue("--email", admin_a.email, "--expires-in-days", "30")

    token = ApiToken.objects.get(user=admin_a)
    days = (token.expiry - timezone.now()).total_seconds() / 86400
    assert 29.9 < days <= 30


def test_an_expiry_out_of_range_is_an_error(admin_a):
    for days in ("0", "999999999"):
        with pytest.raises(CommandError, match="1 to 3650"):
            issue("--email", admin_a.email, "--expires-in-days", days)
    assert not ApiToken.objects.exists()


def test_an_unknown_email_is_an_error(db):
    with pytest.raises(CommandError, match="No user"):
        issue("--email", "nobody@example.com")


def test_a_non_staff_user_gets_no_token(member_a):
    with pytest.raises(CommandError, match="staff"):
        issue("--email", member_a.email)
    assert not ApiToken.objects.exists()
