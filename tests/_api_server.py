"""A local HTTP server that plays the Performance Report API, for the client tests.

Each test scripts the replies (status, body, headers, a delay, a cut-off body) and reads back
the request targets the server saw, exactly as they arrived on the wire.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, quote_plus

# A password with everything that can go wrong in a URL, a log or a repr: a space, '&', '=',
# '%', '+', '/', '?', '#', both quotes, a backslash and a non-ASCII letter. "Tr1cky" is kept
# by every encoding (letters and digits are never escaped), so its absence proves no form of
# the password leaked.
PASSWORD = "Tr1cky &pass=w%rd+\u00e4/?#'\"\\"
MARKER = "Tr1cky"
# the password as the client must put it on the wire, written out by hand: every byte except
# letters and digits percent-encoded, space as %20 and 'ä' as its UTF-8 bytes C3 A4
PASSWORD_ON_WIRE = "Tr1cky%20%26pass%3Dw%25rd%2B%C3%A4%2F%3F%23%27%22%5C"


def leaked_forms(secret: str = PASSWORD) -> list[str]:
    """Every form of the secret a leak could take (raw, URL-encoded, escaped by repr)."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(secret.encode())[2:-1],
        PASSWORD_ON_WIRE if secret == PASSWORD else secret,
    }
    return sorted(forms | {f.lower() for f in forms})


def assert_no_secret(text: str, secret: str = PASSWORD) -> None:
    lowered = text.lower()
    if secret == PASSWORD:
        assert MARKER.lower() not in lowered, text
    for form in leaked_forms(secret):
        assert form.lower() not in lowered, (form, text)


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (cut short when the test ends)
    declared_length: int | None = None  # a Content-Length larger than the body: cut off
    trickle: float = 0.0  # seconds between chunks of 64 bytes (a server that never stalls)
    reason: str | None = None  # the status line's reason phrase (default: the standard one)


class FakeClock:
    """A clock that only moves when slept on: records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ApiServer:
    """The server: ``script(...)`` the replies, then read ``targets`` / ``queries``."""

    def __init__(self) -> None:
        self.replies: deque[Reply | Callable[[str], Reply]] = deque()
        self.default: Reply | Callable[[str], Reply] | None = None
        self.targets: list[str] = []
        self.on_request: Callable[[str], None] | None = None
        self.release = threading.Event()
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        server.handle_error = self._handle_error  # type: ignore[method-assign]
        self.server = server
        self.port = server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply | Callable[[str], Reply]) -> None:
        self.replies.extend(replies)

    @property
    def queries(self) -> list[str]:
        return [t.partition("?")[2] for t in self.targets]

    def _handle_error(self, request: object, client_address: object) -> None:
        import sys

        self.errors.append(sys.exc_info()[1])  # type: ignore[arg-type]

    def _next(self, target: str) -> Reply:
        with self._lock:
            self.targets.append(target)
            if self.on_request is not None:
                self.on_request(target)
            reply = self.replies.popleft() if self.replies else self.default
        if reply is None:
            return Reply(599, b"unscripted request")
        return reply(target) if callable(reply) else reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                reply = owner._next(self.path)
                if reply.delay and owner.release.wait(reply.delay):
                    return
                self.send_response(reply.status, reply.reason)
                length = reply.declared_length
                self.send_header(
                    "Content-Length", str(len(reply.body) if length is None else length)
                )
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.trickle:
                    for i in range(0, len(reply.body), 64):
                        self.wfile.write(reply.body[i : i + 64])
                        self.wfile.flush()
                        if owner.release.wait(reply.trickle):
                            return
                else:
                    self.wfile.write(reply.body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # the request line holds the password: keep it off stderr

        return Handler

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[ApiServer]:
        api = cls()
        thread = threading.Thread(
            target=api.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield api
        finally:
            api.release.set()
            api.server.shutdown()
            api.server.server_close()
            thread.join(timeout=10)
