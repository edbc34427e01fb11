"""Fuzz of the service's answers: the contract parsers, ServiceClient end to end, and CounterSession.

The seeds are real: a service process on demo data answers a session, an allow, a warn, a hold, a
block, a screening linked to a pre-screen, the pre-screen itself and the account lookups, and these
answers are captured once per module. Hypothesis then mutates them (keys dropped, wrong types, unknown
decisions, scores out of range, messages without zh-CN or en, extra keys, nulls, deep nesting, huge
strings) or replaces them with arbitrary JSON or bytes.

The oracle is the published contract: the OpenAPI document of that same service process (checked with
jsonschema_rs), narrowed to what the client reads (it does not read `rules_version` or `created_at`,
leaves out a pre-screen it cannot use, and refuses an allowed action it does not know), plus the rules of
docs/api.md section 6 (a decision other than allow has reasons; a block never allows proceed). The client
may refuse more than the oracle (a screening ID that is not a plain token); it may never accept more.

Through ServiceClient, a raw loopback HTTP server answers with fuzzed status codes (2xx to 5xx, 1xx,
3xx), headers (garbage, Retry-After of any kind, wrong Content-Type and charset, chunked or gzip that
is not), bodies and framing (a body cut short, no Content-Length). Retries wait on a virtual clock, so a
Retry-After of an hour costs no real time.
"""

import contextlib
import copy
import gzip
import json
import math
import re
import select
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import jsonschema_rs
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

import teller_client.service_client as service_client_module
from teller_client.contract import (
    ACTIONS,
    DECISIONS,
    NAME_CHECK_OUTCOMES,
    PRESCREEN_CHOICES,
    PRESCREEN_FLAGS,
    PRESCREEN_TEXTS,
    ContractError,
    Localized,
    ScreeningResult,
    SessionGrant,
    parse_account_risk,
    parse_prescreen,
    parse_prescreen_created,
    parse_screening,
    parse_session,
)
from teller_client.service_client import FailureReason, ServiceClient, ServiceFailure
from teller_client.settings import Settings, load_settings
from teller_client.workflow import (
    CounterSession,
    Customer,
    FaceSummary,
    Remittance,
    State,
    WorkflowError,
)
from tests.fuzz import fuzz
from tests.service.conftest import Api, customer, remittance, seeded, start_service

RETRY_BUDGET_SECONDS = 2.0
FIRST_BACKOFF_SECONDS = 0.2  # ServiceClient's first wait; its shortest is half of that (jitter 0.5-1.5)
SERVER_TIMEOUT_SECONDS = 10  # the raw server's socket timeout: nothing here waits that long


# ================================================================ real answers, captured once


@dataclass(frozen=True)
class Captured:
    """One real answer: what the service sent for one call."""

    endpoint: str  # the ServiceClient call that receives it
    status: int
    body: Any


@dataclass
class RealService:
    answers: list[Captured]
    schemas: dict[str, Any]  # OpenAPI component name -> a jsonschema_rs validator

    def of(self, endpoint: str) -> list[Captured]:
        return [answer for answer in self.answers if answer.endpoint == endpoint]


PRESCREEN_ANSWERS = {
    "purpose": "safe_account_request",
    "purpose_text": "对方说账户涉嫌洗钱",
    "who_asked": "caller_claiming_authority",
    "relationship_to_payee": "never_met",
    "urgency": "immediately_or_threatened",
    "on_phone_now": True,
    "told_to_keep_secret": True,
    "first_time_payee": True,
    "amount_band": "50k_to_200k",
    "remarks": "客户神情紧张",
}


def _validator(openapi: dict[str, Any], name: str, adjust: Callable[[dict[str, Any]], None]) -> Any:
    components = copy.deepcopy(openapi["components"])
    adjust(components["schemas"][name])
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": components})


def _screening_as_the_client_reads_it(schema: dict[str, Any]) -> None:
    # The client does not read these two; a missing pre-screen is left out on purpose (the screening
    # still counts), and its own parse is checked separately.
    # The client refuses an action it does not know (docs/api.md section 6 lists four): failing closed.
    schema["properties"]["allowed_actions"]["items"] = {"type": "string", "enum": list(ACTIONS)}
    for unread in ("rules_version", "created_at", "prescreen"):
        schema["required"] = [key for key in schema["required"] if key != unread]
        del schema["properties"][unread]


