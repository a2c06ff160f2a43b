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
        parser.add_argument("--receiver-url", default="http://127.0.0.1:8000/demo/receiver/")

    @transaction.atomic
    def handle(self, *args, receiver_url: str, **options):
        if Company.objects.filter(name=DEMO_COMPANY).exists():
            self.stdout.write(f"Demo data already present; sign in as {DEMO_EMAIL}.")
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
        self.stdout.write(f"Sign in at http://127.0.0.1:8000/ as {DEMO_EMAIL} with password: {password}")
        if not os.environ.get("DEMO_ADMIN_PASSWORD"):
            self.stdout.write(
                "(Generated once and not stored anywhere: note it down, or run `manage.py changepassword`.)"
            )
