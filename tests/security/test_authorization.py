"""Authentication and authorisation on every endpoint, over real HTTP on SQLite and PostgreSQL.

The endpoints are read from the service's own /openapi.json and must each appear in ACCESS below, so
a new endpoint without a decision here fails the suite. Every endpoint is then called with a valid
request and each kind of bad credential: none, a wrong or malformed key, a revoked key, a kiosk key
on teller actions, no session, an expired, signed-out or approval-only token, another terminal's
session. Refused requests must write nothing. Then: other terminals' and branches' screenings,
pre-screens, idempotency keys and event IDs; dual control (a teller approving their own hold, a
teller-role approval, another terminal's, an expired or a reused one); brute-force lockout per teller
and password spraying per terminal; revocation taking effect within the documented cache time.
"""

import hashlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import pytest
import requests
from sqlalchemy import Table, update

from screening_service.admin import add_teller, issue_terminal_key
from screening_service.database import make_engine
from screening_service.schema import (
    sessions,
    tellers,
)
from screening_service.settings import ServiceSettings
from tests.security.service_rows import screened, table_counts
from tests.service.conftest import (
    PROJECT_ROOT,
    Api,
    RunningService,
    add_test_teller,
    remittance,
    seeded,
    start_service,
)

PEER_LISTED = "6214830012341234120"  # 周杰: screened as a hold
AUTH_CACHE_SECONDS = 1  # the module's service trusts a verified key or session this long
REVOCATION_BOUND_SECONDS = AUTH_CACHE_SECONDS + 9  # the cache time, plus a busy machine's margin


class Access(Enum):
    TERMINAL = "any terminal key, counter or kiosk"
    TELLER = "a counter terminal's key and a teller session opened at that terminal"


# Every operation of /openapi.json, and who may call it. A new endpoint must be added here.
ACCESS = {
    "GET /v1/health": Access.TERMINAL,
    "POST /v1/sessions": Access.TERMINAL,  # a kiosk signs staff in to leave kiosk mode
    "DELETE /v1/sessions/current": Access.TELLER,
    "POST /v1/screenings": Access.TELLER,
    "POST /v1/screenings/{screening_id}/acknowledgements": Access.TELLER,
    "GET /v1/accounts/{account_number}/risk": Access.TERMINAL,  # the lobby kiosk's public look-up
    "POST /v1/reports": Access.TELLER,
    "POST /v1/prescreens": Access.TERMINAL,  # the lobby questionnaire needs no teller
    "GET /v1/prescreens/{code}": Access.TELLER,
    "POST /v1/audit-records": Access.TERMINAL,  # counters and kiosks deliver their audit outbox
}
# Outside the OpenAPI document and open to anyone, on purpose.
PUBLIC = {
    "/healthz": "liveness for load balancers: answers {'status': 'ok'} and touches nothing else",
    "/openapi.json": "the published contract; it holds no data",
}


@dataclass
class Authz:
    service: RunningService
    counter_key: str  # BJ0101-C01, the demo counter
    second_key: str  # BJ0101-C02, another counter of the same branch
    kiosk_key: str  # BJ0101-K01
    other_branch_key: str  # SH0201-C01
    other_branch_kiosk_key: str  # SH0201-K01
    other_branch_teller: tuple[str, str]

    @property
    def url(self) -> str:
        return self.service.url

    @property
    def database_url(self) -> str:
        return self.service.process.database_url

    def at(self, key: str, token: str | None = None) -> Api:
        return Api(self.url, key, token)

    def teller(
        self, key: str | None = None, teller_id: str = "T1001", password: str = "teller-demo-1"
    ) -> Api:
        return self.at(key or self.counter_key).signed_in(teller_id, password)

    def new_terminal(self, branch: str = "BJ0101", kind: str = "counter") -> tuple[str, str]:
        terminal = f"{branch}-X{uuid.uuid4().hex[:6]}"
        engine = make_engine(self.database_url)
        key = issue_terminal_key(engine, terminal, branch, kind).key
        engine.dispose()
        return terminal, key