def _session_as_the_client_reads_it(schema: dict[str, Any]) -> None:
    schema["required"] = [key for key in schema["required"] if key != "purpose"]
    del schema["properties"]["purpose"]


@pytest.fixture(scope="module")
def real_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealService]:
    """A service process on demo data (SQLite): its answers to every call the client makes, and its schema."""
    folder = tmp_path_factory.mktemp("fuzz-service")
    database_url = f"sqlite:///{folder / 'screening.db'}"
    seed = seeded(database_url)
    process = start_service(database_url, folder)
    try:
        counter = Api(process.url, seed.counter_key)
        answers: list[Captured] = []

        def keep(endpoint: str, response: requests.Response) -> dict[str, Any]:
            assert response.status_code < 300, response.text
            answers.append(Captured(endpoint, response.status_code, response.json()))
            return dict(response.json())

        keep("sign_in", counter.sign_in("T1001", "teller-demo-1"))
        keep("sign_in", counter.sign_in("S2001", "super-demo-1", "approval"))
        teller = counter.signed_in()
        elderly = customer(1952, 3, 8)
        bodies = {
            "allow": remittance(customer=customer()),
            "warn": remittance(customer=customer(), purpose="刷单返利 垫付"),
            "hold": remittance(customer={**elderly, "name": "王秀英"}, amount="60000.00"),
            "block": remittance(
                customer=customer(),
                payee_account="6222000011112222337",
                payee_name="刘洋",
                amount="80000.00",
                purpose="资金清查 安全账户",
            ),
        }
        for decision, body in bodies.items():
            got = keep("screen", teller.screen(body))
            assert got["decision"] == decision, got
        created = keep(
            "submit_prescreen", Api(process.url, seed.kiosk_key).post("/v1/prescreens", PRESCREEN_ANSWERS)
        )
        keep("get_prescreen", teller.get(f"/v1/prescreens/{created['code']}"))
        linked = keep(
            "screen", teller.screen(remittance(customer=customer(), prescreen_code=created["code"]))
        )
        assert linked["prescreen"]["code"] == created["code"]
        for account in ("6222000011112222337", "6214830012341234120", "6212260200001234562"):
            keep("account_risk", counter.get(f"/v1/accounts/{account}/risk"))
        keep("health", counter.get("/v1/health"))
        screened = {answer.body["decision"]: answer.body for answer in answers if answer.endpoint == "screen"}
        keep("acknowledge", teller.ack(screened["allow"]["screening_id"], {"action": "proceed"}))
        keep("acknowledge", teller.ack(screened["block"]["screening_id"], {"action": "cancel"}))
        report = {
            "account_number": "6228480012345678903",
            "typology": "brushing",
            "description": "客户称对方要求先垫付",
        }
        keep("report", teller.post("/v1/reports", report, **{"Idempotency-Key": uuid.uuid4().hex}))
        openapi = counter.get("/openapi.json").json()
        schemas = {
            "screen": _validator(openapi, "ScreeningResponse", _screening_as_the_client_reads_it),
            "sign_in": _validator(openapi, "SessionResponse", _session_as_the_client_reads_it),
            "submit_prescreen": _validator(openapi, "PrescreenCreated", lambda _schema: None),
            "account_risk": _validator(openapi, "AccountRiskResponse", lambda _schema: None),
        }
        yield RealService(answers, schemas)
    finally:
        process.stop()


# ================================================================ the oracle: what a valid answer is


def valid_screening(service: RealService, body: Any) -> bool:
    """The published contract, as the client reads it, with the decision rules of docs/api.md section 6."""
    if not service.schemas["screen"].is_valid(body):
        return False
    if body["decision"] != "allow" and not body["reasons"]:
        return False
    return not (body["decision"] == "block" and "proceed" in body["allowed_actions"])


