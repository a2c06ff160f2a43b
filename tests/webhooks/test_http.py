"""The outbound HTTP module: SSRF guard, capped reads, no redirects."""

import socket
import tracemalloc

import pytest

from tests.receiver import Reply
from webhooks import http


@pytest.fixture
def private_networks_blocked(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://[::1]:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
    ],
)
def test_it_refuses_non_public_addresses_without_connecting(private_networks_blocked, receiver, url):
    result = http.post_json(url.format(port=receiver.port), b"{}", {})

    assert result.status_code is None
    assert result.error.startswith("blocked:")
    assert receiver.requests == []


def test_it_checks_the_address_it_resolves_at_connect_time(private_networks_blocked, monkeypatch):
    # A name that resolves to loopback when dialled (DNS rebinding) is refused.
    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(http.socket, "getaddrinfo", rebinding_getaddrinfo)

    result = http.post_json("http://hooks.example.com/hook", b"{}", {})

    assert result.error.startswith("blocked: hooks.example.com resolves to 127.0.0.1")


def test_it_allows_loopback_when_private_networks_are_allowed(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

    result = http.post_json(receiver.url("/hook"), b'{"a": 1}', {"webhook-id": "msg_1"})

    assert (result.status_code, result.ok) == (200, True)
    (request,) = receiver.on("/hook")
    assert request.body == b'{"a": 1}'
    assert request.headers["webhook-id"] == "msg_1"


def test_it_stores_a_10_mb_response_capped_without_reading_it_whole(settings, receiver):
    settings.WEBHOOK_RESPONSE_MAX_BYTES = 65536
    receiver.script("/big", then=Reply(200, b"x" * 10_000_000))

    tracemalloc.start()
    result = http.post_json(receiver.url("/big"), b"{}", {})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert (result.status_code, len(result.body), result.truncated) == (200, 65536, True)
    assert peak < 1_000_000, f"peak {peak} bytes while reading a capped response"


@pytest.mark.parametrize(
    "status, ok", [(200, True), (201, True), (209, True), (210, False), (299, False), (400, False)]
)
def test_only_200_to_209_count_as_success(receiver, status, ok):
    receiver.script("/hook", then=Reply(status))

    assert http.post_json(receiver.url("/hook"), b"{}", {}).ok is ok


def test_it_does_not_follow_redirects(receiver):
    receiver.script("/hook", then=Reply(307, b"", headers={"Location": "/other"}))

    result = http.post_json(receiver.url("/hook"), b"{}", {})

    assert result.status_code == 307
    assert result.error == "HTTP 307: redirect to /other not followed"
    assert receiver.on("/other") == []


def test_it_reports_an_unresolvable_host(settings):
    result = http.post_json("http://no-such-host.invalid/hook", b"{}", {})

    assert result.status_code is None
    assert "could not resolve no-such-host.invalid" in result.error