@pytest.fixture(scope="module")
def authz(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authz]:
    seed = seeded(module_database_url)
    engine = make_engine(module_database_url)
    second = issue_terminal_key(engine, "BJ0101-C02", "BJ0101").key
    other_branch = issue_terminal_key(engine, "SH0201-C01", "SH0201").key
    other_branch_kiosk = issue_terminal_key(engine, "SH0201-K01", "SH0201", "kiosk").key
    add_teller(engine, "SH1001", "上海柜员", "teller", "SH0201", "shanghai-pass-1")
    engine.dispose()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COUNTERGUARD_SERVICE_AUTH_CACHE_SECONDS", str(AUTH_CACHE_SECONDS))
        process = start_service(
            module_database_url, tmp_path_factory.mktemp("logs"), "--lookup-per-minute", "10000"
        )
    try:
        yield Authz(
            RunningService(process, seed),
            seed.counter_key,
            second,
            seed.kiosk_key,
            other_branch,
            other_branch_kiosk,
            ("SH1001", "shanghai-pass-1"),
        )
    finally:
        process.stop()
    assert "Traceback" not in process.log(), process.log()[-5000:]


def set_column(database_url: str, table: Table, where: Any, **values: Any) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        changed = connection.execute(update(table).where(where).values(**values)).rowcount
    engine.dispose()
    assert changed == 1


def problem(response: requests.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if kind:
        assert body["type"] == f"urn:counterguard:problem:{kind}", body
    return body


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screening_service", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def answers_for(screening: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"question_id": question["id"], "answer": "客户说明了情况"} for question in screening["questions"]
    ]


PRESCREEN = {
    "purpose": "investment",
    "who_asked": "online_contact",
    "relationship_to_payee": "never_met",
    "urgency": "today",
    "on_phone_now": False,
    "told_to_keep_secret": True,
    "first_time_payee": True,
    "amount_band": "10k_to_50k",
}


# ---------------------------------------------------------------- one valid request per operation


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None


def valid_call(authz: Authz, operation: str) -> Call:
    """A request that succeeds with the right credentials, so only the credentials decide the answer."""
    teller = authz.teller()
    key = {"Idempotency-Key": f"authz-{uuid.uuid4().hex}"}
    match operation:
        case "GET /v1/health":
            return Call("GET", "/v1/health")
        case "POST /v1/sessions":
            return Call("POST", "/v1/sessions", {"teller_id": "T1002", "password": "teller-demo-1"})
        case "DELETE /v1/sessions/current":
            return Call("DELETE", "/v1/sessions/current")
        case "POST /v1/screenings":
            return Call("POST", "/v1/screenings", remittance(), key)
        case "POST /v1/screenings/{screening_id}/acknowledgements":
            screening = screened(teller)
            return Call(
                "POST",
                f"/v1/screenings/{screening['screening_id']}/acknowledgements",
                {"client_event_id": f"ev-{uuid.uuid4().hex}", "action": "cancel"},
            )
        case "GET /v1/accounts/{account_number}/risk":
            return Call("GET", "/v1/accounts/6212260200001234562/risk")
        case "POST /v1/reports":
            body = {
                "account_number": "6228480099990000111",
                "typology": "refund",
                "description": "自称客服要求退款",
            }
            return Call("POST", "/v1/reports", body, key)
        case "POST /v1/prescreens":
            return Call("POST", "/v1/prescreens", PRESCREEN, key)
        case "GET /v1/prescreens/{code}":
            created = authz.at(authz.kiosk_key).post("/v1/prescreens", PRESCREEN)
            assert created.status_code == 201, created.text
            return Call("GET", f"/v1/prescreens/{created.json()['code']}")
        case "POST /v1/audit-records":
            record = {
                "record_id": f"rec-{uuid.uuid4().hex}",
                "sequence": 1,
                "kind": "decision",
                "created_at": "2026-11-27T09:00:00Z",
                "payload": {"action": "cancel"},
                "prev_hash": "0" * 64,
                "hash": "1" * 64,
            }
            return Call("POST", "/v1/audit-records", record)
    raise AssertionError(f"no valid request for {operation}: add one")


