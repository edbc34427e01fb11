"""A fault-injecting HTTP proxy for the reliability suites, between the teller client and a real service.

It listens on a free loopback port (kept across "down" periods, so the client's URL never
changes), reads each HTTP/1.1 request, counts it per method and path, and applies the current
Fault to the requests it matches; everything else is forwarded to the service process unchanged.
The fault can be switched while the proxy runs, from the test's thread.

Below the proxy: what the network suites share (test_network_*.py import it): the service process,
a teller driving the client core through the proxy, and the checks that nothing was allowed
unscreened, lost or duplicated, read from the client's audit log and the service's own database.
"""

import contextlib
import dataclasses
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, BinaryIO, TypeVar

import pytest
from sqlalchemy import Row, select

from screening_service.database import make_engine, read_setting
from screening_service.schema import acknowledgements, audit_records, screenings
from screening_service.security import customer_key
from teller_client import credentials
from teller_client.audit import AuditStore
from teller_client.contract import ScreeningResult, SessionGrant
from teller_client.desk import Desk
from teller_client.runtime import Runtime, open_runtime
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.settings import Settings, load_settings
from teller_client.workflow import CounterSession, Customer, FaceException, Remittance, State
from tests.service.conftest import RunningService, new_resident_id, seeded_service

T = TypeVar("T")

# Sockets of the proxy never wait longer than this; nothing in a test waits this long.
SOCKET_TIMEOUT_SECONDS = 30.0
# How often the accept loop and hung connections look at the proxy's state.
POLL_SECONDS = 0.02
# How long set_fault() waits for the listener to close or open again.
STATE_CHANGE_SECONDS = 5.0

CAPTIVE_PORTAL_PAGE = (
    b"<!DOCTYPE html><html><head><title>Branch Wi-Fi</title></head>"
    b"<body><h1>Please sign in to continue</h1><form method=post action=/login>"
    b"<input name=user><input name=password type=password></form></body></html>"
)


class Mode(StrEnum):
    PASS = "pass"
    """Forward the request and return the service's answer unchanged."""
    DOWN = "down"
    """Nothing listens: every connection is refused (open ones are cut)."""
    HANG = "hang"
    """Accept and read the request, never answer a byte (the request is not forwarded)."""
    DELAY = "delay"
    """Forward; hold the whole answer back for `seconds`, then send it."""
    TRICKLE = "trickle"
    """Forward; send the answer one byte every `seconds`."""
    RESET = "reset"
    """Forward and read the service's whole answer (the work is done), then reset the client's connection."""
    STATUS = "status"
    """Answer `status` (with `Retry-After` when given) without forwarding."""
    TRUNCATE = "truncate"
    """Forward; send the head and half of the body (Content-Length says more), then close."""
    NOT_JSON = "not_json"
    """Answer 200 with an HTML captive-portal page without forwarding."""


@dataclass(frozen=True)
class Fault:
    """What the proxy does to the requests it matches; `times` limits it to the first N of them."""

    mode: Mode = Mode.PASS
    path: str = ""  # only requests whose path starts with this ("" matches all)
    method: str = ""  # only this method ("" matches all)
    times: int | None = None  # the first N matching requests, then pass through; None: every one
    status: int = 503
    retry_after: str | None = None
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path) and (not self.method or method == self.method)


PASS = Fault()


@dataclass(frozen=True)
class Exchange:
    """One request the proxy received, and what it did with it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    mode: Mode  # the fault applied (PASS when none)
    upstream_status: int | None = None  # the service's status, when it was forwarded and answered

    def body_field(self, name: str) -> str:
        """One top-level field of the JSON request body, as text."""
        decoded = json.loads(self.body)
        assert isinstance(decoded, dict)
        return str(decoded[name])


@dataclass
class _Message:
    raw: bytes
    start_line: str
    headers: dict[str, str]
    head: bytes
    body: bytes


def _read_message(stream: BinaryIO, *, response_to: str | None = None) -> _Message | None:
    """One HTTP/1.1 request, or one response to a request of method `response_to`; None at a clean end."""
    lines: list[bytes] = []
    while True:
        line = stream.readline(65537)
        if not line:
            if lines:
                raise ConnectionError("stream ended inside a message head")
            return None
        if line in (b"\r\n", b"\n"):
            break
        lines.append(line)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    start_line = lines[0].decode("latin-1").strip()
    no_body = False
    if response_to is not None:
        status = start_line.split()[1]
        no_body = response_to == "HEAD" or status in ("204", "304") or status.startswith("1")
    body = b""
    if not no_body:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise ConnectionError("chunked bodies are not used by the client or the service")
        length = int(headers.get("content-length", "0"))
        body = stream.read(length)
        if len(body) != length:
            raise ConnectionError("stream ended inside a message body")
    head = b"".join(lines) + b"\r\n"
    return _Message(head + body, start_line, headers, head, body)


def _reset(connection: socket.socket) -> None:
    """Close with an RST instead of a FIN: the peer's next read fails with "connection reset"."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _synthetic(status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> bytes:
    reasons = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
    lines = [f"HTTP/1.1 {status} {reasons.get(status, 'Status')}", f"Content-Type: {content_type}"]
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class _State:
    fault: Fault = PASS
    applied: int = 0
    exchanges: list[Exchange] = field(default_factory=list)


