"""Print a new REST API token for a staff user: `manage.py issue_api_token --email admin@acme.com`."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from webhooks.models import ApiToken

MAX_DAYS = 3650


class Command(BaseCommand):
    help = (
        "Create a REST API token for a staff user of a company and print it (only a digest is "
        "stored: this is the only time it is shown). Use it as 'Authorization: Bearer <token>'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The user's email (their login).")
        parser.add_argument("--name", default="issue_api_token", help="A name to recognise the token by.")
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Expire after this many days (default: never)."
        )
        parser.add_argument(
            "--rotate", action="store_true", help="Revoke the user's other tokens (they stop working)."
        )

    def handle(self, *args, email: str, name: str, expires_in_days: int | None, rotate: bool, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email!r}.")
        if not (user.is_active and user.is_staff and user.company_id):
            raise CommandError(
                f"{user.email} cannot use the API: only active staff users of a company can "
                "(set is_staff and a company first)."
            )
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
            raise CommandError(f"--expires-in-days must be 1 to {MAX_DAYS}.")
        if rotate:
            revoked, _by_model = ApiToken.objects.filter(user=user).delete()
            self.stderr.write(f"Revoked {revoked} token(s) of {user.email}.")
        expiry = timedelta(days=expires_in_days) if expires_in_days else None
        _, token = ApiToken.objects.create(user=user, expiry=expiry, name=name.strip()[:100] or "API token")
        self.stdout.write(token)
        self.stderr.write(f"Issued a new API token for {user.email}; it is shown only now.")