def send(authz: Authz, call: Call, key: str | None, token: str | None) -> requests.Response:
    headers = dict(call.headers or {})
    if key is not None:
        headers["X-Terminal-Key"] = key
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(call.method, authz.url + call.path, json=call.body, headers=headers, timeout=30)


def published_operations(authz: Authz) -> dict[str, dict[str, Any]]:
    paths = requests.get(f"{authz.url}/openapi.json", timeout=10).json()["paths"]
    return {
        f"{method.upper()} {path}": operation
        for path, item in paths.items()
        for method, operation in item.items()
    }


OPERATIONS = sorted(ACCESS)


def test_every_published_operation_has_an_access_rule(authz: Authz) -> None:
    """Every endpoint of /openapi.json has an access rule here, and the document states it"""
    published = published_operations(authz)
    assert set(published) == set(ACCESS), "an endpoint was added or removed: decide its access in ACCESS"
    for operation, access in ACCESS.items():
        schemes = {name for requirement in published[operation]["security"] for name in requirement}
        assert published[operation]["security"] == [
            {"APIKeyHeader": [], "HTTPBearer": []} if access is Access.TELLER else {"APIKeyHeader": []}
        ], (operation, schemes)
    for path, reason in PUBLIC.items():
        assert path not in {op.split(" ", 1)[1] for op in published}
        response = requests.get(authz.url + path, timeout=10)
        assert response.status_code == 200, (path, reason)
    assert requests.get(f"{authz.url}/healthz", timeout=10).json() == {"status": "ok"}


# ---------------------------------------------------------------- the credential matrix


