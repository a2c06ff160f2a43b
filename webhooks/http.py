"""The one place that sends HTTP requests to webhook URLs.

Guards: redirects are never followed, proxies from the environment are
ignored, connect/read/total timeouts apply, at most
WEBHOOK_RESPONSE_MAX_BYTES of the body is read (the rest is never
downloaded), and destinations that are not globally routable are refused
at connect time, on the address actually dialled, so DNS rebinding cannot
slip past the check.
"""

import ipaddress
import os
import socket
import time
from dataclasses import dataclass

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

USER_AGENT = "CotalkerWebhooks/1.0"


class BlockedDestinationError(NewConnectionError):
    """The URL resolves to an address that webhooks may not reach."""


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    body: str
    truncated: bool
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code <= 209


def address_is_allowed(address: str) -> bool:
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _GuardedConnectionMixin:
    def _new_conn(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise NewConnectionError(self, f"could not resolve {self._dns_host}: {error}") from error
        for *_, sockaddr in infos:
            if not address_is_allowed(sockaddr[0]):
                raise BlockedDestinationError(
                    self,
                    f"blocked: {self._dns_host} resolves to {sockaddr[0]}, which is not a "
                    "public address (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)",
                )
        family, socktype, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, socktype, proto)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if isinstance(self.timeout, (int, float)):
                sock.settimeout(self.timeout)
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            raise NewConnectionError(self, f"connection to {sockaddr[0]} failed: {error}") from error
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


_session: requests.Session | None = None
_session_pid: int | None = None


def _get_session() -> requests.Session:
    """One keep-alive session per process (workers are forked, sockets are not shared)."""
    global _session, _session_pid
    if _session is None or _session_pid != os.getpid():
        session = requests.Session()
        session.trust_env = False
        adapter = _GuardedAdapter(max_retries=0, pool_maxsize=4)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _session, _session_pid = session, os.getpid()
    return _session


def _error_text(error: Exception) -> str:
    reason = error
    while reason is not None:
        if isinstance(reason, NewConnectionError):
            return str(reason).split(": ", 1)[-1]
        inner = getattr(reason, "reason", None) or (reason.args[0] if reason.args else None)
        reason = inner if isinstance(inner, Exception) else None
    if isinstance(error, requests.Timeout):
        return f"timed out: {error}"
    return f"{type(error).__name__}: {error}"


def _read_capped(response: requests.Response, deadline: float) -> tuple[bytes, bool]:
    limit = settings.WEBHOOK_RESPONSE_MAX_BYTES
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=16384):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
        if time.monotonic() > deadline:
            raise requests.Timeout(f"response not complete within {settings.WEBHOOK_TIMEOUT}s")
    return b"".join(chunks), False


def post_json(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST `body` to `url`; never raises for network or HTTP failures."""
    started = time.monotonic()
    deadline = started + settings.WEBHOOK_TIMEOUT
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    timeout = (settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_TIMEOUT)
    try:
        with _get_session().post(
            url, data=body, headers=all_headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            content, truncated = _read_capped(response, deadline)
            text = content.decode(response.encoding or "utf-8", errors="replace")
            error = ""
            if 300 <= response.status_code < 400:
                location = response.headers.get("Location", "")
                error = f"HTTP {response.status_code}: redirect to {location or '(no Location)'} not followed"
            return HttpResult(response.status_code, text, truncated, error, _elapsed_ms(started))
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        return HttpResult(None, "", False, _error_text(error), _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
