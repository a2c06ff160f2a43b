"""The outbound HTTP module: SSRF guard, capped reads, no redirects, a hard deadline per attempt."""

import logging
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc

import pytest

from tests.receiver import Drip, DrippingReceiver, Receiver, Reply
from webhooks.engine import addresses, http
from webhooks.engine.resend import webhook_send_test

# Room on top of attempt_max_seconds() for a loaded machine; every hostile receiver below would
# keep an attempt open for 30 s or more without the deadline, so this margin cannot hide one.
MARGIN = 2.0
ENDLESS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"


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
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "http://[64:ff9b::7f00:1]:{port}/hook",  # NAT64 of 127.0.0.1
        "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64
        "http://[2002:7f00:1::]:{port}/hook",  # 6to4 of 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",  # Teredo, client 10.0.0.1
        "http://[::7f00:1]:{port}/hook",  # IPv4-compatible 127.0.0.1
        "http://[::a9fe:a9fe]/hook",  # IPv4-compatible 169.254.169.254
        "http://[fc00::1]/hook",  # unique local
        "http://[fe80::1]/hook",  # link local
        "http://[ff02::1]/hook",  # multicast
        "http://[100::1]/hook",  # discard-only
    ],
)
def test_it_refuses_non_public_addresses_without_connecting(
    private_networks_blocked, receiver, url, monkeypatch
):
    dialled = []
    monkeypatch.setattr(http.socket.socket, "connect", lambda sock, address: dialled.append(address))

    result = http.post_json(url.format(port=receiver.port), b"{}", {})

    assert result.status_code is None
    assert result.error == "blocked: the URL does not resolve to a public address"
    assert dialled == []
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"],
)
def test_it_allows_public_addresses_in_every_form(private_networks_blocked, address):
    # A public IPv4 address, a global IPv6 one, and the same IPv4 through NAT64 and 6to4.
    assert addresses.address_is_allowed(address)


class _Recorded(logging.Handler):
    """The log records of one logger (CI runs pytest without its logging plugin: no caplog)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> "_Recorded":
        self.logger.addHandler(self)
        self.level_before, self.logger.level = self.logger.level, logging.DEBUG
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.level = self.level_before

    @property
    def text(self) -> str:
        return "\n".join(record.getMessage() for record in self.records)


def test_it_checks_the_address_it_resolves_at_connect_time(private_networks_blocked, monkeypatch):
    # A name that resolves to loopback when dialled (DNS rebinding) is refused.
    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", rebinding_getaddrinfo)

    with _Recorded("webhooks.http") as log:
        result = http.post_json("http://hooks.example.com/hook", b"{}", {})

    assert result.error == "blocked: the URL does not resolve to a public address"
    # The address is for the server log only: tenants could map internal names with it.
    assert "127.0.0.1" not in result.error
    assert "hooks.example.com resolves to 127.0.0.1" in log.text


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
    assert result.error == "could not resolve the host name"


def test_a_closed_port_is_reported_as_connection_refused(unused_port):
    result = http.post_json(f"http://127.0.0.1:{unused_port}/hook", b"{}", {})

    assert (result.status_code, result.error) == (None, "connection refused")


def test_a_tls_failure_is_reported_without_library_details(receiver):
    # https:// to a plain-HTTP receiver: the handshake fails; urllib3's pool and exception
    # class names stay in the server log.
    result = http.post_json(f"https://127.0.0.1:{receiver.port}/hook", b"{}", {})

    assert (result.status_code, result.error) == (None, "TLS handshake failed")


def test_an_untrusted_certificate_is_reported_as_such(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = Receiver().start()
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    try:
        result = http.post_json(f"https://127.0.0.1:{server.port}/hook", b"{}", {})
    finally:
        server.stop()

    assert (result.status_code, result.error) == (None, "TLS certificate verification failed")
    assert server.requests == []


@pytest.fixture
def dripping():
    servers: list[DrippingReceiver] = []

    def start(drip: Drip) -> DrippingReceiver:
        servers.append(DrippingReceiver(drip).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def unanswered_port():
    """A loopback port whose accept queue is full: the kernel drops new SYNs, so connecting hangs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers: list[socket.socket] = []
        try:
            for _ in range(8):
                fillers.append(socket.socket())
                fillers[-1].settimeout(0.5)
                try:
                    fillers[-1].connect(("127.0.0.1", port))
                except TimeoutError:
                    yield port
                    return
            pytest.skip("this kernel completes connections past a full accept queue")
        finally:
            for sock in fillers:
                sock.close()