def check_screening(result: ScreeningResult, body: Any, service: RealService) -> None:
    """`result` came from `body`: the body is valid and the result says what it says, field by field."""
    assert valid_screening(service, body), f"accepted an invalid answer: {body!r:.2000}"
    assert result.decision == body["decision"] and result.decision in DECISIONS
    assert result.score == body["score"] and 0 <= result.score <= 100
    assert result.screening_id == body["screening_id"]
    # It names a path of the acknowledgement URL: nothing there may lead elsewhere.
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", result.screening_id), result.screening_id
    assert [reason.code for reason in result.reasons] == [reason["code"] for reason in body["reasons"]]
    for reason in result.reasons:
        assert isinstance(reason.score, int) and not isinstance(reason.score, bool)
        for text in (reason.message, reason.typology_label):
            assert isinstance(text, Localized) and isinstance(text.zh_cn, str) and isinstance(text.en, str)
    assert [question.id for question in result.questions] == [
        question["id"] for question in body["questions"]
    ]
    assert result.payee_name_check.outcome in NAME_CHECK_OUTCOMES
    assert result.payee_name_check.name_on_record is None or isinstance(
        result.payee_name_check.name_on_record, str
    )
    assert all(action in ACTIONS for action in result.allowed_actions)
    assert list(result.allowed_actions) == body["allowed_actions"]
    assert list(result.required_actions) == body["required_actions"]
    assert isinstance(result.expires_at, str)
    if result.decision != "allow":
        assert result.reasons and result.needs_acknowledgement
    if result.decision == "block":
        assert "proceed" not in result.allowed_actions
    if result.prescreen is not None:
        check_prescreen(result.prescreen)


def check_prescreen(found: dict[str, Any]) -> None:
    """What parse_prescreen returns: the code, the times, and only answers of the kinds and types known."""
    assert set(found) == {"code", "created_at", "expires_at", "answers"}
    assert isinstance(found["code"], str) and 1 <= len(found["code"]) <= 20
    assert found["created_at"] is None or isinstance(found["created_at"], str)
    assert found["expires_at"] is None or isinstance(found["expires_at"], str)
    for key, value in found["answers"].items():
        if key in PRESCREEN_CHOICES:
            assert isinstance(value, str) and 1 <= len(value) <= 64
        elif key in PRESCREEN_FLAGS:
            assert isinstance(value, bool)
        else:
            assert key in PRESCREEN_TEXTS, key
            assert (
                isinstance(value, str) and value == value.strip() and 1 <= len(value) <= PRESCREEN_TEXTS[key]
            )


def check_session(grant: SessionGrant, body: Any, service: RealService) -> None:
    assert service.schemas["sign_in"].is_valid(body), f"accepted an invalid session: {body!r:.2000}"
    assert grant.token == body["token"] and isinstance(grant.token, str)
    assert grant.teller.role in ("teller", "supervisor")
    assert grant.teller.teller_id == body["teller"]["teller_id"]


def check_account_risk(found: dict[str, Any], body: Any, service: RealService) -> None:
    assert service.schemas["account_risk"].is_valid(body), f"accepted an invalid lookup: {body!r:.2000}"
    assert found["status"] in ("police_listed", "reported", "no_record")
    assert found["status"] == body["status"]
    assert isinstance(found["advice"]["zh-CN"], str) and isinstance(found["advice"]["en"], str)
    assert isinstance(found["account"], str)


def check_prescreen_created(found: dict[str, Any], body: Any, service: RealService) -> None:
    assert service.schemas["submit_prescreen"].is_valid(body), f"accepted an invalid code: {body!r:.2000}"
    assert set(found) == {"code", "expires_at"}
    assert isinstance(found["code"], str) and 1 <= len(found["code"]) <= 20


# ================================================================ strategies: arbitrary JSON and mutations

HUGE = 1_000_000

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**200), max_value=10**200)
    | st.floats()  # NaN and infinities too: Python's json reads and writes them
    | st.text(max_size=20)
    | st.sampled_from(
        [*DECISIONS, *ACTIONS, *NAME_CHECK_OUTCOMES, "ALLOW", "allow ", "", "zh-CN", "en", "critical"]
    )
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document down to 12 levels: dict keys and list indices, depth first."""
    found = [prefix] if prefix else []
    if len(prefix) >= 12:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


REPLACEMENTS = (
    json_values
    | st.sampled_from(["maybe", "ALLOW", "Allow", "allow\u200b", "proceed", "", " ", "\x00"])
    | st.sampled_from([-1, 101, -(2**63), 2**64, 10**100, 1.5, 50.0, True, False, None, [], {}, "50"])
    | st.builds(lambda depth: _nested("allow", depth), st.integers(20, 300))
    | st.builds(lambda size: "\u5b89" * size, st.integers(HUGE // 4, HUGE))
    | st.just({"zh-CN": "只有中文"})
    | st.just({"en": "English only"})
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A real answer with one to three places dropped, replaced or given an extra key."""
    body = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        places = _paths(body)
        if not places:
            return body
        path = draw(st.sampled_from(places))
        parent: Any = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        operation = draw(st.sampled_from(["drop", "replace", "extra", "null"]))
        if operation == "drop":
            del parent[last]
        elif operation == "replace":
            # A copy: a shared constant changed by the next mutation would change later examples too.
            parent[last] = copy.deepcopy(draw(REPLACEMENTS))
        elif operation == "null":
            parent[last] = None
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = copy.deepcopy(draw(json_values))
        else:
            parent.append(copy.deepcopy(draw(json_values)))
    return body


