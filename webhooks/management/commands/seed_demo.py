import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from events.models import Collection, Company, Element, Group, Survey, User, Workflow
from webhooks.models import Trigger, Webhook

DEMO_COMPANY = "Demo Company"
DEMO_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create demo data once: company, staff admin, workflow, group, survey, collection."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="The port `make run` serves on.")
        parser.add_argument("--receiver-url", help="Default: the demo receiver on --port.")

    @transaction.atomic
    def handle(self, *args, port: int, receiver_url: str | None, **options):
        receiver_url = receiver_url or f"http://127.0.0.1:{port}/demo/receiver/"
        company = Company.objects.filter(name=DEMO_COMPANY).first()
        if company is not None:
            # `make run PORT=...` on another port: the demo webhook follows it.
            demo = Webhook.objects.filter(company=company, code="demo_tasks", url__endswith="/demo/receiver/")
            demo.exclude(url=receiver_url).update(url=receiver_url)
            self.stdout.write(
                f"Demo data already present; sign in at http://127.0.0.1:{port}/ as {DEMO_EMAIL}."
            )
            return
        company = Company.objects.create(name=DEMO_COMPANY)
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_EMAIL, password, company=company, names="Demo", last_name="Admin")
        workflow = Workflow.objects.create(company=company, name="Demo workflow", code="demo_workflow")
        Group.objects.create(company=company, name_code="notifications", name_display="Notifications")
        Survey.objects.create(company=company, code="create_notification", name="Create Notification")
        collection = Collection.objects.create(company=company, code="data_equipment", display="Equipment")
        Element.objects.create(
            company=company, collection=collection, code="equipment_2c", display="Equipment 2-C"
        )
        if settings.WEBHOOK_DEMO_RECEIVER:
            Webhook.objects.create(
                company=company,
                name="Demo: tasks",
                code="demo_tasks",
                url=receiver_url,
                description="Sends every task of the demo workflow to the built-in demo receiver.",
                trigger=Trigger.TASK,
                workflow=workflow,
            )
        self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(f"Sign in at http://127.0.0.1:{port}/ as {DEMO_EMAIL} with password: {password}")
        if not os.environ.get("DEMO_ADMIN_PASSWORD"):
            self.stdout.write(
                "(Generated once and not stored anywhere: note it down, or run `manage.py changepassword`.)"
            )