def timed_post(url: str) -> tuple[http.HttpResult, float]:
    started = time.monotonic()
    result = http.post_json(url, b"{}", {})
    return result, time.monotonic() - started


def assert_ended_at_the_deadline(result: http.HttpResult, elapsed: float, timeout: float) -> None:
    assert result.status_code is None
    assert result.error.startswith(f"timed out after {timeout:g} s"), result.error
    assert timeout <= elapsed <= http.attempt_max_seconds() + MARGIN, elapsed


def test_attempt_max_seconds_is_the_timeout_plus_a_small_slack(settings):
    settings.WEBHOOK_TIMEOUT = 15

    assert http.attempt_max_seconds() == 15 + http.DEADLINE_SLACK
    assert 0 < http.DEADLINE_SLACK <= 1


@pytest.mark.parametrize("timeout", [1, 0.5])
def test_a_body_trickled_a_byte_at_a_time_ends_the_attempt_at_the_deadline(settings, dripping, timeout):
    settings.WEBHOOK_TIMEOUT = timeout
    server = dripping(Drip(every=0.2))  # 200 headers at once, then 1,000,000 bytes at 5 a second

    result, elapsed = timed_post(server.url("/hook"))

    assert_ended_at_the_deadline(result, elapsed, timeout)
    assert result.error.endswith("while reading the response body")
    server.wait_until_ended(1)  # the sender hung up rather than leave the receiver dripping


def test_headers_trickled_a_byte_at_a_time_end_the_attempt_at_the_deadline(settings, dripping):
    settings.WEBHOOK_TIMEOUT = 1
    server = dripping(Drip(head=b"HTTP/1.1 200 OK\r\n", chunk=b"X", every=0.2))

    result, elapsed = timed_post(server.url("/hook"))

    assert_ended_at_the_deadline(result, elapsed, 1)
    assert result.error.endswith("while waiting for the response headers")
    server.wait_until_ended(1)


def test_an_endless_body_is_read_up_to_the_cap_only(settings, dripping):
    settings.WEBHOOK_TIMEOUT = 30
    settings.WEBHOOK_RESPONSE_MAX_BYTES = 65536
    server = dripping(Drip(head=ENDLESS, chunk=b"y" * 16384, every=0))

    result, elapsed = timed_post(server.url("/hook"))

    assert (result.status_code, len(result.body), result.truncated) == (200, 65536, True)
    assert elapsed < 10, elapsed
    server.wait_until_ended(1)


def test_an_endless_body_slower_than_the_cap_ends_the_attempt_at_the_deadline(settings, dripping):
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_RESPONSE_MAX_BYTES = 65536
    server = dripping(Drip(head=ENDLESS, chunk=b"y" * 1024, every=0.2))  # the cap only after 12.8 s

    result, elapsed = timed_post(server.url("/hook"))

    assert_ended_at_the_deadline(result, elapsed, 1)
    assert (result.body, result.truncated) == ("", False)
    server.wait_until_ended(1)


def test_a_redirect_with_an_endless_body_is_capped_and_not_followed(settings, dripping):
    settings.WEBHOOK_TIMEOUT = 30
    settings.WEBHOOK_RESPONSE_MAX_BYTES = 65536
    head = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /other\r\nConnection: close\r\n\r\n"
    # 320 KiB a second for a minute: capped after 0.2 s, where reading it whole takes the minute.
    server = dripping(Drip(head=head, chunk=b"z" * 16384, every=0.05))

    result, elapsed = timed_post(server.url("/hook"))

    assert (result.status_code, len(result.body), result.truncated) == (307, 65536, True)
    assert result.error == "HTTP 307: redirect to /other not followed"
    assert elapsed < 10, elapsed


