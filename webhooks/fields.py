"""A text column stored encrypted (webhooks.crypto), read back as plain text.

Decryption is lazy: a row's ciphertext is opened on first access of the attribute, so listing a
thousand webhooks decrypts nothing it does not show. `values()`/`values_list()` return the
stored (sealed) form.
"""

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from webhooks import crypto


class Stored(str):
    """A value in its stored (sealed) form, as read from the database."""


class _UnsealOnAccess(DeferredAttribute):
    # A data descriptor (it has __set__), so reads come here even once the row's value sits
    # in the instance's __dict__.
    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if instance is not None and isinstance(value, Stored):
            value = crypto.unseal(value)
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):
    descriptor_class = _UnsealOnAccess

    def from_db_value(self, value, expression, connection):
        return value if value is None else Stored(value)

    def to_python(self, value):
        # A sealed string (from `loaddata`, say) is kept as it is, never sealed a second time.
        if isinstance(value, str) and not isinstance(value, Stored) and crypto.is_sealed(value):
            return Stored(value)
        return super().to_python(value)

    def value_to_string(self, obj) -> str:
        """`dumpdata` writes the sealed form: a fixture must not hold the secrets in clear."""
        stored = obj.__dict__.get(self.attname)
        if isinstance(stored, Stored):
            return str(stored)
        return crypto.seal(self.value_from_object(obj) or "")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or isinstance(value, Stored):
            return value
        return crypto.seal(value)
