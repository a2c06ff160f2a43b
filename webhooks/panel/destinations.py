"""Where a webhook's URL points, read from the URL alone (no DNS lookup: a name may resolve
differently when a delivery is sent, and a form must not wait on DNS)."""

import ipaddress
from urllib.parse import urlsplit


def private_host(url: str) -> str | None:
    """The URL's host if it is localhost or a literal loopback, private, link-local or other
    non-public IP address; None for a public address or any other name."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return None if ip.is_global and not ip.is_multicast else host
