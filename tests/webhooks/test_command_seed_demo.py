"""manage.py seed_demo — the demo data of `make run`, on the port it serves on."""

import io

from django.core.management import call_command

from events.models import Company, User
from webhooks.models import Webhook


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_it_seeds_once_with_the_demo_webhook_on_the_given_port(db, settings, monkeypatch):
    settings.WEBHOOK_DEMO_RECEIVER = True
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "pw-demo-admin-1")

    printed = seed(port=8001)

    assert "Sign in at http://127.0.0.1:8001/" in printed
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8001/demo/receiver/"
    assert User.objects.get(email="admin@example.com").check_password("pw-demo-admin-1")


def test_on_another_port_the_demo_webhook_follows_and_nothing_else_changes(db, settings):
    settings.WEBHOOK_DEMO_RECEIVER = True
    seed()
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8000/demo/receiver/"
    company = Company.objects.get()
    Webhook.objects.create(company=company, name="Mine", code="mine", url="https://erp.example.com/hook")

    printed = seed(port=8002)

    assert "already present" in printed and "http://127.0.0.1:8002/" in printed
    assert Webhook.objects.get(code="demo_tasks").url == "http://127.0.0.1:8002/demo/receiver/"
    assert Webhook.objects.get(code="mine").url == "https://erp.example.com/hook"
    assert Company.objects.count() == 1
