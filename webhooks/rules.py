"""A webhook's rules and their messages, written once.

`Webhook.full_clean()` applies them (the model's fields carry the lengths and validators below,
its `clean()` the rules between fields); the panel's forms and the API's serializers only parse
types and show its ValidationErrors next to their own fields (tests/webhooks/test_rules.py asks
each rule of both). Messages are translated in the panel (locale/es) and in the API (Accept-Language).
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator, URLValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from events.models import code_validator
from webhooks.choices import Trigger

__all__ = ["code_validator"]  # the code rule is Cotalker's for every code (events.models)

# --- lengths (the model's columns; the schema shows them)
NAME_MAX = 200
CODE_MAX = 60  # as code_validator's pattern says
URL_MAX = 2000
DESCRIPTION_MAX = 2000

REQUIRED = _("This field is required.")
# Django's own Spanish says "menos de 200 caracteres" where 200 are allowed: these say it right.
MAX_LENGTH = ngettext_lazy(
    "Enter at most %(limit_value)d character (it has %(show_value)d).",
    "Enter at most %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)

# --- the code: Cotalker's pattern, unique per company, fixed once saved
CODE_TAKEN = _("A webhook with this code already exists.")
CODE_IMMUTABLE = _("The code cannot be changed once the webhook is saved.")

# --- the URL
INVALID_URL = _("Enter a valid URL.")
HTTP_URL = _("Enter an http(s) URL.")
URL_CREDENTIALS = _(
    "Credentials in the URL (user:password@) are not accepted: "
    "send them in a custom request header, such as Authorization."
)


def http_url_validator(value: str) -> None:
    """A webhook URL: a valid URL, http or https, and no user:password@ (they would be stored,
    shown and logged like the rest of the URL; custom headers keep credentials write-only)."""
    URLValidator(message=INVALID_URL)(value)
    if value.split(":", 1)[0].lower() not in ("http", "https"):
        raise ValidationError(HTTP_URL, code="invalid")
    if "@" in urlsplit(value).netloc:
        raise ValidationError(URL_CREDENTIALS, code="credentials")


def url_origin(url: str) -> tuple | str:
    """Scheme, host and port (the scheme's default filled in): who receives what is sent to `url`."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return url  # not a URL (the URL's own validator says so): compared as written


# --- the context each trigger needs (a task webhook its workflow; a survey one its survey and group)
REQUIRED_CONTEXT: dict[str, tuple[str, ...]] = {
    Trigger.TASK: ("workflow",),
    Trigger.SURVEY: ("survey", "group"),
}
CONTEXT_REQUIRED = {
    "workflow": _("A workflow is required for this trigger."),
    "survey": _("A survey is required for this trigger."),
    "group": _("A group is required for this trigger."),
}
CONTEXT_OF_ANOTHER_COMPANY = {
    "workflow": _("Select a workflow of your company."),
    "survey": _("Select a survey of your company."),
    "group": _("Select a group of your company."),
}

# --- deliveries in flight at once (the order per object)
MAX_IN_FLIGHT_LIMIT = 16
MAX_IN_FLIGHT_DEFAULT = 4
IN_FLIGHT_ERROR = format_lazy(_("Enter a whole number from 1 to {limit}."), limit=MAX_IN_FLIGHT_LIMIT)

# --- an ObjectId: 24 lowercase hexadecimal digits. A search (the logs' object id, panel and API)
# folds the case of what is typed first; an id that is stored (a context's) must be written so.
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
OBJECT_ID_PATTERN = f"^{_OBJECT_ID.pattern}$"  # as OpenAPI writes it
OBJECT_ID_INVALID = _("Enter a 24-character lowercase hexadecimal id.")
object_id_validator = RegexValidator(rf"^{_OBJECT_ID.pattern}\Z", OBJECT_ID_INVALID, code="invalid")


def is_object_id(value: object) -> bool:
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None


