"""Fixtures for the service client: the real service, and small loopback servers that misbehave.

Every server here listens on 127.0.0.1 only, runs in threads, and is shut down (sockets closed,
threads joined) when its test ends.
"""

import contextlib
import json
import selectors
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from teller_client.service_client import ServiceClient
from teller_client.settings import load_settings
from tests.service.conftest import (
    RunningService,
    free_port,
    service,  # noqa: F401 - the same real-service fixture, re-exported
)

CONNECTION_TIMEOUT_SECONDS = 10  # for the servers' own sockets: nothing in a test waits this long


MakeClient = Callable[..., ServiceClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    """`make_client(url, terminal_key, retry_budget_seconds=2, ...)`; all clients are closed at the end."""
    clients: list[ServiceClient] = []

    def make(url: str, terminal_key: str = "cgk_test_key", **settings: float) -> ServiceClient:
        loaded = load_settings(
            command_line={name: str(value) for name, value in settings.items()},
            environ={},
            site_file=tmp_path / "none.toml",
            user_file=tmp_path / "none2.toml",
        )
        client = ServiceClient(url, terminal_key, loaded)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# ---------------------------------------------------------------- HTTP message reading


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


def _read_head(stream: BinaryIO) -> list[bytes] | None:
    """The start line and header lines of one HTTP message; None at a clean end of stream."""
    lines: list[bytes] = []
    while True:
        line = stream.readline(65537)
        if not line:
            if lines:
                raise ConnectionError("stream ended inside a message head")
            return None
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line)


def _header_map(lines: list[bytes]) -> dict[str, str]:
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def _read_message(
    stream: BinaryIO, *, response_to: str | None = None
) -> tuple[bytes, list[bytes], bytes] | None:
    """(raw bytes, head lines, body) of one request, or of one response to method `response_to`."""
    lines = _read_head(stream)
    if lines is None:
        return None
    headers = _header_map(lines)
    body = b""
    no_body = response_to is not None and (
        response_to == "HEAD"
        or lines[0].split()[1] in (b"204", b"304")
        or lines[0].split()[1].startswith(b"1")
    )
    if not no_body:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise ConnectionError("chunked bodies are not needed by these tests")
        length = int(headers.get("content-length", "0"))
        body = stream.read(length)
        if len(body) != length:
            raise ConnectionError("stream ended inside a message body")
    return b"".join(lines) + b"\r\n" + body, lines, body


# ---------------------------------------------------------------- a scripted HTTP server


@dataclass
class Reply:
    status: int
    body: Any = None  # bytes as they are; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedServer:
    """Answers each request with the next scripted Reply (the last one repeats) and records requests."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(500, b"nothing scripted")]
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            timeout = CONNECTION_TIMEOUT_SECONDS

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                reply = owner._record(
                    Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.status != 204:
                    if "Content-Type" not in reply.headers:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.status != 204:
                    self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer  # noqa: N815 - the names http.server dispatches to

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = False
            block_on_close = True  # server_close() joins the handler threads

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies = list(replies)
            self.requests.clear()

    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def fake_service() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------- a server that never answers


class HangingServer:
    """Accepts connections and reads what comes, but never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._received: dict[socket.socket, bytearray] = {}
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        connection, _ = self._listener.accept()
                        connection.setblocking(False)
                        with self._lock:
                            self._received[connection] = bytearray()
                        selector.register(connection, selectors.EVENT_READ)
                        continue
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    if not data:  # the client gave up: forget the connection, keep its bytes
                        selector.unregister(sock)
                    with self._lock:
                        self._received[sock] += data

    def connections(self) -> int:
        with self._lock:
            return len(self._received)

    def request_headers(self) -> list[dict[str, str]]:
        """The headers of each request received, in order of connection."""
        with self._lock:
            heads = [bytes(data).split(b"\r\n\r\n", 1)[0] for data in self._received.values()]
        return [_header_map([line + b"\r\n" for line in head.split(b"\r\n")]) for head in heads if head]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self._received:
            connection.close()
        self._listener.close()


@pytest.fixture
def hanging_service() -> Iterator[HangingServer]:
    server = HangingServer()
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------- a proxy that loses one answer


class LosingProxy:
    """A TCP proxy in front of the real service that loses the answer to the first screening.

    It forwards that request, reads the service's complete answer (so the service has done its
    work), then closes the client's connection without returning it. Everything else passes.
    """

    def __init__(self, upstream_url: str) -> None:
        host, _, port = upstream_url.removeprefix("http://").partition(":")
        self.upstream = (host, int(port))
        self.requests: list[Recorded] = []
        self.lost: list[bytes] = []  # the answers the client never saw
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):  # the client or the test ended the connection
                    owner._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = False
            block_on_close = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(CONNECTION_TIMEOUT_SECONDS)
        with self._lock:
            self._open.add(client)
        try:
            with (
                socket.create_connection(self.upstream, timeout=CONNECTION_TIMEOUT_SECONDS) as upstream,
                client.makefile("rb") as from_client,
                upstream.makefile("rb") as from_upstream,
            ):
                while True:
                    request = _read_message(from_client)
                    if request is None:
                        return
                    raw, lines, body = request
                    method, path = lines[0].decode("latin-1").split()[:2]
                    recorded = Recorded(method, path, _header_map(lines), body)
                    upstream.sendall(raw)
                    response = _read_message(from_upstream, response_to=method)
                    if response is None:
                        return
                    with self._lock:
                        self.requests.append(recorded)
                        lose = method == "POST" and path == "/v1/screenings" and not self.lost
                        if lose:
                            self.lost.append(response[2])
                    if lose:
                        return  # close the client's connection with the answer unsent
                    client.sendall(response[0])
        finally:
            with self._lock:
                self._open.discard(client)

    def close(self) -> None:
        with self._lock:
            for connection in self._open:  # wake handlers waiting on an idle keep-alive connection
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def losing_proxy(service: RunningService) -> Iterator[LosingProxy]:  # noqa: F811 - the fixture
    proxy = LosingProxy(service.url)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback port where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def unreachable_url() -> Iterator[str]:
    """A port whose accept queue is full, so new connections are never completed (connect timeout)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    filler = socket.create_connection(listener.getsockname(), timeout=1)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        filler.close()
        listener.close()
