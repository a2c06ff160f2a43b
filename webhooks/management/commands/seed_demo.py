import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from django.utils.translation import pgettext

from events.models import Collection, Company, Element, Group, Survey, User, Workflow
from webhooks.models import Trigger, Webhook

DEMO_EMAIL = "admin@example.com"


def demo_company_name() -> str:
    return pgettext("demo data", "Demo Company")


def demo_company_names() -> list[str]:
    """The demo company's name in every language: seeded once, in whichever was asked for first."""
    names = []
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            names.append(demo_company_name())
    return names


class Command(BaseCommand):
    help = "Create demo data once: company, staff admin, workflow, group, survey, collection."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="The port `make run` serves on.")
        parser.add_argument("--receiver-url", help="Default: the demo receiver on --port.")
        parser.add_argument(
            "--language",
            choices=[code for code, _ in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The language of the demo names (the administrator's). Default: %(default)s.",
        )

    def handle(self, *args, port: int, receiver_url: str | None, language: str, **options):
        # argparse checks the choices on the command line only, not through call_command().
        offered = [code for code, _ in settings.LANGUAGES]
        if language not in offered:
            raise CommandError(f"--language: invalid choice: {language!r} (choose from {', '.join(offered)})")
        with translation.override(language):
            self.seed(port=port, receiver_url=receiver_url)

    @transaction.atomic
    def seed(self, *, port: int, receiver_url: str | None) -> None:
        receiver_url = receiver_url or f"http://127.0.0.1:{port}/demo/receiver/"
        company = Company.objects.filter(name__in=demo_company_names()).first()
        if company is not None:
            # `make run PORT=...` on another port: the demo webhook follows it.
            demo = Webhook.objects.filter(company=company, code="demo_tasks", url__endswith="/demo/receiver/")
            demo.exclude(url=receiver_url).update(url=receiver_url)
            self.stdout.write(
                f"Demo data already present; sign in at http://127.0.0.1:{port}/ as {DEMO_EMAIL}."
            )
            return
        company = Company.objects.create(name=demo_company_name())
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        # Codes stay as they are: they are identifiers, as in Cotalker, whatever the language.
        User.objects.create_superuser(
            DEMO_EMAIL,
            password,
            company=company,
            names=pgettext("demo data", "Demo"),
            last_name=pgettext("demo data", "Admin"),
        )
        workflow = Workflow.objects.create(
            company=company, name=pgettext("demo data", "Demo workflow"), code="demo_workflow"
        )
        Group.objects.create(
            company=company, name_code="notifications", name_display=pgettext("demo data", "Notifications")
        )
        Survey.objects.create(
            company=company, code="create_notification", name=pgettext("demo data", "Create Notification")
        )
        collection = Collection.objects.create(
            company=company, code="data_equipment", display=pgettext("demo data", "Equipment")
        )
        Element.objects.create(
            company=company,
            collection=collection,
            code="equipment_2c",
            display=pgettext("demo data", "Equipment 2-C"),
        )
        if settings.WEBHOOK_DEMO_RECEIVER:
            Webhook.objects.create(
                company=company,
                name=pgettext("demo data", "Demo: tasks"),
                code="demo_tasks",
                url=receiver_url,
                description=pgettext(
                    "demo data", "Sends every task of the demo workflow to the built-in demo receiver."
                ),
                trigger=Trigger.TASK,
                workflow=workflow,
            )
        self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(f"Sign in at http://127.0.0.1:{port}/ as {DEMO_EMAIL} with password: {password}")
        if not os.environ.get("DEMO_ADMIN_PASSWORD"):
            self.stdout.write(
                "(Generated once and not stored anywhere: note it down, or run `manage.py changepassword`.)"
            )
