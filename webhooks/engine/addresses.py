"""Which addresses a webhook may reach (the SSRF policy), and name resolution within an
attempt's deadline.

webhooks.engine.http resolves a URL's host here and checks every address it resolves to with
`address_is_allowed` at connect time, on the address actually dialled, so DNS rebinding cannot
slip past the check. Unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on, an address must be globally
routable and not multicast; an IPv6 address must be global unicast, and one that carries an
IPv4 address (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is judged by that IPv4 address
(docs/security.md, "Which addresses a webhook may reach").
"""

import ipaddress
import socket
import threading
from typing import Any, Protocol

from django.conf import settings


class Deadline(Protocol):
    """What resolve() needs of an attempt's deadline (webhooks.engine.http): the seconds left,
    and a flag it sets when the deadline passed while the resolver was still at work."""

    expired: bool

    def remaining(self) -> float: ...


_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the last 32 bits are the IPv4 address
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # where the IPv4 sits depends on the prefix
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries (None: it carries none)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)  # the Teredo server and the client's (de-obfuscated) address
    return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def address_is_allowed(address: str) -> bool:
    """Whether a webhook may connect to `address`, an IP address as getaddrinfo gives it."""
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public(ip)
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return all(_is_public(ipv4) for ipv4 in embedded)
    return ip in _GLOBAL_UNICAST and ip not in _NAT64_LOCAL and _is_public(ip)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


# getaddrinfo's answers: (family, type, proto, canonname, sockaddr).
_AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]


def resolve(host: str, port: int, deadline: Deadline) -> list[_AddrInfo]:
    """getaddrinfo, given up on at the deadline (whose step the caller has set to resolving).

    getaddrinfo has no timeout of its own, so it runs in a helper thread; one that hangs
    is left behind to finish (or fail) on its own while the attempt returns.
    """
    if _is_ip_literal(host):
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # nothing to look up: no thread
    outcome: dict[str, Any] = {}

    def look_up() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as error:  # handed to the waiting attempt, which re-raises it
            outcome["error"] = error

    thread = threading.Thread(target=look_up, name=f"webhook-dns-{host}", daemon=True)
    thread.start()
    thread.join(max(deadline.remaining(), 0))
    if thread.is_alive():
        deadline.expired = True
        raise TimeoutError("timed out")
    if "error" in outcome:
        raise outcome["error"]
    infos: list[_AddrInfo] = outcome["infos"]
    return infos
