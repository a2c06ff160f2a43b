"""The one place that sends HTTP requests to webhook URLs.

Guards: redirects are never followed, proxies from the environment are ignored, at most
WEBHOOK_RESPONSE_MAX_BYTES of the body is read (the rest is never downloaded), and destinations
that are not globally routable are refused at connect time, on the address actually dialled, so
DNS rebinding cannot slip past the check (the policy: webhooks.engine.addresses).

Errors: what an attempt records (and tenants see) is a short, generic reason ("connection
refused", "blocked: the URL does not resolve to a public address"); the full detail, addresses
included, goes to the server log only (docs/security.md).

Deadline: an attempt ends within WEBHOOK_TIMEOUT seconds of its start, whatever the receiver or
the resolver does (a hung DNS lookup, a slow connect, headers or a body trickled a byte at a time,
an endless body). Every socket operation gets only what is left of the attempt as its timeout, and
DNS runs in a helper thread that the attempt stops waiting for (webhooks.engine.addresses).
WEBHOOK_CONNECT_TIMEOUT stays a shorter limit for connecting (and the TLS handshake). Closing
sockets and a busy host's thread scheduling may add up to DEADLINE_SLACK seconds:
attempt_max_seconds() is the hard upper bound the delivery engine sizes its lease with.
"""

import email.utils
import errno
import functools
import http.client
import io
import logging
import math
import os
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from django.conf import settings
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, default_headers, get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from webhooks.engine import addresses

USER_AGENT = "CotalkerWebhooks/1.0"

logger = logging.getLogger("webhooks.http")

# Seconds an attempt may run past WEBHOOK_TIMEOUT: closing the connection and building the result,
# on a host busy enough to delay a thread's wake-up. Measured overruns are a few milliseconds.
DEADLINE_SLACK = 1.0

# Sends are cut into pieces this big so that each gets a fresh share of the deadline (a TLS
# socket's sendall restarts its timeout on every piece it writes).
_SEND_PIECE = 16384


def attempt_max_seconds() -> float:
    """The longest one post_json call can take: the delivery engine's lease must outlast it."""
    return settings.WEBHOOK_TIMEOUT + DEADLINE_SLACK


class Reason:
    """What a failed attempt records as its error: short, generic, in English. They are stored and
    returned by the API as they are (Cotalker's logs are English); the panel shows them translated
    (webhooks.failure_reasons). A new reason needs its translation there."""

    UNRESOLVED = "could not resolve the host name"
    BLOCKED = "blocked: the URL does not resolve to a public address"
    REFUSED = "connection refused"
    NETWORK_UNREACHABLE = "network unreachable"
    HOST_UNREACHABLE = "host unreachable"
    CONNECT_TIMED_OUT = "connection timed out"
    NOT_CONNECTED = "could not connect"
    TLS_CERTIFICATE = "TLS certificate verification failed"
    TLS_HANDSHAKE = "TLS handshake failed"
    TIMED_OUT = "timed out"
    CLOSED = "the receiver closed the connection"
    INVALID_URL = "invalid URL"
    FAILED = "the request failed"
    # With their numbers: WEBHOOK_TIMEOUT and what the attempt was doing (a Step) at the deadline;
    # a redirect's status and Location (or NO_LOCATION).
    DEADLINE = "timed out after {seconds} s while {doing}"
    REDIRECT = "HTTP {status}: redirect to {location} not followed"
    NO_LOCATION = "(no Location)"
    # A webhook's last error when a response came (its health, webhooks.engine.failing).
    ANSWERED = "the receiver answered HTTP {status}"


class Step:
    """What an attempt was doing when its deadline came (Reason.DEADLINE's `doing`)."""

    STARTING = "starting the request"
    RESOLVING = "resolving the host name"
    CONNECTING = "connecting"
    NEGOTIATING_TLS = "negotiating TLS"
    SENDING = "sending the request"
    WAITING_FOR_HEADERS = "waiting for the response headers"
    READING_BODY = "reading the response body"