def bodies_for(service: RealService, endpoint: str) -> st.SearchStrategy[Any]:
    seeds = [answer.body for answer in service.of(endpoint)]
    return st.sampled_from(seeds).map(copy.deepcopy) | mutated(seeds) | json_values


# ================================================================ the parsers on their own

PARSERS: dict[str, Callable[[Any], Any]] = {
    "screen": parse_screening,
    "sign_in": parse_session,
    "get_prescreen": parse_prescreen,
    "submit_prescreen": parse_prescreen_created,
    "account_risk": parse_account_risk,
}


def check_parsed(endpoint: str, parsed: Any, body: Any, service: RealService) -> None:
    if endpoint == "screen":
        check_screening(parsed, body, service)
    elif endpoint == "sign_in":
        check_session(parsed, body, service)
    elif endpoint == "get_prescreen":
        check_prescreen(parsed)
    elif endpoint == "submit_prescreen":
        check_prescreen_created(parsed, body, service)
    else:
        check_account_risk(parsed, body, service)


def test_the_real_answers_are_valid_and_accepted(real_service: RealService) -> None:
    """The oracle and the parsers agree on what the real service sends (else the fuzz proves nothing)."""
    kinds = [answer.endpoint for answer in real_service.answers]
    assert kinds.count("screen") == 5 and kinds.count("account_risk") == 3
    decisions = {answer.body["decision"] for answer in real_service.of("screen")}
    assert decisions == set(DECISIONS)
    for answer in real_service.answers:
        if answer.endpoint in PARSERS:
            check_parsed(answer.endpoint, PARSERS[answer.endpoint](answer.body), answer.body, real_service)


@fuzz(600, io=True)
@given(data=st.data(), endpoint=st.sampled_from(sorted(PARSERS)))
def test_parsers_return_a_valid_object_or_raise_contract_error(
    real_service: RealService, data: st.DataObject, endpoint: str
) -> None:
    body = data.draw(bodies_for(real_service, endpoint), label="body")
    try:
        parsed = PARSERS[endpoint](body)
    except ContractError:
        if endpoint == "screen":
            # Refusing is always safe; refusing a valid answer would turn a working service off.
            assert not valid_screening(real_service, body) or not _plain_id(body), body
        return
    check_parsed(endpoint, parsed, body, real_service)


def _plain_id(body: Any) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(body.get("screening_id"))))


@pytest.mark.parametrize(
    "change",
    [
        {"required_actions": [12, "acknowledge"]},
        {"required_actions": [{"deep": [[[]]]}]},
        {"screening_id": "../../audit-records"},
        {"screening_id": "scr_1?action=proceed"},
        {"screening_id": ""},
        {"payee_name_check": {"outcome": "match", "name_on_record": 42}},
    ],
)
def test_found_by_the_fuzz_malformed_fields_the_client_used_to_accept(
    real_service: RealService, change: dict[str, Any]
) -> None:
    """Malformed fields the client used to accept are a ContractError (found by the fuzz).

    Required actions that are not text (shown as Python reprs), a screening ID that is a path, a name on
    record that is a number: each used to parse; each is now a ContractError."""
    body = {**real_service.of("screen")[1].body, **change}
    with pytest.raises(ContractError):
        parse_screening(body)


def test_a_required_action_too_big_to_print_is_a_contract_error(real_service: RealService) -> None:
    """A required action too big to print is a ContractError, not a ValueError.

    str() of a 5,000-digit int raises ValueError (Python's int-to-text limit), which is not a
    ContractError: parse_screening used to let it escape."""
    body = {**real_service.of("screen")[1].body, "required_actions": [10**5000]}
    with pytest.raises(ContractError):
        parse_screening(body)


# ================================================================ a raw HTTP server, and a virtual clock


