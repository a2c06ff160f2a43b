"""Re-encrypt every stored secret with the first key of WEBHOOK_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from webhooks import crypto
from webhooks.models import Webhook

SEALED_FIELDS = ("secret", "previous_secret", "sealed_headers")


class Command(BaseCommand):
    help = (
        "Re-encrypt the webhooks' signing secrets and custom header values with the first key of "
        "WEBHOOK_ENCRYPTION_KEYS (after putting a new key first); then the old key can be removed."
    )

    def handle(self, *args, **options):
        rewritten = 0
        ids = list(Webhook.objects.order_by("pk").values_list("pk", flat=True))
        for webhook_id in ids:
            with transaction.atomic():
                # values_list reads the stored (sealed) form; a row edited meanwhile is locked.
                row = (
                    Webhook.objects.select_for_update()
                    .filter(pk=webhook_id)
                    .values_list(*SEALED_FIELDS)
                    .first()
                )
                if row is None:
                    continue
                # Opened with whichever key sealed them; the field seals plain strings with the first.
                pairs = zip(SEALED_FIELDS, row, strict=True)
                changes = {name: crypto.unseal(stored) for name, stored in pairs if stored}
                Webhook.objects.filter(pk=webhook_id).update(**changes)
                rewritten += 1
        self.stdout.write(f"Re-encrypted the secrets of {rewritten} webhook(s) with the first key.")