class BlockedDestinationError(NewConnectionError):
    """The URL resolves to an address that webhooks may not reach."""


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    body: str
    truncated: bool
    error: str
    duration_ms: int
    # A 429 or 503's Retry-After, in seconds from now (None: none, or not one of those statuses).
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code <= 209


class _Deadline:
    """The attempt in progress in this thread: when it must end, and what it was doing."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.doing = Step.STARTING
        self.expired = False

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def is_up(self) -> bool:
        return self.expired or self.remaining() <= 0

    @contextmanager
    def step(self, sock: socket.socket, doing: str | None = None, limit: float = math.inf) -> Iterator[None]:
        """Run one socket operation with what is left of the attempt (or `limit`, if shorter)."""
        if doing:
            self.doing = doing
        remaining = self.remaining()
        if remaining <= 0:
            self.expired = True
            raise TimeoutError(f"timed out {self.doing}")
        sock.settimeout(min(limit, remaining))
        try:
            yield
        except TimeoutError:
            # Only the deadline makes it "timed out after N s"; a shorter limit keeps its own message.
            self.expired = self.expired or remaining <= limit
            raise


# Set by post_json for the duration of one attempt; the connection classes below read it.
_attempt: ContextVar[_Deadline] = ContextVar("webhook_attempt")


class _DeadlineReader(io.RawIOBase):
    """The response's socket reader: every recv waits at most for what is left of the attempt.

    http.client's own reader would give each recv the full read timeout, so a byte every few
    seconds would keep a response open forever.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        # makefile() keeps the socket open while this reader lives, as http.client relies on.
        self._file = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._file.fileno()

    def readinto(self, buffer: "WriteableBuffer") -> int | None:
        with self._deadline.step(self._sock):
            return self._file.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._deadline = _attempt.get()
        self.fp.close()  # the plain reader http.client opened: replaced before anything is read
        self.fp = io.BufferedReader(_DeadlineReader(sock, self._deadline))

    def begin(self) -> None:
        self._deadline.doing = Step.WAITING_FOR_HEADERS
        super().begin()
        self._deadline.doing = Step.READING_BODY


if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    # A mixin of urllib3's connections, before them in the MRO: its self and super() are theirs.
    _ConnectionBase = HTTPConnection
else:
    _ConnectionBase = object


