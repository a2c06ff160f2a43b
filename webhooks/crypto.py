"""Encryption at rest for the secrets the product must be able to read back: webhook signing
secrets and the values of custom request headers (docs/security.md, "Secrets at rest").

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with the keys of
WEBHOOK_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, so a new key can be put in
front, the old ones kept until `manage.py reencrypt_secrets` has rewritten every value.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

# Every stored ciphertext starts with this, so a plain value (written before encryption, or by
# hand) is never mistaken for one, and `reencrypt_secrets` can tell which rows to seal.
PREFIX = "fernet:"


class UndecryptableError(ImproperlyConfigured):
    """A stored value none of WEBHOOK_ENCRYPTION_KEYS opens: the key that sealed it is missing."""


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.WEBHOOK_ENCRYPTION_KEYS])


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs) -> None:
    if setting == "WEBHOOK_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(plain: str) -> str:
    """The stored form of a value; the empty string stays empty (it hides nothing)."""
    if not plain:
        return ""
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    """The plain value (a plain, exact `str`: never the stored form's type)."""
    if not is_sealed(stored):
        return str(stored)
    try:
        return _fernet().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        raise UndecryptableError(
            "A stored secret cannot be decrypted with any key of WEBHOOK_ENCRYPTION_KEYS: "
            "the key that encrypted it was removed (docs/production.md, 'Key rotation')."
        ) from None
