"""Rate limits: the synchronous send-test, and failed sign-ins per account.

Fixed time windows counted in the database (webhooks.models.LimitCounter), so every web process
counts the same requests, and each count is one atomic UPDATE: concurrent requests never read
the same value (docs/security.md, "Abuse").
"""

import hashlib
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from webhooks.models import LimitCounter, Webhook

WINDOW = 60  # seconds


def _incr(key: str, *, timeout: int, now: float) -> int:
    """Add one to a counter that lives `timeout` seconds; its new value, this request's own."""
    counter = LimitCounter.objects.filter(key=key)
    with transaction.atomic():
        if not counter.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    expires_at = datetime.fromtimestamp(now + timeout, tz=UTC)
                    LimitCounter.objects.create(key=key, count=1, expires_at=expires_at)
                return 1
            except IntegrityError:  # a concurrent request created it first: count on it
                counter.update(count=F("count") + 1)
        # The UPDATE holds the row's lock until the commit: nobody else changed it since.
        return counter.values_list("count", flat=True).get()


def _value(key: str) -> int:
    return LimitCounter.objects.filter(key=key).values_list("count", flat=True).first() or 0


def counters_prune(*, now: datetime | None = None) -> int:
    """Delete the counters of windows that ended (the daily pruning); how many."""
    return LimitCounter.objects.filter(expires_at__lt=now or timezone.now()).delete()[0]


def _count(key: str, limit: int, now: float) -> int:
    """Count one more request in this window; the seconds to wait when over `limit`, else 0."""
    window = int(now // WINDOW)
    count = _incr(f"send-test:{key}:{window}", timeout=2 * WINDOW, now=now)
    if count <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW - now + 0.999))


def send_test_wait(*, webhook: Webhook, now: float | None = None) -> int:
    """0 when a test event may be sent now, else the seconds until it may."""
    now = time.time() if now is None else now
    wait = _count(f"webhook:{webhook.pk}", settings.WEBHOOK_SEND_TEST_PER_WEBHOOK, now)
    if wait:
        return wait
    return _count(f"company:{webhook.company_id}", settings.WEBHOOK_SEND_TEST_PER_COMPANY, now)


SIGNIN_WINDOW = 900  # seconds: sign-ins of an account are counted in 15-minute windows


def _signin_key(username: str, now: float) -> str:
    # A digest: a fixed length whatever is typed, and no e-mail address in the table.
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"signin:{account}:{int(now // SIGNIN_WINDOW)}"


def _signin_wait(now: float) -> int:
    return max(1, int((now // SIGNIN_WINDOW + 1) * SIGNIN_WINDOW - now + 0.999))


def signin_wait(*, username: str, now: float | None = None) -> int:
    """0 when the account may try to sign in, else the seconds until it may."""
    now = time.time() if now is None else now
    if _value(_signin_key(username, now)) < settings.WEBHOOK_SIGNIN_FAILURES:
        return 0
    return _signin_wait(now)


def signin_attempt(*, username: str, now: float) -> bool:
    """Count a sign-in of the account before its password is checked: whether the password may
    be checked. Counting first keeps a burst of concurrent guesses within the limit."""
    return _incr(_signin_key(username, now), timeout=2 * SIGNIN_WINDOW, now=now) <= (
        settings.WEBHOOK_SIGNIN_FAILURES
    )


def signin_succeeded(*, username: str, now: float) -> None:
    """The password was right: its attempt (counted at `now`) was no failure, and is given back."""
    LimitCounter.objects.filter(key=_signin_key(username, now), count__gt=0).update(count=F("count") - 1)