@dataclass
class Answer:
    """What the raw server sends back, byte for byte."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    framing: str = "length"  # "length", "close" (no Content-Length), "short" (a body cut short)
    reason: bytes = b"Whatever"

    def render(self) -> bytes:
        lines = [b"HTTP/1.1 %d %s" % (self.status, self.reason)]
        lines += [name + b": " + value for name, value in self.headers]
        if self.framing == "length":
            lines.append(b"Content-Length: %d" % len(self.body))
        elif self.framing == "short":
            lines.append(b"Content-Length: %d" % (len(self.body) + 17))
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


class RawServer:
    """A loopback HTTP server that answers every request with the current Answer, then closes."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.answer = Answer(500, b"")
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fuzz-raw-server")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.05)
            if not readable:
                continue
            connection, _ = self._listener.accept()
            # OSError: the client gave up (a timeout, a reset); its next request gets a new connection.
            with connection, contextlib.suppress(OSError):
                self._serve(connection)

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(SERVER_TIMEOUT_SECONDS)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                return
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        while length and len(body) < int(length[1]):
            chunk = connection.recv(65536)
            if not chunk:
                return
            body += chunk
        self.requests += 1
        connection.sendall(self.answer.render())
        connection.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


class VirtualClock:
    """Stands in for ServiceClient's `time`: sleeping moves the clock on instead of waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0 and math.isfinite(seconds), seconds
        self.offset += seconds


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def clock() -> Iterator[VirtualClock]:
    virtual = VirtualClock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            service_client_module, "time", SimpleNamespace(monotonic=virtual.monotonic, time=virtual.time)
        )
        yield virtual


@pytest.fixture(scope="module")
def client_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("settings")
    return load_settings(
        {"retry_budget_seconds": str(RETRY_BUDGET_SECONDS), "read_timeout_seconds": "5"},
        environ={},
        site_file=folder / "none.toml",
        user_file=folder / "none-either.toml",
    )


def most_attempts(budget: float) -> int:
    """The most requests one call may make: every wait is at least half the backoff, which doubles to 2 s."""
    waited, backoff, attempts = 0.0, FIRST_BACKOFF_SECONDS, 1
    while waited + backoff * 0.5 < budget:
        waited += backoff * 0.5
        backoff = min(backoff * 2, 2.0)
        attempts += 1
    return attempts


# ================================================================ strategies: what the server sends

STATUSES = [200, 201, 202, 203, 204, 206, 299, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405,
            409, 410, 413, 418, 422, 423, 429, 431, 500, 501, 502, 503, 504, 505, 599, 101, 103]  # fmt: skip
retry_after_values = (
    st.integers(-(10**6), 10**12).map(str)
    | st.floats().map(repr)
    | st.sampled_from(["0", "0.0001", "-1", "nan", "inf", "-inf", "1e400", "", " ", "soon", "3600", "1_0"])
    | st.datetimes().map(lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    | st.sampled_from([
        "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 01 Jan 0001 00:00:00 -0000",
        "Mon, 99 Foo 2015 25:61:00 GMT",
        "a, 1 Jan 2020 99:99:99 +9999",
        "Wed, 21 Oct 2015 07:28:00 +2400",
    ])
    | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
)  # fmt: skip
content_types = st.sampled_from([
    b"application/json",
    b"application/problem+json",
    b"application/json; charset=utf-8",
    b"application/json; charset=utf-16",
    b"application/json; charset=gbk",
    b"application/json; charset=idna",
    b"application/json; charset=zlib_codec",
    b"application/json; charset=no-such-charset",
    b"text/html",
    b"text/plain; charset=latin-1",
    b"",
])  # fmt: skip
header_names = st.sampled_from(
    [b"X-Garbage", b"Set-Cookie", b"Location", b"Warning", b"Content-Language", b"X-Request-Id", b"Vary"]
)
header_values = st.binary(max_size=60).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def answers(draw: st.DrawFn, bodies: st.SearchStrategy[Any]) -> Answer:
    """A status, headers, a body (JSON of `bodies`, re-encoded, cut, or plain garbage) and its framing."""
    status = draw(st.sampled_from(STATUSES) | st.integers(100, 599), label="status")
    value = draw(bodies, label="json")
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    raw = draw(
        st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "gbk", "cut", "garbage",
                         "deep",
                         "long-number"]),
        label="encoding",
    )  # fmt: skip
    body: bytes
    if raw == "cut":
        encoded = text.encode()
        body = encoded[: draw(st.integers(0, max(0, len(encoded) - 1)))]
    elif raw == "garbage":
        body = draw(st.binary(max_size=200))
    elif raw == "deep":
        depth = draw(st.integers(500, 200_000))
        body = b"[" * depth + b"]" * depth
    elif raw == "long-number":
        body = b'{"score": ' + b"9" * draw(st.integers(4_000, 20_000)) + b"}"
    elif raw == "gbk":
        body = text.encode("gbk", errors="replace")
    else:
        body = text.encode(raw, errors="surrogatepass")
    headers: list[tuple[bytes, bytes]] = []
    content_type = draw(content_types)
    if content_type:
        headers.append((b"Content-Type", content_type))
    if draw(st.booleans()):
        headers.append((b"Retry-After", draw(retry_after_values).encode("latin-1")))
    headers += draw(st.lists(st.tuples(header_names, header_values), max_size=3))
    encoding = draw(st.sampled_from([None, None, None, b"gzip", b"deflate", b"br", b"chunked"]))
    if encoding == b"chunked":
        headers.append((b"Transfer-Encoding", b"chunked"))  # and a body that is not chunked
    elif encoding is not None:
        headers.append((b"Content-Encoding", encoding))
        if encoding == b"gzip" and draw(st.booleans()):
            body = gzip.compress(body)  # genuinely compressed: the client must still judge what it says
    framing = draw(st.sampled_from(["length", "length", "length", "close", "short"]))
    return Answer(status, body, headers, framing)


def _decoded_candidates(answer: Answer) -> list[Any]:
    """The JSON document in the answer, as RFC 8259 reads it (UTF-8, or UTF-16/32 told by the bytes)."""
    body = answer.body
    if (b"Content-Encoding", b"gzip") in answer.headers:
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            return []
    try:
        return [json.loads(body)]
    except (ValueError, RecursionError):
        return []


def call(client: ServiceClient, endpoint: str) -> Any:
    if endpoint == "screen":
        return client.screen(remittance(), "fuzz-key")
    if endpoint == "sign_in":
        return client.sign_in("T1001", "teller-demo-1")
    if endpoint == "get_prescreen":
        return client.get_prescreen("KQ7-M4X")
    if endpoint == "submit_prescreen":
        return client.submit_prescreen(PRESCREEN_ANSWERS)
    if endpoint == "account_risk":
        return client.account_risk("6212260200001234562")
    if endpoint == "acknowledge":
        return client.acknowledge("scr_1", {"client_event_id": "evt_fuzz", "action": "cancel"})
    if endpoint == "report":
        return client.report({"account_number": "6212260200001234562"}, "report-key")
    if endpoint == "deliver_audit_record":
        return client.deliver_audit_record({"record_id": "aud_fuzz"})
    assert endpoint == "health"
    return client.health()


ENDPOINTS = ["screen", "sign_in", "get_prescreen", "submit_prescreen", "account_risk", "acknowledge",
             "report",
             "deliver_audit_record", "health"]  # fmt: skip


def check_outcome(
    endpoint: str, outcome: Any, answer: Answer, service: RealService, client: ServiceClient
) -> None:
    """A valid typed result only from a 2xx answer whose body is valid; anything else a ServiceFailure."""
    if isinstance(outcome, ServiceFailure):
        assert isinstance(outcome.reason, FailureReason) and outcome.detail
        if endpoint == "sign_in":
            assert client.session_token is None
        return
    assert 200 <= answer.status < 300 and answer.status != 204, (answer.status, outcome)
    assert answer.framing != "short", "a body cut short was used"
    candidates = _decoded_candidates(answer)
    assert candidates, f"a result from a body that is not JSON: {answer.body[:200]!r}"
    if endpoint in PARSERS:
        for candidate in candidates:
            try:
                if PARSERS[endpoint](candidate) == outcome:
                    check_parsed(endpoint, outcome, candidate, service)
                    break
            except ContractError:
                continue
        else:
            raise AssertionError(f"{endpoint}: a result no reading of the body gives: {outcome!r:.500}")
        if endpoint == "sign_in":
            assert client.session_token == outcome.token
    else:
        seen = {
            json.dumps(candidate, sort_keys=True) for candidate in candidates if isinstance(candidate, dict)
        }
        assert isinstance(outcome, dict) and json.dumps(outcome, sort_keys=True) in seen


def _client(raw_server: RawServer, settings: Settings, clock: VirtualClock) -> ServiceClient:
    return ServiceClient(raw_server.url, "cgk_fuzz_key", settings, sleep=clock.sleep)


@fuzz(250, io=True)
@given(data=st.data(), endpoint=st.sampled_from(ENDPOINTS))
def test_every_call_gives_a_valid_result_or_a_service_failure(
    real_service: RealService,
    raw_server: RawServer,
    clock: VirtualClock,
    client_settings: Settings,
    data: st.DataObject,
    endpoint: str,
) -> None:
    bodies = bodies_for(real_service, endpoint) if real_service.of(endpoint) else json_values
    answer = data.draw(answers(bodies))
    raw_server.answer = answer
    before = raw_server.requests
    client = _client(raw_server, client_settings, clock)
    try:
        outcome = call(client, endpoint)
    finally:
        client.close()
    check_outcome(endpoint, outcome, answer, real_service, client)
    attempts = raw_server.requests - before
    assert 1 <= attempts <= most_attempts(RETRY_BUDGET_SECONDS), f"{attempts} requests for one call"


# ================================================================ the workflow never proceeds on a bad answer

CUSTOMER = Customer("resident_id", "11010519491231002X", "张三", date(1949, 12, 31))
REMITTANCE = Remittance(
    payer_account="6222020200112233446",
    payee_account="6212260200001234562",
    payee_name="王小明",
    payee_bank="中国工商银行",
    amount=Decimal("3000.00"),
    currency="CNY",
    purpose="房租",
)


class ListRecorder:
    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def append(self, kind: str, payload: Any) -> None:
        self.records.append((kind, dict(payload)))


def screening_session() -> tuple[CounterSession, ListRecorder]:
    recorder = ListRecorder()
    session = CounterSession(recorder, "BJ0101", "T1001")
    session.identify(CUSTOMER)
    session.face_consent(True)
    session.face_verified(FaceSummary("match", 0.3, "passed"))
    session.submit(REMITTANCE)
    assert session.state is State.SCREENING
    return session, recorder


@fuzz(200, io=True)
@given(data=st.data())
def test_a_bad_answer_never_lets_the_remittance_proceed(
    real_service: RealService,
    raw_server: RawServer,
    clock: VirtualClock,
    client_settings: Settings,
    data: st.DataObject,
) -> None:
    answer = data.draw(answers(bodies_for(real_service, "screen")))
    raw_server.answer = answer
    client = _client(raw_server, client_settings, clock)
    try:
        outcome = client.screen(remittance(), uuid.uuid4().hex)
    finally:
        client.close()
    session, recorder = screening_session()
    if isinstance(outcome, ServiceFailure):
        session.screening_failed(outcome)
        assert session.state is State.UNAVAILABLE and session.result is None
        with pytest.raises(WorkflowError):
            session.acknowledgement("proceed")
        with pytest.raises(WorkflowError):
            session.acknowledged({"client_event_id": "evt_x", "action": "proceed"})
        assert recorder.records[-1][0] == "screening_unavailable"
        return
    session.screened(outcome)
    bodies = [body for body in _decoded_candidates(answer) if valid_screening(real_service, body)]
    try:
        body = session.acknowledgement("proceed")
    except WorkflowError:
        assert outcome.decision != "allow" or "proceed" not in outcome.allowed_actions
        return
    # Proceeding with no answers, no note and no supervisor: only a valid allow from a 2xx answer.
    assert outcome.decision == "allow", outcome
    assert 200 <= answer.status < 300
    assert any(candidate["decision"] == "allow" for candidate in bodies), answer.body[:500]
    session.acknowledged(body)
    assert session.state is State.DONE


# ================================================================ plain tests for what the fuzz found


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            Answer(201, b"[" * 100_000 + b"]" * 100_000, [(b"Content-Type", b"application/json")]),
            id="deeply-nested-json",
        ),
        pytest.param(
            Answer(503, b"{}", [(b"Retry-After", b"Mon, 01 Jan 99999999999999999999 00:00:00 GMT")]),
            id="retry-after-year-out-of-range",
        ),
        pytest.param(
            Answer(302, b"{}", [(b"Location", b"\x80\xff/elsewhere")]), id="redirect-location-not-utf8"
        ),
        pytest.param(Answer(301, b"{}", [(b"Location", b"http://[::1/")]), id="redirect-location-not-a-url"),
    ],
)
def test_found_by_the_fuzz_answers_that_raised_instead_of_failing(
    raw_server: RawServer, clock: VirtualClock, client_settings: Settings, answer: Answer
) -> None:
    """Answers that raised out of ServiceClient are a ServiceFailure (found by the fuzz).

    RecursionError from the JSON reader, OverflowError from the date reader, and UnicodeDecodeError or
    ValueError from requests reading a redirect's Location (it does, even when not following it).
    """
    raw_server.answer = answer
    client = _client(raw_server, client_settings, clock)
    try:
        outcome = client.screen(remittance(), uuid.uuid4().hex)
    finally:
        client.close()
    assert isinstance(outcome, ServiceFailure), outcome


def test_found_by_the_fuzz_retry_after_zero_does_not_hammer_the_service(
    raw_server: RawServer, clock: VirtualClock, client_settings: Settings
) -> None:
    """Retry-After: 0 does not make a retry storm (found by the fuzz).

    A 503 with Retry-After: 0 on every answer made the client retry with no pause at all until its
    budget ran out: hundreds of requests a second at a service that said it was overloaded."""
    raw_server.answer = Answer(503, b"{}", [(b"Retry-After", b"0")])
    before = raw_server.requests
    client = _client(raw_server, client_settings, clock)
    try:
        outcome = client.screen(remittance(), uuid.uuid4().hex)
    finally:
        client.close()
    assert isinstance(outcome, ServiceFailure) and outcome.reason is FailureReason.BUSY
    assert raw_server.requests - before <= most_attempts(RETRY_BUDGET_SECONDS)


def test_a_lookup_the_kiosk_would_show_as_clean_must_say_so_in_full(
    raw_server: RawServer, clock: VirtualClock, client_settings: Settings
) -> None:
    """A kiosk lookup is shown only when the answer is complete.

    account_risk handed any JSON object to the kiosk, which read advice.get(...) on the GUI thread: a
    string there raised AttributeError, and a body with only "status": "no_record" showed a green result."""
    for body in ({"status": "no_record"}, {"account": "***2", "status": "no_record", "advice": "safe"}):
        raw_server.answer = Answer(200, json.dumps(body).encode(), [(b"Content-Type", b"application/json")])
        client = _client(raw_server, client_settings, clock)
        try:
            outcome = client.account_risk("6212260200001234562")
        finally:
            client.close()
        assert isinstance(outcome, ServiceFailure) and outcome.reason is FailureReason.BAD_RESPONSE, outcome


def test_the_raw_server_can_fail_the_client(
    raw_server: RawServer, clock: VirtualClock, client_settings: Settings
) -> None:
    """The fixture itself: a valid answer through it is accepted (so a refusal above is the client's own)."""
    body = {"code": "KQ7-M4X", "expires_at": "2026-11-28T09:00:00Z"}
    raw_server.answer = Answer(201, json.dumps(body).encode(), [(b"Content-Type", b"application/json")])
    client = _client(raw_server, client_settings, clock)
    try:
        assert client.submit_prescreen(PRESCREEN_ANSWERS) == body
    finally:
        client.close()


def test_found_by_the_fuzz_text_that_is_not_utf8_is_not_taken_for_the_answer(
    raw_server: RawServer, clock: VirtualClock, client_settings: Settings
) -> None:
    """An answer that is not UTF-8 is unreadable, not read with its bad bytes replaced.

    requests' .json() decoded a GBK body as UTF-8 with replacement characters and the client accepted the
    garbled pre-screen texts as the service's answer.
    """
    body = {"code": "KQ7-M4X", "expires_at": "2026-11-28T09:00:00Z", "created_at": "2026-11-27T09:00:00Z",
            "answers": {"purpose": "other", "remarks": "客户神情紧张"}}  # fmt: skip
    raw_server.answer = Answer(
        200, json.dumps(body, ensure_ascii=False).encode("gbk"), [(b"Content-Type", b"application/json")]
    )
    client = _client(raw_server, client_settings, clock)
    try:
        outcome = client.get_prescreen("KQ7-M4X")
    finally:
        client.close()
    assert isinstance(outcome, ServiceFailure) and outcome.reason is FailureReason.BAD_RESPONSE, outcome
