"""Rate limits on what costs the product work per click: the synchronous send-test.

Fixed one-minute windows counted in the shared "limits" cache (Redis, or the database cache
table), so every web process counts the same clicks. Counting is best-effort on the database
cache (its increment is a read and a write): two racing requests may both get through.
"""

import time

from django.conf import settings
from django.core.cache import caches

from webhooks.models import Webhook

WINDOW = 60  # seconds


def _incr(key: str, *, timeout: int) -> int:
    """Add one to a counter of the shared "limits" cache; its new value."""
    cache = caches["limits"]
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _count(key: str, limit: int, now: float) -> int:
    """Count one more request in this window; the seconds to wait when over `limit`, else 0."""
    window = int(now // WINDOW)
    count = _incr(f"webhooks:limit:{key}:{window}", timeout=2 * WINDOW)
    if count <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW - now + 0.999))


def send_test_wait(*, webhook: Webhook, now: float | None = None) -> int:
    """0 when a test event may be sent now, else the seconds until it may."""
    now = time.time() if now is None else now
    wait = _count(f"send-test:webhook:{webhook.pk}", settings.WEBHOOK_SEND_TEST_PER_WEBHOOK, now)
    if wait:
        return wait
    return _count(f"send-test:company:{webhook.company_id}", settings.WEBHOOK_SEND_TEST_PER_COMPANY, now)


SIGNIN_WINDOW = 900  # seconds: failed sign-ins of an account are counted in 15-minute windows


def _signin_key(username: str, now: float) -> str:
    return f"webhooks:limit:signin:{username.strip().lower()}:{int(now // SIGNIN_WINDOW)}"


def signin_wait(*, username: str, now: float | None = None) -> int:
    """0 when the account may try to sign in, else the seconds until it may."""
    now = time.time() if now is None else now
    failures = caches["limits"].get(_signin_key(username, now), 0)
    if failures < settings.WEBHOOK_SIGNIN_FAILURES:
        return 0
    return max(1, int((now // SIGNIN_WINDOW + 1) * SIGNIN_WINDOW - now + 0.999))


def signin_failed(*, username: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    _incr(_signin_key(username, now), timeout=2 * SIGNIN_WINDOW)