class _GuardedConnectionMixin(_ConnectionBase):
    response_class = _DeadlineResponse

    def _new_conn(self) -> socket.socket:
        deadline = _attempt.get()
        deadline.doing = Step.RESOLVING
        try:
            infos = addresses.resolve(self._dns_host, self.port, deadline)
        except OSError as error:
            raise NewConnectionError(self, Reason.UNRESOLVED) from error
        for *_, sockaddr in infos:
            if not addresses.address_is_allowed(sockaddr[0]):
                logger.warning(
                    "webhook request blocked: %s resolves to %s, which is not a public address "
                    "(WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)",
                    self._dns_host,
                    sockaddr[0],
                )
                raise BlockedDestinationError(self, Reason.BLOCKED)
        family, socktype, proto, _, sockaddr = infos[0]
        return self._dial(socket.socket(family, socktype, proto), sockaddr, deadline)

    def _dial(self, sock: socket.socket, sockaddr: tuple[Any, ...], deadline: _Deadline) -> socket.socket:
        limit = self.timeout if isinstance(self.timeout, (int, float)) else math.inf
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with deadline.step(sock, Step.CONNECTING, limit):
                sock.connect(sockaddr)
            if isinstance(self, HTTPSConnection):
                # The TLS handshake runs next, on this timeout: the connect limit, within the deadline.
                sock.settimeout(max(min(limit, deadline.remaining()), 0.001))
                deadline.doing = Step.NEGOTIATING_TLS
        except OSError as error:
            sock.close()
            raise NewConnectionError(self, _connect_failure(error)) from error
        return sock

    def send(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            return super().send(data)
        if self.sock is None:
            self.connect()  # http.client would connect inside send(); the socket must exist to bound it
        deadline = _attempt.get()
        view = memoryview(data)
        for start in range(0, len(view), _SEND_PIECE):
            with deadline.step(self.sock, Step.SENDING):
                super().send(view[start : start + _SEND_PIECE])


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_pools: urllib3.PoolManager | None = None
_pools_pid: int | None = None


def _get_pools() -> urllib3.PoolManager:
    """One keep-alive pool manager per process (workers are forked, sockets are not shared).
    urllib3 itself, not a requests Session: an attempt costs a third less CPU without requests'
    layers (docs/delivery.md, "The HTTP client"); proxies from the environment are never read."""
    global _pools, _pools_pid
    if _pools is None or _pools_pid != os.getpid():
        # Up to MAX_IN_FLIGHT_LIMIT requests to one receiver at once (a webhook in `object` mode).
        pools = urllib3.PoolManager(num_pools=10, maxsize=16, retries=False)
        pools.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
        _pools, _pools_pid = pools, os.getpid()
    return _pools


_CONNECT_FAILURES: dict[int | None, str] = {
    errno.ECONNREFUSED: Reason.REFUSED,
    errno.ENETUNREACH: Reason.NETWORK_UNREACHABLE,
    errno.EHOSTUNREACH: Reason.HOST_UNREACHABLE,
    errno.ETIMEDOUT: Reason.CONNECT_TIMED_OUT,
}


def _connect_failure(error: OSError) -> str:
    if isinstance(error, TimeoutError):
        return Reason.CONNECT_TIMED_OUT
    return _CONNECT_FAILURES.get(error.errno, Reason.NOT_CONNECTED)


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    """The error and what caused it, through urllib3's and requests' wrappers."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        inner = getattr(error, "reason", None) or (error.args[0] if error.args else None)
        error = inner if isinstance(inner, BaseException) else (error.__cause__ or error.__context__)


def _error_text(error: Exception) -> str:
    """A short, generic reason for tenants: no addresses, no library class names."""
    causes = list(_causes(error))
    for cause in causes:
        if isinstance(cause, NewConnectionError):
            return str(cause).split(": ", 1)[-1]
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
        return Reason.TLS_CERTIFICATE
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return Reason.TLS_HANDSHAKE
    if any(isinstance(cause, TimeoutError | requests.Timeout) for cause in causes):
        return Reason.TIMED_OUT
    if any(isinstance(cause, ConnectionError | http.client.HTTPException) for cause in causes):
        return Reason.CLOSED
    if isinstance(error, requests.exceptions.InvalidURL | ValueError):
        return Reason.INVALID_URL
    return Reason.FAILED


def _failure_text(error: Exception, deadline: _Deadline) -> str:
    if deadline.is_up():
        return Reason.DEADLINE.format(seconds=f"{settings.WEBHOOK_TIMEOUT:g}", doing=deadline.doing)
    return _error_text(error)


def _read_capped(response: urllib3.BaseHTTPResponse) -> tuple[bytes, bool]:
    limit = settings.WEBHOOK_RESPONSE_MAX_BYTES
    chunks, size = [], 0
    for chunk in response.stream(16384, decode_content=True):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


@functools.lru_cache(maxsize=1024)
def _target(url: str) -> tuple[str, str]:
    """The URL as requests prepares it (IDNA host, quoted path), and its path with the query."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    assert prepared.url is not None  # prepare_url() set it
    return prepared.url, prepared.path_url


# requests' defaults (Accept, Accept-Encoding, Connection), our User-Agent.
_DEFAULT_HEADERS = {**default_headers(), "User-Agent": USER_AGENT, "Content-Type": "application/json"}


@contextmanager
def _send(url: str, body: bytes, headers: dict[str, str]) -> Iterator[urllib3.BaseHTTPResponse]:
    """POST with no redirect followed and no retry; the response's body is streamed (capped by
    the reader). A response read to its end gives its connection back to the pool; one left
    unread (a capped body) closes it."""
    for header in headers.items():
        check_header_validity(header)  # InvalidHeader, which names no value (a credential)
    full_url, path = _target(url)
    pool = _get_pools().connection_from_url(full_url)
    response = pool.urlopen(
        "POST",
        path,
        body=body,
        headers={**_DEFAULT_HEADERS, **headers, "Content-Length": str(len(body))},
        retries=False,
        redirect=False,
        assert_same_host=False,
        preload_content=False,
        decode_content=False,
        timeout=urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_TIMEOUT),
    )
    try:
        yield response
    finally:
        if not response.closed:  # read to its end: closed by http.client, the connection kept
            response.close()
        response.release_conn()