def _expired_token(authz: Authz) -> str:
    token = authz.at(authz.counter_key).signed_in("T1002", "teller-demo-1").token
    assert token
    # Expired in the database before it was ever used, so no cached copy can speak for it.
    set_column(
        authz.database_url,
        sessions,
        sessions.c.token_hash == token_hash(token),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    return token


def _signed_out_token(authz: Authz) -> str:
    api = authz.at(authz.counter_key).signed_in("T1002", "teller-demo-1")
    assert (
        api.session.delete(f"{authz.url}/v1/sessions/current", headers=api.headers(), timeout=10).status_code
        == 204
    )
    assert api.token
    return api.token


def _revoked_key(authz: Authz) -> str:
    terminal, key = authz.new_terminal()
    revoked = cli("revoke-terminal-key", "--terminal", terminal, "--database", authz.database_url)
    assert revoked.returncode == 0, revoked.stderr
    return key


# credential case -> (key, token) for an operation, and the status each access level must get
CREDENTIALS: dict[str, tuple[Callable[[Authz], tuple[str | None, str | None]], int, int]] = {
    "no-key": (lambda a: (None, None), 401, 401),
    "no-key-with-session": (lambda a: (None, a.teller().token), 401, 401),
    "wrong-key": (lambda a: ("cgk_000000000000_not-a-real-secret-at-all", None), 401, 401),
    "right-id-wrong-secret": (
        lambda a: ("_".join(a.counter_key.split("_", 2)[:2]) + "_wrong", a.teller().token),
        401,
        401,
    ),
    "malformed-key": (lambda a: ("Bearer " + a.counter_key, None), 401, 401),
    "revoked-key": (lambda a: (_revoked_key(a), None), 401, 401),
    "kiosk-key-with-teller-session": (lambda a: (a.kiosk_key, a.teller().token), 0, 403),
    "counter-key-without-session": (lambda a: (a.counter_key, None), 0, 401),
    "made-up-session": (lambda a: (a.counter_key, "cgs_made-up-session-token"), 0, 401),
    "expired-session": (lambda a: (a.counter_key, _expired_token(a)), 0, 401),
    "signed-out-session": (lambda a: (a.counter_key, _signed_out_token(a)), 0, 401),
    "approval-token-as-session": (lambda a: (a.counter_key, a.at(a.counter_key).approval()), 0, 401),
    "session-of-another-terminal": (lambda a: (a.second_key, a.teller().token), 0, 403),
    "session-of-another-branch": (
        lambda a: (a.counter_key, a.teller(a.other_branch_key, *a.other_branch_teller).token),
        0,
        403,
    ),
}


@pytest.mark.no_loss
@pytest.mark.parametrize("credentials", list(CREDENTIALS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_refuses_bad_credentials_and_writes_nothing(
    authz: Authz, operation: str, credentials: str
) -> None:
    """Every operation refuses each kind of bad credential and writes nothing"""
    make, terminal_status, teller_status = CREDENTIALS[credentials]
    access = ACCESS[operation]
    expected = teller_status if access is Access.TELLER else terminal_status
    call = valid_call(authz, operation)
    key, token = make(authz)
    before = table_counts(authz.database_url)
    response = send(authz, call, key, token)
    if expected == 0:  # a terminal-key operation, and the key is a good one: the session does not matter
        assert 200 <= response.status_code < 300, response.text
        return
    body = problem(response, expected, "unauthorized" if expected == 401 else "forbidden")
    if expected == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    assert "token" not in body and "screening_id" not in body
    assert table_counts(authz.database_url) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_works_with_the_right_credentials(authz: Authz, operation: str) -> None:
    """The same requests succeed with the right credentials (so the refusals are about credentials)"""
    call = valid_call(authz, operation)
    teller = authz.teller()
    response = send(authz, call, authz.counter_key, teller.token)
    assert 200 <= response.status_code < 300, response.text
    if ACCESS[operation] is Access.TERMINAL:
        kiosk = send(authz, valid_call(authz, operation), authz.kiosk_key, None)
        assert 200 <= kiosk.status_code < 300, kiosk.text


# ---------------------------------------------------------------- other terminals, other branches


def test_another_terminals_screening_cannot_be_acknowledged_or_told_apart_from_none(authz: Authz) -> None:
    """Another terminal's or branch's screening: 404, the same as one that does not exist"""
    mine = screened(authz.teller(), payee_account=PEER_LISTED, payee_name="周杰")
    unknown = f"scr_{uuid.uuid4().hex[:24]}"
    for key, who in (
        (authz.second_key, ("T1002", "teller-demo-1")),
        (authz.other_branch_key, authz.other_branch_teller),
    ):
        other = authz.teller(key, *who)
        before = table_counts(authz.database_url)
        for action in ({"action": "cancel"}, {"action": "refer_police"}, {"action": "proceed"}):
            theirs = problem(other.ack(mine["screening_id"], action), 404, "not-found")
            none = problem(other.ack(unknown, action), 404, "not-found")
            assert theirs["detail"].replace(mine["screening_id"], "ID") == none["detail"].replace(
                unknown, "ID"
            )
            for leaked in (mine["decision"], PEER_LISTED, "周杰", *(q["id"] for q in mine["questions"])):
                assert leaked not in theirs["detail"]
        assert table_counts(authz.database_url) == before
    # Still undecided at its own terminal.
    assert authz.teller().ack(mine["screening_id"], {"action": "cancel"}).status_code == 201


@pytest.mark.no_loss
def test_idempotency_keys_belong_to_their_terminal(authz: Authz) -> None:
    """The same Idempotency-Key at another terminal is a new request there: no replay of another's answer"""
    key = f"shared-{uuid.uuid4().hex}"
    body = remittance()
    first = authz.teller().screen(body, key=key)
    assert first.status_code == 201
    other = authz.teller(authz.second_key, "T1002").screen(body, key=key)
    assert other.status_code == 201, other.text
    assert other.json()["screening_id"] != first.json()["screening_id"]
    # Another body with that key is no conflict either: the other terminal's key tells nothing.
    again = authz.teller(authz.second_key, "T1002").screen(remittance(amount="12.34"), key=f"{key}-2")
    assert again.status_code == 201
    replay = authz.teller().screen(body, key=key)
    assert replay.json()["screening_id"] == first.json()["screening_id"]  # its own terminal still replays


def test_client_event_ids_of_another_terminal_reveal_nothing(authz: Authz) -> None:
    """An event ID already used at another terminal is refused without its acknowledgement"""
    event = f"ev-{uuid.uuid4().hex}"
    mine = screened(authz.teller())
    recorded = authz.teller().ack(mine["screening_id"], {"client_event_id": event, "action": "cancel"})
    assert recorded.status_code == 201
    other = authz.teller(authz.second_key, "T1002")
    theirs = screened(other)
    refused = problem(other.ack(theirs["screening_id"], {"client_event_id": event, "action": "cancel"}), 409)
    assert refused["type"].endswith("client-event-reused")
    for leaked in (recorded.json()["ack_id"], mine["screening_id"], "BJ0101-C01"):
        assert leaked not in refused["detail"]


@pytest.mark.no_loss
def test_audit_records_belong_to_their_terminal(authz: Authz) -> None:
    """The same audit record ID from two terminals is two records; neither sees the other's"""
    record = valid_call(authz, "POST /v1/audit-records").body
    first = authz.at(authz.counter_key).post("/v1/audit-records", record)
    second = authz.at(authz.second_key).post("/v1/audit-records", {**record, "hash": "2" * 64})
    assert first.status_code == second.status_code == 201
    assert second.json()["duplicate"] is False
    assert authz.at(authz.counter_key).post("/v1/audit-records", record).json()["duplicate"] is True


def test_a_prescreen_of_another_branch_is_unknown(authz: Authz) -> None:
    """A pre-screen code of another branch reads and links as unknown"""
    theirs = authz.at(authz.other_branch_kiosk_key).post("/v1/prescreens", PRESCREEN).json()["code"]
    ours = authz.at(authz.kiosk_key).post("/v1/prescreens", PRESCREEN).json()["code"]
    teller = authz.teller()
    assert teller.get(f"/v1/prescreens/{ours}").status_code == 200
    refused = problem(teller.get(f"/v1/prescreens/{theirs}"), 404, "not-found")
    unknown = problem(teller.get("/v1/prescreens/ZZZ-ZZZ"), 404, "not-found")
    assert refused == unknown
    before = table_counts(authz.database_url)
    linked = teller.screen(remittance(prescreen_code=theirs))
    assert {error["field"] for error in problem(linked, 422, "validation")["errors"]} == {"prescreen_code"}
    assert table_counts(authz.database_url) == before
    # At its own branch it works.
    shanghai = authz.teller(authz.other_branch_key, *authz.other_branch_teller)
    assert shanghai.get(f"/v1/prescreens/{theirs}").status_code == 200


# ---------------------------------------------------------------- dual control


def _hold(api: Api) -> dict[str, Any]:
    held = screened(api, payee_account=PEER_LISTED, payee_name="周杰")
    assert held["decision"] == "hold"
    return held


def _proceed(api: Api, held: dict[str, Any], approval: str | None) -> requests.Response:
    body: dict[str, Any] = {"action": "proceed", "answers": answers_for(held), "note": "客户与收款人为同事"}
    if approval is not None:
        body["supervisor_approval"] = {"approval_token": approval}
    return api.ack(held["screening_id"], body)


def _approval_refused(response: requests.Response, reason: str) -> None:
    body = problem(response, 409, "supervisor-approval-invalid")
    assert reason in body["detail"], body


@pytest.mark.no_loss
def test_a_hold_proceeds_only_with_another_persons_fresh_approval_from_this_terminal(authz: Authz) -> None:
    """Dual control: no approval, one's own, a teller's, another terminal's, an expired or a used one"""
    teller = authz.teller()
    counter = authz.at(authz.counter_key)

    held = _hold(teller)
    problem(_proceed(teller, held, None), 409, "supervisor-approval-required")
    # A teller cannot get an approval token at all.
    problem(counter.sign_in("T1002", "teller-demo-1", "approval"), 403, "forbidden")
    # A session token is not an approval, and an approval is not a session.
    _approval_refused(_proceed(teller, held, teller.token), "not a supervisor's approval")
    # Given at another terminal.
    _approval_refused(
        _proceed(teller, held, authz.at(authz.second_key).approval("S2001")), "given at another terminal"
    )
    # Expired.
    expired = counter.approval("S2001")
    set_column(
        authz.database_url,
        sessions,
        sessions.c.token_hash == token_hash(expired),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    _approval_refused(_proceed(teller, held, expired), "expired")
    # None of these decided anything, nor spent the approval a refused acknowledgement carried.
    approval = counter.approval("S2001")
    incomplete = teller.ack(
        held["screening_id"], {"action": "proceed", "supervisor_approval": {"approval_token": approval}}
    )
    problem(incomplete, 409, "questions-unanswered")
    before = table_counts(authz.database_url)
    approved = _proceed(teller, held, approval)
    assert approved.status_code == 201, approved.text
    assert table_counts(authz.database_url)["acknowledgements"] == before["acknowledgements"] + 1
    # One-shot: spent.
    _approval_refused(_proceed(teller, _hold(teller), approval), "already been used")

    # A supervisor keying at the counter cannot approve their own hold.
    supervisor = authz.teller(teller_id="S2002", password="super-demo-1")
    own = _hold(supervisor)
    _approval_refused(_proceed(supervisor, own, counter.approval("S2002")), "dual control")
    assert _proceed(supervisor, own, counter.approval("S2001")).status_code == 201


# ---------------------------------------------------------------- brute force


def test_wrong_passwords_lock_the_teller_everywhere_and_say_until_when(authz: Authz) -> None:
    """Brute force on one teller: locked after 5 wrong passwords, even the right one refused, until when"""
    teller_id = f"BF{uuid.uuid4().hex[:6]}"
    password = add_test_teller(authz.database_url, teller_id)
    _, key = authz.new_terminal()
    counter = authz.at(key)
    attempts = ServiceSettings.lockout_attempts
    for _ in range(attempts):
        problem(counter.sign_in(teller_id, "wrong-password"), 401, "unauthorized")
    started = datetime.now(UTC)
    refused = counter.sign_in(teller_id, password)
    locked = problem(refused, 423, "locked")
    assert 0 < int(refused.headers["Retry-After"]) <= ServiceSettings.lockout_minutes * 60 + 1
    until = datetime.fromisoformat(
        locked["detail"].split("locked until ")[1].split(". ")[0].replace("Z", "+00:00")
    )
    assert (
        timedelta(minutes=ServiceSettings.lockout_minutes - 1)
        < until - started
        <= timedelta(minutes=ServiceSettings.lockout_minutes, seconds=5)
    )
    # Locked at every terminal, and more wrong passwords do not reach the password check.
    problem(authz.at(authz.second_key).sign_in(teller_id, password), 423, "locked")
    problem(counter.sign_in(teller_id, "wrong-again"), 423, "locked")
    # Others are not affected.
    assert counter.sign_in("T1002", "teller-demo-1").status_code == 201
    # When the lock has run out (moved into the past here), the right password works again.
    set_column(
        authz.database_url,
        tellers,
        tellers.c.teller_id == teller_id,
        locked_until=datetime.now(UTC) - timedelta(seconds=1),
    )
    assert counter.sign_in(teller_id, password).status_code == 201


def test_password_spraying_from_one_terminal_is_throttled(authz: Authz) -> None:
    """Password spraying: one password tried on many teller IDs from one terminal is stopped there"""
    _, key = authz.new_terminal()
    spray = authz.at(key)
    limit = ServiceSettings.terminal_sign_in_failures
    real = {
        "T1001": "teller-demo-1",
        "T1002": "teller-demo-1",
        "S2001": "super-demo-1",
        "S2002": "super-demo-1",
    }
    # The real tellers and made-up IDs, one wrong password each: no teller comes near its own lockout.
    targets = [*real, *(f"T{n:04d}" for n in range(2000, 2000 + limit))][:limit]
    for teller_id in targets:
        problem(spray.sign_in(teller_id, "Password123!"), 401, "unauthorized")
    # The terminal may not try again, not even with a right password, until its window ends.
    refused = spray.sign_in("T1001", "teller-demo-1")
    throttled = problem(refused, 429, "sign-in-throttled")
    assert 0 < int(refused.headers["Retry-After"]) <= ServiceSettings.terminal_sign_in_minutes * 60 + 1
    assert key not in throttled["detail"]
    # No teller was locked, and other terminals sign them in as usual.
    for teller_id, password in real.items():
        assert authz.at(authz.second_key).sign_in(teller_id, password).status_code == 201


# ---------------------------------------------------------------- revocation and expiry in flight


def _until_refused(call: Callable[[], requests.Response], bound: float) -> tuple[requests.Response, float]:
    started = time.monotonic()
    while True:  # a condition with a bound: the auth cache lets a revoked credential live this long
        response = call()
        elapsed = time.monotonic() - started
        if response.status_code == 401 or elapsed > bound:
            return response, elapsed
        time.sleep(0.1)


def test_a_revoked_key_stops_working_within_the_cache_time(authz: Authz) -> None:
    """A key revoked with revoke-terminal-key while in use is refused within auth_cache_seconds"""
    terminal, key = authz.new_terminal()
    teller = authz.teller(key, "T1002")
    assert teller.get("/v1/health").status_code == 200  # in use: cached by the service
    revoked = cli("revoke-terminal-key", "--terminal", terminal, "--database", authz.database_url)
    assert revoked.returncode == 0, revoked.stderr
    response, elapsed = _until_refused(lambda: teller.get("/v1/prescreens/ZZZ-ZZZ"), REVOCATION_BOUND_SECONDS)
    problem(response, 401, "unauthorized")
    assert elapsed <= REVOCATION_BOUND_SECONDS
    problem(authz.at(key).get("/v1/health"), 401, "unauthorized")
    # Unknown terminals are an error; issuing a new key brings the terminal back.
    assert (
        cli("revoke-terminal-key", "--terminal", "NO-SUCH", "--database", authz.database_url).returncode == 2
    )
    new_key = cli(
        "issue-terminal-key", "--terminal", terminal, "--branch", "BJ0101", "--database", authz.database_url
    )
    assert authz.at(new_key.stdout.strip()).get("/v1/health").status_code == 200


def test_a_session_expiring_in_use_is_refused_within_the_cache_time(authz: Authz) -> None:
    """A teller session that expires while in use is refused within auth_cache_seconds"""
    teller = authz.teller(teller_id="T1002")
    assert teller.token
    assert teller.screen(remittance()).status_code == 201  # in use: cached by the service
    set_column(
        authz.database_url,
        sessions,
        sessions.c.token_hash == token_hash(teller.token),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    before = table_counts(authz.database_url)
    response, elapsed = _until_refused(lambda: teller.get("/v1/prescreens/ZZZ-ZZZ"), REVOCATION_BOUND_SECONDS)
    problem(response, 401, "unauthorized")
    assert elapsed <= REVOCATION_BOUND_SECONDS
    problem(teller.screen(remittance()), 401, "unauthorized")
    assert table_counts(authz.database_url)["screenings"] == before["screenings"]
