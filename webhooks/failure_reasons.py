"""Delivery failure reasons in the panel's language.

An attempt stores its failure reason in English (webhooks.engine.http.Reason): the API returns it
as it is, Cotalker-compatible. The panel translates it only when it shows it, so a log reads the
same whatever language the administrator who looks at it speaks.
"""

import re

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from webhooks.engine.http import Reason, Step

# The literals repeat http's texts: gettext needs them written out to find them (makemessages).
FIXED = {
    Reason.UNRESOLVED: _("could not resolve the host name"),
    Reason.BLOCKED: _("blocked: the URL does not resolve to a public address"),
    Reason.REFUSED: _("connection refused"),
    Reason.NETWORK_UNREACHABLE: _("network unreachable"),
    Reason.HOST_UNREACHABLE: _("host unreachable"),
    Reason.CONNECT_TIMED_OUT: _("connection timed out"),
    Reason.NOT_CONNECTED: _("could not connect"),
    Reason.TLS_CERTIFICATE: _("TLS certificate verification failed"),
    Reason.TLS_HANDSHAKE: _("TLS handshake failed"),
    Reason.TIMED_OUT: _("timed out"),
    Reason.CLOSED: _("the receiver closed the connection"),
    Reason.INVALID_URL: _("invalid URL"),
    Reason.FAILED: _("the request failed"),
}
STEPS = {
    Step.STARTING: _("starting the request"),
    Step.RESOLVING: _("resolving the host name"),
    Step.CONNECTING: _("connecting"),
    Step.NEGOTIATING_TLS: _("negotiating TLS"),
    Step.SENDING: _("sending the request"),
    Step.WAITING_FOR_HEADERS: _("waiting for the response headers"),
    Step.READING_BODY: _("reading the response body"),
}
DEADLINE = _("timed out after %(seconds)s s while %(doing)s")
REDIRECT = _("HTTP %(status)s: redirect to %(location)s not followed")
ANSWERED = _("the receiver answered HTTP %(status)s")
NO_LOCATION = _("(no Location)")


def _pattern(template: str) -> re.Pattern:
    """A Reason with numbers as a regular expression: each `{name}` a named group."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
    )


_DEADLINE_RE = _pattern(Reason.DEADLINE)
_REDIRECT_RE = _pattern(Reason.REDIRECT)
_ANSWERED_RE = _pattern(Reason.ANSWERED)


def _formatted(template: Promise, **values) -> str:
    return str(template) % {name: str(value) for name, value in values.items()}


# Formatted when shown, in the language active then (a view's, a template's).
_formatted_lazy = lazy(_formatted, str)


def failure_reason_display(text: str) -> str | Promise:
    """The stored reason `text`, translated lazily; any other text (a receiver's body) unchanged."""
    if text in FIXED:
        return FIXED[text]
    if match := _DEADLINE_RE.fullmatch(text):
        doing = STEPS.get(match["doing"])
        if doing is not None:
            return _formatted_lazy(DEADLINE, seconds=match["seconds"], doing=doing)
    if match := _REDIRECT_RE.fullmatch(text):
        location = NO_LOCATION if match["location"] == Reason.NO_LOCATION else match["location"]
        return _formatted_lazy(REDIRECT, status=match["status"], location=location)
    if match := _ANSWERED_RE.fullmatch(text):
        return _formatted_lazy(ANSWERED, status=match["status"])
    return text