HEADER_ERRORS = (requests.exceptions.InvalidHeader, UnicodeError)


def post_json(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST `body` to `url`; never raises for network or HTTP failures.

    Returns within attempt_max_seconds(); at the deadline the error starts "timed out after N s".
    """
    started = time.monotonic()
    deadline = _Deadline(started + settings.WEBHOOK_TIMEOUT)
    token = _attempt.set(deadline)
    try:
        with _send(url, body, headers) as response:
            content, truncated = _read_capped(response)
            content_type = CaseInsensitiveDict({"content-type": response.headers.get("Content-Type", "")})
            encoding = get_encoding_from_headers(content_type) or "utf-8"
            text = content.decode(encoding, errors="replace")
            error = ""
            if 300 <= response.status < 400:
                location = response.headers.get("Location", "")
                error = Reason.REDIRECT.format(
                    status=response.status, location=location or Reason.NO_LOCATION
                )
            retry_after = None
            if response.status in RETRY_AFTER_STATUSES:
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            return HttpResult(
                response.status, text, truncated, error, _elapsed_ms(started), retry_after=retry_after
            )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        text = _failure_text(error, deadline)
        # The detail is for operators only, and still names no more of the URL than its host and
        # port (docs/security.md): see _log_detail.
        logger.info("webhook request to %s failed: %s (%s)", _host_of(url), text, _log_detail(error))
        return HttpResult(None, "", False, text, _elapsed_ms(started))
    finally:
        _attempt.reset(token)


# The statuses whose Retry-After the engine honours (RFC 9110 §10.2.3: "Too Many Requests" and
# "Service Unavailable"; a redirect's Retry-After is about the redirect, which is never followed).
RETRY_AFTER_STATUSES = (429, 503)
_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds from now: delay-seconds or an HTTP date (a date past is 0).
    None when absent or malformed (the retry then keeps WEBHOOK_RETRY_DELAY)."""
    if not value:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


# Modules whose exception messages come from the socket layer: an errno, a TLS reason, a host
# name at most. The messages of urllib3's and requests' wrappers quote the URL, with its path and
# query (which may carry a credential); a header error's quotes the header's value.
_PLAIN_MESSAGE_MODULES = {"builtins", "socket", "ssl"}


def _log_detail(error: BaseException) -> str:
    """The chain of causes for the server log: each one's class, and the message of those whose
    message holds no part of the request (the socket layer's, and our own connection reasons)."""
    parts = []
    for cause in _causes(error):
        name = type(cause).__name__
        if isinstance(cause, NewConnectionError):
            parts.append(f"{name}: {str(cause).split(': ', 1)[-1]}")
        elif type(cause).__module__ in _PLAIN_MESSAGE_MODULES and not isinstance(cause, HEADER_ERRORS):
            parts.append(f"{name}: {cause}" if str(cause) else name)
        else:
            parts.append(name)
    return " <- ".join(parts)


def _host_of(url: str) -> str:
    """The URL's host and port, never its credentials or path."""
    try:
        parts = urllib3.util.parse_url(url)
    except ValueError:
        return "(invalid URL)"
    return f"{parts.host}:{parts.port}" if parts.port else str(parts.host)


def url_host(url: str) -> str:
    """What may be shown of a receiver's URL outside its settings (logs, alert emails and
    payloads): its host and port, never its credentials, path or query."""
    return _host_of(url)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