def test_a_receiver_that_never_accepts_ends_the_attempt_at_the_deadline(settings):
    settings.WEBHOOK_TIMEOUT = 1
    with socket.socket() as server:  # the kernel completes the handshake; nobody ever answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)

        result, elapsed = timed_post(f"http://127.0.0.1:{server.getsockname()[1]}/hook")

    assert_ended_at_the_deadline(result, elapsed, 1)
    assert result.error.endswith("while waiting for the response headers")


def test_a_connect_that_never_completes_ends_the_attempt_at_the_deadline(settings, unanswered_port):
    settings.WEBHOOK_CONNECT_TIMEOUT = 30  # longer than the deadline: the deadline wins
    settings.WEBHOOK_TIMEOUT = 1

    result, elapsed = timed_post(f"http://127.0.0.1:{unanswered_port}/hook")

    assert_ended_at_the_deadline(result, elapsed, 1)
    assert result.error == "timed out after 1 s while connecting"


def test_the_connect_timeout_still_cuts_connecting_short(settings, unanswered_port):
    settings.WEBHOOK_CONNECT_TIMEOUT = 1
    settings.WEBHOOK_TIMEOUT = 30

    result, elapsed = timed_post(f"http://127.0.0.1:{unanswered_port}/hook")

    assert result.status_code is None
    assert result.error == "connection timed out"
    assert 1 <= elapsed <= 1 + MARGIN, elapsed


def test_a_hung_dns_lookup_ends_the_attempt_at_the_deadline(settings, monkeypatch):
    settings.WEBHOOK_TIMEOUT = 1
    looking_up, release = threading.Event(), threading.Event()

    def hung_getaddrinfo(*args, **kwargs):
        looking_up.set()
        release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "released by the test")

    monkeypatch.setattr(addresses.socket, "getaddrinfo", hung_getaddrinfo)
    try:
        result, elapsed = timed_post("http://hooks.example.com/hook")
    finally:
        release.set()  # the resolver thread left behind finishes now

    assert looking_up.is_set()
    assert_ended_at_the_deadline(result, elapsed, 1)
    assert result.error == "timed out after 1 s while resolving the host name"


SECRET_PATH = "/hooks/T0SECRETPATH?api_key=K3YSECRET"


def assert_names_the_host_only(text: str, port: int) -> None:
    assert "T0SECRETPATH" not in text and "K3YSECRET" not in text and "api_key" not in text, text
    assert f"127.0.0.1:{port}" in text, text


def test_a_refused_connection_logs_and_stores_the_host_and_port_but_not_the_path(unused_port):
    with _Recorded("webhooks.http") as log:
        result = http.post_json(f"http://127.0.0.1:{unused_port}{SECRET_PATH}", b"{}", {})

    assert result.error == "connection refused"
    assert_names_the_host_only(log.text, unused_port)
    assert "ConnectionRefusedError" in log.text  # the detail operators need is still there


def test_a_timeout_logs_and_stores_the_host_and_port_but_not_the_path(settings):
    settings.WEBHOOK_TIMEOUT = 1
    with socket.socket() as server, _Recorded("webhooks.http") as log:  # accepted, never answered
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]

        result = http.post_json(f"http://127.0.0.1:{port}{SECRET_PATH}", b"{}", {})

    assert result.error == "timed out after 1 s while waiting for the response headers"
    assert_names_the_host_only(log.text, port)


def test_an_invalid_url_logs_no_part_of_it_but_the_host(settings):
    with _Recorded("webhooks.http") as log:
        result = http.post_json(f"http://127.0.0.1:99999{SECRET_PATH}", b"{}", {})

    assert result.error == "invalid URL"
    assert "T0SECRETPATH" not in log.text and "K3YSECRET" not in log.text, log.text


def test_a_failed_send_stores_a_reason_without_the_path(make_webhook, unused_port):
    webhook = make_webhook(f"http://127.0.0.1:{unused_port}{SECRET_PATH}")
    with _Recorded("webhooks.http") as log:
        delivery = webhook_send_test(webhook=webhook)

    stored = [delivery.response, *delivery.attempt_set.values_list("error", flat=True)]
    assert "connection refused" in stored[-1]
    assert not any("T0SECRETPATH" in text or "K3YSECRET" in text for text in stored), stored
    assert_names_the_host_only(log.text, unused_port)
