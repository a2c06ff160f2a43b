"""Print a REST API token for a staff user: `manage.py issue_api_token --email admin@acme.com`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print the REST API token of a staff user of a company (created if missing). "
        "Use it as 'Authorization: Bearer <token>'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The user's email (their login).")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace an existing token (the old one stops working)."
        )

    def handle(self, *args, email: str, rotate: bool, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email!r}.")
        if not (user.is_active and user.is_staff and user.company_id):
            raise CommandError(
                f"{user.email} cannot use the API: only active staff users of a company can "
                "(set is_staff and a company first)."
            )
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
        if created:
            self.stderr.write(f"Issued a new API token for {user.email}.")