# --- custom request headers (receiver authentication). Names are shown; values are write-only.
HEADERS_MAX = 20
HEADER_VALUE_MAX = 4096
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")  # an RFC 9110 token (fullmatch)
# What the product sets itself (the signature, the body's framing) or what only a hop may set.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
HEADER_NAME_REQUIRED = _("Give the header's name.")
HEADER_NAME_INVALID = _("“%(name)s” is not a valid header name.")
HEADER_RESERVED = _("“%(name)s” is set by the product and cannot be sent as a custom header.")
HEADER_DUPLICATE = _("The header “%(name)s” is given twice.")
HEADER_VALUE_INVALID = _(
    "The value of “%(name)s” must be 1 to %(max)s printable ASCII characters, on one line, "
    "with no space at either end."
)
HEADER_VALUE_REQUIRED = _("Give a value for the header “%(name)s”.")
HEADERS_TOO_MANY = _("At most %(max)s custom headers.")
HEADERS_NEW_RECEIVER = _(
    "The URL now points to another receiver (scheme, host or port): give the value of %(names)s "
    "again, or remove them. Stored values are never sent to a new receiver."
)


def header_name_errors(name: str) -> list[ValidationError]:
    if not HEADER_NAME.fullmatch(name):
        return [ValidationError(HEADER_NAME_INVALID, code="invalid", params={"name": name[:100]})]
    lowered = name.lower()
    if lowered in RESERVED_HEADERS or lowered.startswith(("webhook-", "proxy-")):
        return [ValidationError(HEADER_RESERVED, code="reserved", params={"name": name})]
    return []


def header_value_is_valid(value: object) -> bool:
    """Printable ASCII on one line, with no space at either end: what every HTTP stack sends
    as given (anything else fails at send time, in a message that would quote the value)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= HEADER_VALUE_MAX
        and value == value.strip()
        and all(32 <= ord(char) < 127 or char == "\t" for char in value)
    )


def receiver_headers_validator(headers: dict[str, str]) -> None:
    """The rules for a webhook's custom headers, for the panel's form and the API alike."""
    errors: list[ValidationError] = []
    if len(headers) > HEADERS_MAX:
        errors.append(ValidationError(HEADERS_TOO_MANY, code="max", params={"max": HEADERS_MAX}))
    seen: set[str] = set()
    for name, value in headers.items():
        errors += header_name_errors(name)
        if name.lower() in seen:
            errors.append(ValidationError(HEADER_DUPLICATE, code="duplicate", params={"name": name}))
        seen.add(name.lower())
        params = {"name": name[:100], "max": HEADER_VALUE_MAX}
        if value == "":
            errors.append(ValidationError(HEADER_VALUE_REQUIRED, code="required", params=params))
        elif not header_value_is_valid(value):
            errors.append(ValidationError(HEADER_VALUE_INVALID, code="invalid", params=params))
    if errors:
        raise ValidationError(errors)


def header_values_carried(names: list[str]) -> ValidationError:
    quoted = ", ".join(f"“{name}”" for name in names)
    return ValidationError(HEADERS_NEW_RECEIVER, code="new_receiver", params={"names": quoted})


# --- checks a model field does not make itself: a TextField's max_length only sizes its form field.
EXTRA_VALIDATORS = {"description": [MaxLengthValidator(DESCRIPTION_MAX)]}


def field_validators(field) -> list:
    """Every validator of a Webhook model field: its own, and the rules' extra ones."""
    return [*field.validators, *EXTRA_VALIDATORS.get(field.name, [])]


def field_check(field, value) -> None:
    """A model field's rules on a value (its validators), in the rules' words: what
    Webhook.clean_fields() checks, for a value parsed outside a model instance (the API's)."""
    errors: list[ValidationError] = []
    for validator in field_validators(field):
        try:
            validator(value)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(field_errors_worded(field.name, errors))


# --- the model fields' own checks, in the rules' words (Webhook.clean_fields): Django's messages
# for a length or a number differ from ours, and its Spanish miscounts.
_BY_CODE = {"max_length": MAX_LENGTH, "blank": REQUIRED, "null": REQUIRED}
_BY_FIELD_AND_CODE = {
    ("max_in_flight", code): IN_FLIGHT_ERROR for code in ("invalid", "min_value", "max_value", "null")
}


def field_errors_worded(field: str, errors: list[ValidationError]) -> list[ValidationError]:
    """A field's errors from Django's own checks, each said once, in the rules' words."""
    worded, seen = [], set()
    for error in errors:
        code = error.code or ""
        message = _BY_FIELD_AND_CODE.get((field, code)) or _BY_CODE.get(code)
        if message is not None:
            error = ValidationError(message, code=error.code, params=error.params)
        said = (error.code, str(error.message))
        if said not in seen:
            seen.add(said)
            worded.append(error)
    return worded
