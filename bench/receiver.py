"""A loopback receiver in its own process: answers every POST with 200 at once.

`?size=N` in the URL makes the reply body N bytes long. Each POST is
recorded as (path, seq, arrival time on CLOCK_MONOTONIC, which all
processes of the machine share); seq is the number at the end of
`data.name` in the JSON body. `GET /_stats` returns the records,
`GET /_count?path=` how many arrived for a path and when the last did,
`GET /_flight` the totals only (requests arrived, delayed ones ended, in progress now, the
peak of all paths together, how many senders hung up), `POST /_reset` forgets them.

`?delay=MS` makes the reply wait MS milliseconds (each request on its own thread, so many
wait at once). Such a request is also recorded as a span (path, `data._id`, seq, arrival,
reply), and the receiver counts the requests of each path in progress at once (the peak) and
notes every (path, object) that had two requests in progress at once: `GET /_spans`. A request
stops counting as in progress just before its reply is written, so the sender cannot have
answered it yet, and the peak never counts one too many. `peak_all` is the peak of all such
requests in progress at once, whatever their path.

A delayed request stops waiting early when the sender hangs up (its attempt deadline passed):
it then stops counting as in progress, its span ends there, and no reply is written. So a
receiver that "never answers" is `?delay=` longer than the sender's timeout, and its thread is
still bounded by the delay.

    python -m bench.receiver   # prints "PORT <n>" and serves until killed
"""

import json
import re
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SEQ = re.compile(rb'"name":"[^"]*?(\d+)"')
SUBJECT = re.compile(rb'"data":\{"_id":"([^"]+)"')
OK = b'{"ok":true}'


class State:
    def __init__(self) -> None:
        self.records: list[tuple[str, int | None, float]] = []
        self.counts: dict[str, list] = {}
        self.bodies: dict[int, bytes] = {}
        self.lock = threading.Lock()
        # Requests with ?delay=: (path, object, seq, arrival, reply), in progress, peak, overlaps.
        self.spans: list[tuple[str, str | None, int | None, float, float]] = []
        self.in_flight: dict[str, int] = {}
        self.objects_in_flight: dict[tuple[str, str], int] = {}
        self.peak: dict[str, int] = {}
        self.all_in_flight = 0
        self.peak_all = 0
        self.hung_up = 0  # delayed requests whose sender left before the reply
        self.overlaps: list[tuple[str, str]] = []

    def clear(self) -> None:
        """Called with the lock held."""
        self.records.clear()
        self.counts.clear()
        self.spans.clear()
        self.in_flight.clear()
        self.objects_in_flight.clear()
        self.peak.clear()
        self.all_in_flight = self.peak_all = self.hung_up = 0
        self.overlaps.clear()


def handler_class(state: State):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without this every keep-alive request stalls ~40 ms on a delayed ACK.
        disable_nagle_algorithm = True

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            at = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            url = urlsplit(self.path)
            if url.path == "/_reset":
                with state.lock:
                    state.clear()
                return self._reply(200, OK)
            match = SEQ.search(body)
            seq = int(match.group(1)) if match else None
            with state.lock:
                state.records.append((url.path, seq, at))
                entry = state.counts.setdefault(url.path, [0, 0.0])
                entry[0] += 1
                entry[1] = at
            query = parse_qs(url.query) if url.query else {}
            delay = float(query["delay"][0]) / 1000 if "delay" in query else None
            if delay is not None and not self._wait(url.path, body, seq, at, delay):
                self.close_connection = True  # the sender hung up: nobody to answer
                return
            size = int(query.get("size", ["0"])[0])
            if size:
                reply = state.bodies.get(size)
                if reply is None:
                    reply = state.bodies.setdefault(size, b"x" * size)
            else:
                reply = OK
            try:
                self._reply(200, reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the sender stopped reading a capped body

        def _sender_left(self, delay: float) -> bool:
            """Wait `delay` seconds, or less if the sender closes the connection (True then)."""
            deadline = time.monotonic() + delay
            while (left := deadline - time.monotonic()) > 0:
                readable, _, _ = select.select([self.connection], [], [], left)
                if not readable:
                    return False
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                except OSError:
                    return True
                time.sleep(min(left, 0.01))  # a pipelined request (never sent by the engine)
            return False

        def _wait(self, path: str, body: bytes, seq: int | None, at: float, delay: float) -> bool:
            """Hold the request `delay` seconds; False when the sender hung up meanwhile."""
            match = SUBJECT.search(body)
            subject = match.group(1).decode() if match else None
            with state.lock:
                state.in_flight[path] = state.in_flight.get(path, 0) + 1
                state.peak[path] = max(state.peak.get(path, 0), state.in_flight[path])
                state.all_in_flight += 1
                state.peak_all = max(state.peak_all, state.all_in_flight)
                if subject is not None:
                    key = (path, subject)
                    state.objects_in_flight[key] = state.objects_in_flight.get(key, 0) + 1
                    if state.objects_in_flight[key] > 1:
                        state.overlaps.append(key)
            left = self._sender_left(delay) if delay > 0 else False
            with state.lock:
                state.in_flight[path] -= 1
                state.all_in_flight -= 1
                state.hung_up += left
                if subject is not None:
                    state.objects_in_flight[(path, subject)] -= 1
                state.spans.append((path, subject, seq, at, time.monotonic()))
            return not left

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with state.lock:
                if url.path == "/_spans":
                    payload = {
                        "spans": state.spans,
                        "peak": state.peak,
                        "overlaps": state.overlaps,
                        "peak_all": state.peak_all,
                        "in_flight_all": state.all_in_flight,
                        "hung_up": state.hung_up,
                    }
                elif url.path == "/_flight":
                    payload = {
                        "arrived": len(state.records),
                        "ended": len(state.spans),
                        "in_flight_all": state.all_in_flight,
                        "peak_all": state.peak_all,
                        "hung_up": state.hung_up,
                    }
                elif url.path == "/_count":
                    path = parse_qs(url.query)["path"][0]
                    count, last = state.counts.get(path, [0, 0.0])
                    payload = {"count": count, "last": last}
                else:
                    payload = {"records": state.records}
            self._reply(200, json.dumps(payload).encode())

        def log_message(self, format, *args) -> None:
            pass

    return Handler


class Server(ThreadingHTTPServer):
    """Also the tests' loopback server (tests/receiver.py)."""

    daemon_threads = True
    # socketserver listens with a backlog of 5: with more connections opening at once (object
    # mode sends up to 16) a busy machine drops SYNs, and each dropped one costs a 1 s resend.
    request_queue_size = 128


def main() -> None:
    state = State()
    server = Server(("127.0.0.1", 0), handler_class(state))
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