class FaultProxy:
    """`FaultProxy(service_url)`: `.url` for the client, `.set_fault(...)` to change what happens."""

    def __init__(self, upstream_url: str) -> None:
        host, _, port = upstream_url.removeprefix("http://").rstrip("/").partition(":")
        self.upstream = (host, int(port))
        self._lock = threading.Lock()
        self._state = _State()
        self._closing = threading.Event()
        self._open: set[socket.socket] = set()
        self._handlers: list[threading.Thread] = []
        self._listener: socket.socket | None = self._listen(0)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        # The accept loop alone opens and closes the listener, so no thread waits on a closed socket.
        self._want_up = True
        self._is_up = threading.Event()
        self._is_up.set()
        self._is_down = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, name="fault-proxy-accept")
        self._acceptor.start()

    # ------------------------------------------------------------ control

    def set_fault(self, fault: Fault) -> None:
        """Apply `fault` to the requests that arrive from now on (its `times` count starts again)."""
        up = fault.mode is not Mode.DOWN
        with self._lock:
            self._state.fault = fault
            self._state.applied = 0
            self._want_up = up
            if up and self._listener is None:
                self._is_up.clear()
            if not up:
                if self._listener is not None:
                    self._is_down.clear()
                # Connections already open would let requests through: cut them, as a dead host would.
                for connection in self._open:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
        if not (self._is_up if up else self._is_down).wait(STATE_CHANGE_SECONDS):
            raise RuntimeError(f"the proxy did not go {'up' if up else 'down'}")

    def clear(self) -> None:
        """Back to forwarding everything."""
        self.set_fault(PASS)

    @property
    def fault(self) -> Fault:
        with self._lock:
            return self._state.fault

    @property
    def applied(self) -> int:
        """How many requests the current fault was applied to."""
        with self._lock:
            return self._state.applied

    def exchanges(self, method: str = "", path: str = "") -> list[Exchange]:
        """The requests received, in order; optionally only `method` ones whose path starts with `path`."""
        with self._lock:
            every = list(self._state.exchanges)
        return [e for e in every if e.path.startswith(path) and (not method or e.method == method)]

    def count(self, method: str = "", path: str = "") -> int:
        return len(self.exchanges(method, path))

    def counts(self) -> Counter[tuple[str, str]]:
        """Requests received per (method, path)."""
        return Counter((e.method, e.path) for e in self.exchanges())

    def close(self) -> None:
        self._closing.set()
        self._acceptor.join()
        with self._lock:
            for connection in self._open:  # wakes handlers waiting on a client
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            handlers = list(self._handlers)
        for handler in handlers:
            handler.join()

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ listening

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Rebinding the same port after a "down" period must not wait for TIME_WAIT to pass.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.settimeout(POLL_SECONDS)
        return listener

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            with self._lock:
                if self._want_up and self._listener is None:
                    self._listener = self._listen(self.port)
                    self._is_up.set()
                elif not self._want_up and self._listener is not None:
                    self._listener.close()
                    self._listener = None
                    self._is_down.set()
                listener = self._listener
            if listener is None:
                self._closing.wait(POLL_SECONDS)
                continue
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(SOCKET_TIMEOUT_SECONDS)
            handler = threading.Thread(target=self._handle, args=(connection,), name="fault-proxy-conn")
            with self._lock:
                self._open.add(connection)
                self._handlers = [each for each in self._handlers if each.is_alive()]
                self._handlers.append(handler)
            handler.start()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    # ------------------------------------------------------------ one client connection

    def _handle(self, client: socket.socket) -> None:
        try:
            with client.makefile("rb") as from_client:
                while not self._closing.is_set():
                    request = _read_message(from_client)
                    if request is None or not self._answer(client, request):
                        return
        except (OSError, ValueError):  # ConnectionError is an OSError
            pass  # the client went away, or the test cut the connection
        finally:
            with self._lock:
                self._open.discard(client)
            client.close()

    def _take(self, method: str, path: str) -> Fault:
        """The fault for this request (PASS when it does not apply), counted against `times`."""
        with self._lock:
            fault = self._state.fault
            if fault.mode is Mode.PASS or not fault.matches(method, path):
                return PASS
            if fault.times is not None and self._state.applied >= fault.times:
                return PASS
            self._state.applied += 1
            return fault

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._state.exchanges.append(exchange)

    def _answer(self, client: socket.socket, request: _Message) -> bool:
        """Deal with one request; False when the client's connection is finished."""
        method, path = request.start_line.split()[:2]
        fault = self._take(method, path)
        mode = fault.mode

        def record(upstream_status: int | None = None) -> None:
            self._record(Exchange(method, path, request.headers, request.body, mode, upstream_status))

        if mode is Mode.DOWN:  # arrived on a connection that was open just before the port closed
            record()
            _reset(client)
            return False
        if mode is Mode.HANG:
            record()
            self._hang(client)
            return False
        if mode is Mode.STATUS:
            record()
            problem = {"type": "about:blank", "title": "injected fault", "status": fault.status}
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            client.sendall(
                _synthetic(fault.status, json.dumps(problem).encode(), "application/problem+json", extra)
            )
            return True
        if mode is Mode.NOT_JSON:
            record()
            client.sendall(_synthetic(200, CAPTIVE_PORTAL_PAGE, "text/html; charset=utf-8"))
            return True

        response = self._forward(request.raw, method)
        if response is None:  # the service is not there: the client's connection is cut
            record()
            _reset(client)
            return False
        record(int(response.start_line.split()[1]))
        if mode is Mode.RESET:
            _reset(client)
            return False
        if mode is Mode.TRUNCATE:
            cut = response.body[: len(response.body) // 2]
            client.sendall(response.head + cut)
            return False
        if mode is Mode.DELAY:
            if self._closing.wait(fault.seconds):
                return False
            client.sendall(response.raw)
            return True
        if mode is Mode.TRICKLE:
            for index in range(len(response.raw)):
                client.sendall(response.raw[index : index + 1])
                if self._closing.wait(fault.seconds):
                    return False
            return True
        client.sendall(response.raw)
        return True

    def _forward(self, raw: bytes, method: str) -> _Message | None:
        """Send the request to the service on a new connection and read its whole answer."""
        try:
            with (
                socket.create_connection(self.upstream, timeout=SOCKET_TIMEOUT_SECONDS) as upstream,
                upstream.makefile("rb") as from_upstream,
            ):
                upstream.sendall(raw)
                return _read_message(from_upstream, response_to=method)
        except OSError:
            return None

    def _hang(self, client: socket.socket) -> None:
        """Say nothing until the client gives up or the proxy closes."""
        client.settimeout(POLL_SECONDS)
        while not self._closing.is_set():
            try:
                if not client.recv(65536):
                    return
            except TimeoutError:
                continue


# ---------------------------------------------------------------- the suites' service, counter and checks

# Short timeouts keep the suites fast; every fault is held to this budget (plus BOUND_MARGIN).
CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
RETRY_BUDGET_SECONDS = 2.0
# What a call may take beyond its budget: the last attempt's clean-up and thread hand-over.
# Measured at under 0.1 s on a 2-core machine with other suites running; 0.5 s leaves room.
BOUND_MARGIN_SECONDS = 0.5
FAIL_CLOSED_BOUND_SECONDS = RETRY_BUDGET_SECONDS + BOUND_MARGIN_SECONDS
DELIVERY_SECONDS = 30.0


@dataclass(frozen=True)
class Payee:
    account: str
    name: str


CLEAN = Payee("6212260200001234562", "王小明")  # allow
POLICE_LISTED = Payee("6222000011112222337", "刘洋")  # block
PEER_REPORTED = Payee("6214830012341234120", "周杰")  # hold
WARN_PURPOSE = "刷单返利"  # a task-scam purpose: warn
FINAL_ACTIONS = ("cancel", "proceed", "delay_arrival")


def client_settings(service_url: str, **changes: Any) -> Settings:
    """The client's settings, pointed at `service_url`, with the suites' short timeouts."""
    loaded = load_settings({"service_url": service_url, "language": "en"})
    return dataclasses.replace(
        loaded,
        connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds=READ_TIMEOUT_SECONDS,
        retry_budget_seconds=RETRY_BUDGET_SECONDS,
        minimum_reading_seconds=0,
        **changes,
    )


class ServiceDb:
    """Reads the service's own database, to count what it stored (never written to by the suites)."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self._pepper = read_setting(self.engine, "customer_key_pepper")

    def close(self) -> None:
        self.engine.dispose()

    def screenings_of(self, customer: Customer) -> list[Row[Any]]:
        key = customer_key(self._pepper, customer.id_type, customer.id_number)
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    select(screenings.c.screening_id, screenings.c.decision, screenings.c.final_action).where(
                        screenings.c.customer_key == key
                    )
                )
            )

    def acknowledgements_of(self, screening_id: str) -> list[Row[Any]]:
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    select(
                        acknowledgements.c.client_event_id,
                        acknowledgements.c.action,
                        acknowledgements.c.supervisor_id,
                    ).where(acknowledgements.c.screening_id == screening_id)
                )
            )

    def audit_hashes(self, terminal_id: str, record_ids: Iterable[str]) -> dict[str, str]:
        """record_id -> hash of the audit records the service holds among `record_ids`."""
        wanted = list(record_ids)
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                rows = connection.execute(
                    select(audit_records.c.record_id, audit_records.c.record_hash).where(
                        audit_records.c.terminal_id == terminal_id,
                        audit_records.c.record_id.in_(wanted[start : start + 500]),
                    )
                )
                found.update({row.record_id: row.record_hash for row in rows})
        return found


@dataclass
class Teller:
    """A teller at a counter: the client core (a Desk over a Runtime), reaching the service by the proxy."""

    desk: Desk
    proxy: FaultProxy
    db: ServiceDb
    terminal_id: str
    sessions: list[CounterSession] = field(default_factory=list)

    @property
    def runtime(self) -> Runtime:
        return self.desk.runtime

    def submitted(
        self, payee: Payee = CLEAN, purpose: str = "房租", amount: str = "3000.00"
    ) -> CounterSession:
        """A new customer, identified (no camera: a second document), whose remittance is submitted."""
        session = self.desk.new_customer()
        session.identify(Customer("resident_id", new_resident_id(1981, 5, 17), "赵敏", date(1981, 5, 17)))
        session.face_exception(FaceException.NO_CAMERA, "联网核查身份证，人证一致")
        session.submit(
            Remittance(
                "6222020200112233446",
                payee.account,
                payee.name,
                "中国工商银行",
                Decimal(amount),
                "CNY",
                purpose,
            )
        )
        self.sessions.append(session)
        return session

    def screened(self, payee: Payee = CLEAN, purpose: str = "房租") -> tuple[CounterSession, ScreeningResult]:
        session = self.submitted(payee, purpose)
        result = self.desk.screen(session)
        assert isinstance(result, ScreeningResult), result
        return session, result

    def deliver_all(self) -> None:
        """Run the outbox until the offline queue and the audit backlog are empty (bounded)."""
        deadline = time.monotonic() + DELIVERY_SECONDS
        while True:
            report = self.runtime.delivery.run_once()
            if report.failure is None and report.backlog == 0 and len(self.runtime.offline_queue) == 0:
                return
            assert time.monotonic() < deadline, f"the outbox did not empty: {report}"


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    outcome = call()
    return outcome, time.monotonic() - started


def answers_to(result: ScreeningResult) -> dict[str, str]:
    return {question.id: "客户称否" for question in result.questions}


def _payloads(store: AuditStore) -> list[tuple[str, dict[str, Any]]]:
    return [(record.kind, json.loads(record.payload)) for record in store.records()]


def assert_fail_closed(
    session: CounterSession, outcome: object, elapsed: float, reasons: Iterable[FailureReason]
) -> ServiceFailure:
    """The screening failed closed, within the bound, for one of the expected reasons."""
    assert isinstance(outcome, ServiceFailure), f"expected a failure, got {outcome!r}"
    allowed = set(reasons)
    assert outcome.reason in allowed, f"{outcome.reason} not in {allowed}: {outcome.detail}"
    assert elapsed <= FAIL_CLOSED_BOUND_SECONDS, f"failed closed after {elapsed:.2f} s"
    assert session.state is State.UNAVAILABLE and session.result is None
    assert session.last_failure == outcome
    return outcome


def assert_never_allowed_unscreened(teller: Teller) -> None:
    """No remittance went ahead without a screening result the service gave for it."""
    records = _payloads(teller.runtime.audit)
    results: dict[str, set[str]] = {}
    for kind, payload in records:
        if kind == "screening_result":
            results.setdefault(payload["session_id"], set()).add(payload["screening_id"])
        if kind == "acknowledgement" and payload["action"] in ("proceed", "delay_arrival"):
            seen = results.get(payload["session_id"], set())
            assert payload["screening_id"] in seen, f"{payload['action']} without a screening: {payload}"
    for session in teller.sessions:
        if session.result is None:
            assert session.state not in (State.ACKNOWLEDGE, State.DONE), session.state
            assert session.session_id not in results, "a result was recorded for an unscreened session"
        else:
            assert session.result.screening_id in results.get(session.session_id, set())


def assert_nothing_lost(teller: Teller) -> None:
    """After delivery: every record, acknowledgement and screening is at the service, each once."""
    teller.deliver_all()
    store = teller.runtime.audit
    assert store.verify().ok, store.verify()
    local = store.records()
    held = teller.db.audit_hashes(teller.terminal_id, (record.record_id for record in local))
    missing = [record.kind for record in local if held.get(record.record_id) != record.hash]
    assert not missing, f"audit records not (or differently) at the service: {missing}"

    records = _payloads(store)
    recorded_events = {
        payload["client_event_id"]: payload for kind, payload in records if kind == "acknowledgement"
    }
    offline_results = {
        payload["session_id"]: payload["screening_id"]
        for kind, payload in records
        if kind == "offline_screening_result"
    }
    assert_never_allowed_unscreened(teller)
    for session in teller.sessions:
        assert session.customer is not None
        stored = teller.db.screenings_of(session.customer)
        screening_id = (
            session.result.screening_id if session.result else offline_results.get(session.session_id)
        )
        if screening_id is None:
            # Never answered: the service may hold it (a lost answer) but only once.
            assert len(stored) <= 1, f"{len(stored)} screenings for one unanswered remittance"
            continue
        assert [row.screening_id for row in stored] == [screening_id], (
            f"the service holds {len(stored)} screenings for one remittance"
        )
        acks = teller.db.acknowledgements_of(screening_id)
        finals = [ack for ack in acks if ack.action in FINAL_ACTIONS]
        assert len(finals) <= 1, f"{len(finals)} final acknowledgements for one screening"
        for ack in acks:  # the service holds nothing the counter does not know it decided
            assert ack.client_event_id in recorded_events, f"the counter lost acknowledgement {ack}"
        local_finals = [
            payload
            for payload in recorded_events.values()
            if payload["session_id"] == session.session_id and payload["action"] in FINAL_ACTIONS
        ]
        assert len(local_finals) <= 1, "the counter recorded two final decisions for one remittance"
        for payload in local_finals:
            delivered = payload["client_event_id"] in {ack.client_event_id for ack in acks}
            # Only a cancel may be kept locally; it then reached the service with the audit records.
            assert delivered or payload["action"] == "cancel", f"acknowledgement lost: {payload}"
            assert stored[0].final_action == (payload["action"] if delivered else None)


# ---------------------------------------------------------------- fixtures
# A suite imports the *_fixture functions; pytest knows them by their short names.


@pytest.fixture(scope="module", name="network_service")
def network_service_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The screening service as its own process (SQLite, demo data), one per test module."""
    folder = tmp_path_factory.mktemp("network-service")
    yield from seeded_service(f"sqlite:///{folder / 'screening.db'}", folder)


@pytest.fixture(name="proxy")
def proxy_fixture(network_service: RunningService) -> Iterator[FaultProxy]:
    with FaultProxy(network_service.url) as running:
        yield running


@contextlib.contextmanager
def teller_at(service: RunningService, proxy: FaultProxy) -> Iterator[Teller]:
    """T1001 signed in at the counter terminal, through the proxy (in the data folder of the test)."""
    credentials.store_terminal_key(proxy.url, service.seed.counter_key)
    runtime = open_runtime(client_settings(proxy.url), start_delivery=False)
    db = ServiceDb(service.process.database_url)
    try:
        desk = Desk(runtime)
        assert isinstance(desk.sign_in("T1001", "teller-demo-1"), SessionGrant)
        yield Teller(desk, proxy, db, service.seed.counter_terminal_id)
    finally:
        runtime.close()
        db.close()


@pytest.fixture(name="teller")
def teller_fixture(network_service: RunningService, proxy: FaultProxy) -> Iterator[Teller]:
    with teller_at(network_service, proxy) as teller:
        yield teller
