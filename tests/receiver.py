"""A real HTTP receiver on loopback for delivery tests.

Each path can be given a script of responses; every request is recorded
with its body, headers and arrival time, and the receiver notes whenever
two requests for one path were in progress at once (an ordering bug).

DrippingReceiver is the hostile one: it answers slowly, or for ever.
"""

import json
import random
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from bench.receiver import Server


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    body: bytes
    headers: dict[str, str]
    at: float


class _LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port, run in a daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.server = Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler_class(self) -> type:
        raise NotImplementedError


class Receiver(_LoopbackServer):
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.overlaps: list[str] = []
        self._scripts: dict[str, list[Reply]] = {}
        self._defaults: dict[str, Reply] = {}
        self._in_flight: dict[str, int] = {}
        # The most requests a path had in progress at once.
        self.peak: dict[str, int] = {}
        # (path, object id) whenever two requests about one object (`data._id`) overlapped.
        self.object_overlaps: list[tuple[str, str]] = []
        self._objects_in_flight: dict[tuple[str, str], int] = {}
        self._refused: dict[tuple[str, str], Reply] = {}
        super().__init__()

    def script(self, path: str, *replies: Reply, then: Reply | None = None) -> None:
        """Answer `path` with `replies` in turn, then with `then` (200 by default)."""
        with self._lock:
            self._scripts[path] = list(replies)
            self._defaults[path] = then or Reply()

    def refuse_object(self, path: str, object_id: str, reply: Reply) -> None:
        """Answer every request to `path` about the object `object_id` (`data._id`) with `reply`."""
        with self._lock:
            self._refused[(path, object_id)] = reply

    def on(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.on(path)
            if len(received) >= count:
                return received
            time.sleep(0.02)
        raise AssertionError(f"{path}: {len(self.on(path))} requests after {timeout}s, expected {count}")

    def _object_enter(self, path: str, body: bytes) -> tuple[str, str] | None:
        try:
            data = json.loads(body).get("data")
        except (ValueError, AttributeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("_id"), str):
            return None
        key = (path, data["_id"])
        with self._lock:
            self._objects_in_flight[key] = self._objects_in_flight.get(key, 0) + 1
            if self._objects_in_flight[key] > 1:
                self.object_overlaps.append(key)
        return key

    def _object_leave(self, path: str, key: tuple[str, str] | None) -> None:
        """Called with the lock held."""
        if key is not None:
            self._objects_in_flight[key] -= 1

    def _next_reply(self, path: str, subject: tuple[str, str] | None = None) -> Reply:
        with self._lock:
            if subject in self._refused:
                return self._refused[subject]
            script = self._scripts.get(path)
            if script:
                return script.pop(0)
            return self._defaults.get(path, Reply())

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without this every keep-alive request stalls ~40 ms on a delayed ACK.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                path = self.path
                finished = False
                with receiver._lock:
                    receiver._in_flight[path] = receiver._in_flight.get(path, 0) + 1
                    receiver.peak[path] = max(receiver.peak.get(path, 0), receiver._in_flight[path])
                    if receiver._in_flight[path] > 1:
                        receiver.overlaps.append(path)
                subject = None
                try:
                    length = int(self.headers.get("Content-Length", 0))
                    body = self.rfile.read(length)
                    if len(body) < length:
                        return  # the sender died mid-request: nothing was delivered
                    subject = receiver._object_enter(path, body)
                    with receiver._lock:
                        receiver.requests.append(
                            Received(
                                path, body, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
                            )
                        )
                    reply = receiver._next_reply(path, subject)
                    if reply.delay:
                        time.sleep(reply.delay)
                    # Out of flight once the reply starts: the sender may go on as soon as it has it.
                    with receiver._lock:
                        receiver._in_flight[path] -= 1
                        receiver._object_leave(path, subject)
                        finished = True
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    if not finished:
                        with receiver._lock:
                            receiver._in_flight[path] -= 1
                            receiver._object_leave(path, subject)

            def log_message(self, format, *args) -> None:
                pass

        return Handler


@dataclass
class Drip:
    """A reply written slowly: `head` at once, then `chunk` every `every` seconds, until the
    sender goes away (or `give_up` seconds pass, so that a test that goes wrong still ends)."""

    head: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
    chunk: bytes = b"x"
    every: float = 0.2
    give_up: float = 60.0


@dataclass
class Exchange:
    """One request to a DrippingReceiver: when it arrived and when its sender went away."""

    path: str
    webhook_id: str
    started: float
    ended: float | None = None


class DrippingReceiver(_LoopbackServer):
    """A loopback receiver that answers every POST with a Drip: trickled headers, a body that
    trickles a byte at a time, or one that never ends.

    It notes the moment each sender goes away, and whenever two requests for one webhook-id
    were in flight at once.
    """

    def __init__(self, drip: Drip | None = None) -> None:
        self.drip = drip or Drip()
        self.exchanges: list[Exchange] = []
        self.overlaps: list[str] = []
        self._in_flight: dict[str, int] = {}
        self._stopping = threading.Event()
        super().__init__()

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return [Exchange(e.path, e.webhook_id, e.started, e.ended) for e in self.exchanges]

    def wait_until_ended(self, count: int, timeout: float = 60.0) -> list[Exchange]:
        """Wait for `count` requests whose senders have gone away."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = [e for e in self.snapshot() if e.ended is not None]
            if len(ended) >= count:
                return ended
            time.sleep(0.02)
        raise AssertionError(f"{len(self.snapshot())} requests, not {count} ended, after {timeout}s")

    def stop(self) -> None:
        self._stopping.set()  # ends every drip, so that server_close() can join its threads
        super().stop()

    def _begin(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
            count = self._in_flight.get(exchange.webhook_id, 0) + 1
            self._in_flight[exchange.webhook_id] = count
            if count > 1:
                self.overlaps.append(exchange.webhook_id)

    def _end(self, exchange: Exchange) -> None:
        with self._lock:
            exchange.ended = time.monotonic()
            self._in_flight[exchange.webhook_id] -= 1

    def _drip(self, connection: socket.socket, wfile) -> None:
        """Write the drip until the sender leaves; returns as soon as it has."""
        drip = self.drip
        wfile.write(drip.head)
        give_up = time.monotonic() + drip.give_up
        while not self._stopping.is_set() and time.monotonic() < give_up:
            # A sender that gives up closes its socket, which makes ours readable (EOF) at once.
            readable, _, _ = select.select([connection], [], [], drip.every)
            if readable and not connection.recv(4096):
                return
            wfile.write(drip.chunk)

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            timeout = 10  # a sender that stops reading cannot hold a server thread for ever

            def do_POST(self) -> None:
                self.close_connection = True
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                exchange = Exchange(self.path, self.headers.get("webhook-id", ""), time.monotonic())
                receiver._begin(exchange)
                try:
                    receiver._drip(self.connection, self.wfile)
                except OSError:
                    pass  # the sender went away mid-write (reset, broken pipe) or stopped reading
                finally:
                    receiver._end(exchange)

            def log_message(self, format, *args) -> None:
                pass

        return Handler


class SilentResolver:
    """A DNS server on a loopback address that reads every query and never answers.

    A process whose /etc/resolv.conf names it (see tests/e2e/conftest.py) hangs in a real
    getaddrinfo, as it would behind a resolver that has gone away. Binding port 53 needs root.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lock = threading.Lock()
        self._socket = self._bound()
        self.address = self._socket.getsockname()[0]
        self._thread = threading.Thread(target=self._listen, daemon=True)

    @staticmethod
    def _bound() -> socket.socket:
        """Port 53 of a loopback address of its own (all of 127/8 is loopback on Linux): two
        test runs on one machine each get one."""
        for _ in range(50):
            address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((address, 53))
                return sock
            except OSError:
                sock.close()
        raise OSError("no free loopback address for the silent resolver")

    def start(self) -> "SilentResolver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._socket.close()

    def resolv_conf(self, path) -> str:
        # One try with a long timeout: glibc would otherwise give up (and fail fast) before
        # the attempt's deadline, and the test would not see a hang.
        path.write_text(f"nameserver {self.address}\noptions timeout:30 attempts:1\n")
        return str(path)

    def queried(self) -> list[str]:
        with self._lock:
            return list(self.names)

    def _listen(self) -> None:
        while True:
            try:
                packet, _ = self._socket.recvfrom(4096)
            except OSError:  # closed by stop()
                return
            with self._lock:
                self.names.append(_question_name(packet))


def _question_name(packet: bytes) -> str:
    labels, at = [], 12  # the question follows the 12-byte header
    while at < len(packet) and packet[at]:
        length = packet[at]
        labels.append(packet[at + 1 : at + 1 + length].decode("ascii", "replace"))
        at += 1 + length
    return ".".join(labels)
