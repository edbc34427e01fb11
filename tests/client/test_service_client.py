"""The service client against the real service process and against loopback servers that misbehave.

Acceptance: a clean remittance, each decision kind, an idempotent retry after a lost response
(one screening in the service's database), the service down, the service hanging (unavailable
within the configured bound), 503 with Retry-After, and answers that do not match the contract.
"""

import copy
import gzip
import json
import socket
import time
import tracemalloc
import types
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from screening_service.database import make_engine
from screening_service.schema import idempotency_records, screenings
from teller_client.contract import DECISIONS, ContractError, ScreeningResult, SessionGrant, parse_screening
from teller_client.service_client import (
    MAX_ANSWER_BYTES,
    FailureReason,
    ServiceClient,
    ServiceFailure,
    _Cutoff,
)
from tests.client.conftest import HangingServer, LosingProxy, MakeClient, Reply, ScriptedServer
from tests.service.conftest import RunningService, customer, remittance

POLICE_LISTED = "6222000011112222337"  # 刘洋: block
PEER_LISTED = "6214830012341234120"  # 周杰: hold
MARGIN_SECONDS = 0.75  # scheduling slack on top of a configured bound


def signed_in(make_client: MakeClient, service: RunningService, **settings: float) -> ServiceClient:
    client = make_client(service.url, service.seed.counter_key, **settings)
    grant = client.sign_in("T1001", "teller-demo-1")
    assert isinstance(grant, SessionGrant), grant
    assert client.session_token == grant.token
    return client


def screened(client: ServiceClient, **changes: Any) -> ScreeningResult:
    result = client.screen(remittance(customer=customer(), **changes), uuid.uuid4().hex)
    assert isinstance(result, ScreeningResult), result
    return result


def answers_for(result: ScreeningResult) -> list[dict[str, str]]:
    return [{"question_id": question.id, "answer": "客户说明了情况"} for question in result.questions]


def event(**body: Any) -> dict[str, Any]:
    return {"client_event_id": f"evt-{uuid.uuid4().hex}", **body}


def count(database_url: str, table: Any, *where: Any) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
    finally:
        engine.dispose()


def failure_of(result: object, reason: FailureReason) -> ServiceFailure:
    assert isinstance(result, ServiceFailure), f"expected a {reason} failure, got {result!r}"
    assert result.reason == reason, result
    assert result.detail
    return result


# ================================================================ the real service


def test_clean_remittance_is_allowed(make_client: MakeClient, service: RunningService) -> None:
    client = signed_in(make_client, service)
    result = screened(client)
    assert result.decision == "allow"
    assert not result.needs_acknowledgement
    assert result.payee_name_check.outcome == "match"
    assert result.screening_id and result.expires_at
    done = client.acknowledge(result.screening_id, event(action="proceed"))
    assert isinstance(done, dict), done
    assert done["action"] == "proceed" and done["final"] is True


def test_police_listed_payee_is_blocked_and_cannot_proceed(
    make_client: MakeClient, service: RunningService
) -> None:
    client = signed_in(make_client, service)
    result = screened(client, payee_account=POLICE_LISTED, payee_name="刘洋")
    assert result.decision == "block"
    assert result.reasons and "proceed" not in result.allowed_actions

    refused = client.acknowledge(
        result.screening_id, event(action="proceed", answers=answers_for(result), note="customer insists")
    )
    failure = failure_of(refused, FailureReason.REJECTED)
    assert failure.status == 409
    assert failure.problem_type == "urn:counterguard:problem:proceed-not-allowed"
    assert failure.problem and failure.problem["status"] == 409 and failure.problem["detail"]

    cancelled = client.acknowledge(result.screening_id, event(action="cancel"))
    assert isinstance(cancelled, dict), cancelled
    assert cancelled["action"] == "cancel" and cancelled["final"] is True


def test_peer_listed_payee_is_held_until_a_supervisor_approves(
    make_client: MakeClient, service: RunningService
) -> None:
    client = signed_in(make_client, service)
    result = screened(client, payee_account=PEER_LISTED, payee_name="周杰")
    assert result.decision == "hold" and result.reasons
    body = {"action": "proceed", "answers": answers_for(result), "note": "客户与收款人为同事"}

    without = failure_of(client.acknowledge(result.screening_id, event(**body)), FailureReason.REJECTED)
    assert without.problem_type == "urn:counterguard:problem:supervisor-approval-required"

    approval = client.sign_in("S2001", "super-demo-1", "approval")
    assert isinstance(approval, SessionGrant), approval
    assert approval.teller.role == "supervisor"
    assert client.session_token != approval.token  # an approval does not replace the teller's session
    approved = client.acknowledge(
        result.screening_id, event(**body, supervisor_approval={"approval_token": approval.token})
    )
    assert isinstance(approved, dict), approved
    assert approved["action"] == "proceed" and approved["final"] is True


def test_suspicious_purpose_is_warned(make_client: MakeClient, service: RunningService) -> None:
    client = signed_in(make_client, service)
    result = screened(client, purpose="刷单返利")
    assert result.decision == "warn"
    assert result.reasons and result.questions and result.needs_acknowledgement
    done = client.acknowledge(
        result.screening_id,
        event(action="proceed", answers=answers_for(result), note="为本人网店结算货款，已核实"),
    )
    assert isinstance(done, dict), done
    assert done["final"] is True


def test_bad_terminal_key_is_unauthorized(make_client: MakeClient, service: RunningService) -> None:
    client = make_client(service.url, "cgk_000000000000_wrongsecret")
    failure = failure_of(client.sign_in("T1001", "teller-demo-1"), FailureReason.UNAUTHORIZED)
    assert failure.status == 401
    assert failure.problem_type == "urn:counterguard:problem:unauthorized"
    assert client.session_token is None


def test_screening_without_a_session_is_unauthorized(
    make_client: MakeClient, service: RunningService
) -> None:
    client = make_client(service.url, service.seed.counter_key)
    failure_of(client.screen(remittance(), uuid.uuid4().hex), FailureReason.UNAUTHORIZED)


def test_sign_out_ends_the_session(make_client: MakeClient, service: RunningService) -> None:
    client = signed_in(make_client, service)
    token = client.session_token
    assert client.sign_out() is None
    assert client.session_token is None
    client.session_token = token  # the old token no longer works at the service
    failure_of(client.screen(remittance(), uuid.uuid4().hex), FailureReason.UNAUTHORIZED)


def test_health_account_risk_and_report(make_client: MakeClient, service: RunningService) -> None:
    client = signed_in(make_client, service)
    health = client.health()
    assert isinstance(health, dict) and health["database"] == "ok", health

    listed = client.account_risk(POLICE_LISTED)
    assert isinstance(listed, dict), listed
    assert listed["status"] == "police_listed" and POLICE_LISTED not in listed["account"]

    account = f"62{uuid.uuid4().int % 10**17:017d}"
    report = {
        "account_number": account,
        "account_name": "某某",
        "bank": "测试银行",
        "typology": "brushing",
        "description": "客户称对方要求刷单返利并提供此账户",
    }
    key = uuid.uuid4().hex
    created = client.report(report, key)
    assert isinstance(created, dict), created
    assert client.report(report, key) == created  # a retry of the same report is the same report
    reported = client.account_risk(account)
    assert isinstance(reported, dict) and reported["status"] == "reported", reported

    bad = failure_of(client.account_risk("12ab"), FailureReason.REJECTED)
    assert bad.status == 422 and bad.problem_type == "urn:counterguard:problem:validation"


def test_same_key_twice_is_one_screening(make_client: MakeClient, service: RunningService) -> None:
    client = signed_in(make_client, service)
    body = remittance(customer=customer(), amount="1234.56")
    key = uuid.uuid4().hex
    first = client.screen(body, key)
    again = client.screen(body, key)
    assert isinstance(first, ScreeningResult) and first == again
    assert count(service.process.database_url, screenings, screenings.c.amount == Decimal("1234.56")) == 1
    other = client.screen({**body, "amount": "1234.57"}, key)  # same key, other request
    assert failure_of(other, FailureReason.REJECTED).problem_type == (
        "urn:counterguard:problem:idempotency-key-reused"
    )


def test_retry_after_a_lost_answer_gets_the_stored_screening(
    make_client: MakeClient, service: RunningService, losing_proxy: LosingProxy
) -> None:
    client = make_client(losing_proxy.url, service.seed.counter_key, retry_budget_seconds=5)
    assert isinstance(client.sign_in("T1001", "teller-demo-1"), SessionGrant)
    amount = "4321.07"  # no other screening in this module has this amount
    database_url = service.process.database_url
    before = count(database_url, screenings)
    key = uuid.uuid4().hex

    result = client.screen(remittance(customer=customer(), amount=amount), key)

    assert isinstance(result, ScreeningResult), result
    assert len(losing_proxy.lost) == 1, "the proxy did not lose the first answer"
    sent = [r for r in losing_proxy.requests if r.method == "POST" and r.path == "/v1/screenings"]
    assert len(sent) == 2
    assert sent[0].headers["idempotency-key"] == sent[1].headers["idempotency-key"] == key
    assert sent[0].body == sent[1].body
    # The service screened once; the retry got the stored answer, the one the client never saw.
    assert count(database_url, screenings) == before + 1
    assert count(database_url, screenings, screenings.c.amount == Decimal(amount)) == 1
    assert count(database_url, screenings, screenings.c.screening_id == result.screening_id) == 1
    assert count(database_url, idempotency_records, idempotency_records.c.idempotency_key == key) == 1
    assert parse_screening(json.loads(losing_proxy.lost[0])) == result


# ================================================================ the service unreachable or slow


def test_service_down_is_refused_within_the_budget(make_client: MakeClient, closed_port_url: str) -> None:
    client = make_client(closed_port_url, retry_budget_seconds=1)
    started = time.monotonic()
    result = client.screen(remittance(), uuid.uuid4().hex)
    elapsed = time.monotonic() - started
    failure_of(result, FailureReason.REFUSED)
    assert elapsed < 1 + MARGIN_SECONDS


def test_hanging_service_is_unavailable_within_the_budget(
    make_client: MakeClient, hanging_service: HangingServer
) -> None:
    client = make_client(
        hanging_service.url, read_timeout_seconds=0.8, connect_timeout_seconds=0.5, retry_budget_seconds=2
    )
    key = uuid.uuid4().hex
    started = time.monotonic()
    result = client.screen(remittance(), key)
    elapsed = time.monotonic() - started
    failure_of(result, FailureReason.TIMEOUT)
    assert 0.8 <= elapsed < 2 + MARGIN_SECONDS
    # It tried again within the budget, and every attempt carried the same Idempotency-Key.
    heads = hanging_service.request_headers()
    assert len(heads) >= 2
    assert {head.get("idempotency-key") for head in heads} == {key}


def test_a_read_timeout_longer_than_the_budget_is_cut_to_the_budget(
    make_client: MakeClient, hanging_service: HangingServer
) -> None:
    client = make_client(hanging_service.url, read_timeout_seconds=30, retry_budget_seconds=1)
    started = time.monotonic()
    result = client.health()
    elapsed = time.monotonic() - started
    failure_of(result, FailureReason.TIMEOUT)
    assert elapsed < 1 + MARGIN_SECONDS


def test_unreachable_service_times_out_on_connect(make_client: MakeClient, unreachable_url: str) -> None:
    client = make_client(unreachable_url, connect_timeout_seconds=0.3, retry_budget_seconds=1)
    started = time.monotonic()
    result = client.screen(remittance(), uuid.uuid4().hex)
    elapsed = time.monotonic() - started
    failure_of(result, FailureReason.TIMEOUT)
    assert elapsed < 1 + MARGIN_SECONDS


def test_tls_failure_is_a_tls_failure(make_client: MakeClient, fake_service: ScriptedServer) -> None:
    # The fake speaks plain HTTP: the TLS handshake cannot succeed.
    client = make_client(fake_service.url.replace("http://", "https://"), retry_budget_seconds=2)
    failure_of(client.screen(remittance(), uuid.uuid4().hex), FailureReason.TLS)


# ================================================================ busy and failing answers

VALID_WARN: dict[str, Any] = {
    "screening_id": "scr_0123456789abcdef",
    "decision": "warn",
    "score": 45,
    "reasons": [
        {
            "code": "PURPOSE_BRUSHING",
            "typology": "brushing",
            "typology_label": {"zh-CN": "刷单返利", "en": "Click farming"},
            "severity": "medium",
            "source": "rule",
            "score": 45,
            "message": {"zh-CN": "用途含刷单返利", "en": "Purpose mentions click farming"},
        }
    ],
    "payee_name_check": {"outcome": "match", "name_on_record": None},
    "questions": [{"id": "q1", "text": {"zh-CN": "谁让您汇款？", "en": "Who asked you to pay?"}}],
    "required_actions": ["answer_questions"],
    "allowed_actions": ["cancel", "proceed", "delay_arrival", "refer_police"],
    "rules_version": "2026.11.1",
    "created_at": "2026-11-20T08:00:00Z",
    "expires_at": "2026-11-20T08:30:00Z",
}
VALID_ALLOW: dict[str, Any] = {
    **VALID_WARN,
    "decision": "allow",
    "score": 0,
    "reasons": [],
    "questions": [],
    "required_actions": [],
    "allowed_actions": ["proceed", "cancel"],
}
VALID_BLOCK: dict[str, Any] = {
    **VALID_WARN,
    "decision": "block",
    "score": 100,
    "allowed_actions": ["cancel", "refer_police"],
}
VALID_HOLD: dict[str, Any] = {**VALID_WARN, "decision": "hold", "score": 70}
VALID = {"allow": VALID_ALLOW, "warn": VALID_WARN, "hold": VALID_HOLD, "block": VALID_BLOCK}


def test_valid_fakes_match_the_contract() -> None:
    for decision, body in VALID.items():
        assert parse_screening(body).decision == decision


def test_503_with_retry_after_is_retried_with_the_same_key(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(
        Reply(503, {"type": "urn:counterguard:problem:busy"}, {"Retry-After": "1"}), Reply(201, VALID_WARN)
    )
    client = make_client(fake_service.url, retry_budget_seconds=5)
    key = uuid.uuid4().hex
    started = time.monotonic()
    result = client.screen(remittance(), key)
    elapsed = time.monotonic() - started
    assert result == parse_screening(VALID_WARN)
    assert len(fake_service.requests) == 2
    assert [r.headers["idempotency-key"] for r in fake_service.requests] == [key, key]
    assert fake_service.requests[0].body == fake_service.requests[1].body
    assert elapsed >= 0.9  # it honoured Retry-After: 1 (not its own shorter backoff)


@pytest.mark.parametrize("status", [503, 429])
def test_busy_forever_is_busy_within_the_budget(
    make_client: MakeClient, fake_service: ScriptedServer, status: int
) -> None:
    fake_service.script(Reply(status, {"type": "urn:counterguard:problem:busy", "status": status}))
    client = make_client(fake_service.url, retry_budget_seconds=1)
    started = time.monotonic()
    result = client.screen(remittance(), uuid.uuid4().hex)
    elapsed = time.monotonic() - started
    assert failure_of(result, FailureReason.BUSY).status == status
    assert elapsed < 1 + MARGIN_SECONDS
    assert len(fake_service.requests) >= 2  # it did retry
    assert len({r.headers["idempotency-key"] for r in fake_service.requests}) == 1


def test_429_then_success(make_client: MakeClient, fake_service: ScriptedServer) -> None:
    fake_service.script(Reply(429, {"status": 429}, {"Retry-After": "0"}), Reply(200, VALID_BLOCK))
    client = make_client(fake_service.url, retry_budget_seconds=3)
    result = client.screen(remittance(), "key-429")
    assert isinstance(result, ScreeningResult) and result.decision == "block"
    assert [r.headers["idempotency-key"] for r in fake_service.requests] == ["key-429", "key-429"]


def test_retry_after_beyond_the_budget_gives_up_at_once(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(Reply(503, {"status": 503}, {"Retry-After": "3600"}))
    client = make_client(fake_service.url, retry_budget_seconds=2)
    started = time.monotonic()
    failure_of(client.screen(remittance(), uuid.uuid4().hex), FailureReason.BUSY)
    assert time.monotonic() - started < MARGIN_SECONDS
    assert len(fake_service.requests) == 1


@pytest.mark.parametrize(
    "retry_after", ["soon", "Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 99 Foo 2015 25:61:00 GMT", ""]
)
def test_odd_retry_after_values_are_still_bounded(
    make_client: MakeClient, fake_service: ScriptedServer, retry_after: str
) -> None:
    fake_service.script(Reply(503, {"status": 503}, {"Retry-After": retry_after}), Reply(201, VALID_ALLOW))
    client = make_client(fake_service.url, retry_budget_seconds=2)
    started = time.monotonic()
    result = client.screen(remittance(), uuid.uuid4().hex)
    assert time.monotonic() - started < 2 + MARGIN_SECONDS
    # An unreadable Retry-After falls back to the client's own backoff; a past date means now.
    assert result == parse_screening(VALID_ALLOW)
    assert len(fake_service.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"type": "urn:counterguard:problem:internal", "status": 500, "detail": "boom"}),
        Reply(500, b"Internal Server Error", {"Content-Type": "text/plain"}),
        Reply(501, b"<html>not implemented</html>", {"Content-Type": "text/html"}),
    ],
    ids=["problem-json", "plain-text", "html"],
)
def test_server_error_is_a_server_error(
    make_client: MakeClient, fake_service: ScriptedServer, reply: Reply
) -> None:
    fake_service.script(reply)
    client = make_client(fake_service.url, retry_budget_seconds=1)
    assert failure_of(client.screen(remittance(), uuid.uuid4().hex), FailureReason.SERVER_ERROR).status == (
        reply.status
    )


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_retried_then_server_errors(
    make_client: MakeClient, fake_service: ScriptedServer, status: int
) -> None:
    fake_service.script(Reply(status, b"bad gateway", {"Content-Type": "text/plain"}))
    client = make_client(fake_service.url, retry_budget_seconds=1)
    started = time.monotonic()
    assert failure_of(client.screen(remittance(), "k"), FailureReason.SERVER_ERROR).status == status
    assert time.monotonic() - started < 1 + MARGIN_SECONDS
    assert len(fake_service.requests) >= 2


def test_unauthorized_without_a_problem_document(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(Reply(401, b"go away", {"Content-Type": "text/plain"}))
    client = make_client(fake_service.url)
    assert failure_of(client.screen(remittance(), "k"), FailureReason.UNAUTHORIZED).status == 401


# ================================================================ answers that do not match the contract


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


MALFORMED = {
    "not-json": b"<html>screening</html>",
    "truncated-json": b'{"decision": "allow", "score": ',
    "empty": b"",
    "json-list": [VALID_ALLOW],
    "json-string": "allow",
    "json-null": None,
    "decision-maybe": {**VALID_WARN, "decision": "maybe"},
    "decision-ALLOW": {**VALID_ALLOW, "decision": "ALLOW"},
    "decision-number": {**VALID_ALLOW, "decision": 0},
    "block-lists-proceed": {**VALID_BLOCK, "allowed_actions": ["cancel", "proceed"]},
    "missing-decision": without(VALID_ALLOW, "decision"),
    "missing-screening-id": without(VALID_ALLOW, "screening_id"),
    "missing-reasons": without(VALID_WARN, "reasons"),
    "missing-expiry": without(VALID_ALLOW, "expires_at"),
    "missing-name-check": without(VALID_ALLOW, "payee_name_check"),
    "score-150": {**VALID_ALLOW, "score": 150},
    "score-negative": {**VALID_ALLOW, "score": -1},
    "score-text": {**VALID_ALLOW, "score": "10"},
    "score-float": {**VALID_ALLOW, "score": 10.5},
    "score-bool": {**VALID_ALLOW, "score": True},
    "warn-without-reasons": {**VALID_WARN, "reasons": []},
    "hold-without-reasons": {**VALID_HOLD, "reasons": []},
    "block-without-reasons": {**VALID_BLOCK, "reasons": []},
    "reason-not-object": {**VALID_WARN, "reasons": ["PURPOSE_BRUSHING"]},
    "reason-without-message": {**VALID_WARN, "reasons": [without(VALID_WARN["reasons"][0], "message")]},
    "unknown-action": {**VALID_ALLOW, "allowed_actions": ["proceed", "launch"]},
    "unknown-name-outcome": {**VALID_ALLOW, "payee_name_check": {"outcome": "probably"}},
    "question-without-text": {**VALID_WARN, "questions": [{"id": "q1"}]},
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
@pytest.mark.parametrize("status", [200, 201])
def test_malformed_answer_is_a_bad_response(
    make_client: MakeClient, fake_service: ScriptedServer, body: Any, status: int
) -> None:
    fake_service.script(Reply(status, body))
    client = make_client(fake_service.url, retry_budget_seconds=1)
    result = client.screen(remittance(), uuid.uuid4().hex)
    assert failure_of(result, FailureReason.BAD_RESPONSE).status == status
    assert len(fake_service.requests) == 1  # a wrong answer is not retried into a different one


def test_no_content_to_a_screening_is_a_bad_response(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(Reply(204))
    client = make_client(fake_service.url)
    failure_of(client.screen(remittance(), uuid.uuid4().hex), FailureReason.BAD_RESPONSE)


def test_malformed_session_grant_signs_nobody_in(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(Reply(201, {"token": "cgs_x", "expires_at": "2026-11-20T08:00:00Z"}))
    client = make_client(fake_service.url)
    failure_of(client.sign_in("T1001", "teller-demo-1"), FailureReason.BAD_RESPONSE)
    assert client.session_token is None


def test_every_call_sends_the_terminal_key_and_posts_an_idempotency_key(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(
        Reply(201, {"token": "cgs_t", "expires_at": "x", "teller": {**TELLER}}),
        Reply(201, VALID_ALLOW),
        Reply(200, {"status": "ok"}),
    )
    client = make_client(fake_service.url, "cgk_abc_secret")
    assert isinstance(client.sign_in("T1001", "pw"), SessionGrant)
    assert isinstance(client.screen(remittance(), "screen-key"), ScreeningResult)
    assert isinstance(client.health(), dict)
    sign_in, screen, health = fake_service.requests
    assert all(r.headers["x-terminal-key"] == "cgk_abc_secret" for r in fake_service.requests)
    assert sign_in.headers["idempotency-key"] and "authorization" not in sign_in.headers
    assert screen.headers["idempotency-key"] == "screen-key"
    assert screen.headers["authorization"] == "Bearer cgs_t"
    assert "idempotency-key" not in health.headers


TELLER = {"teller_id": "T1001", "display_name": "李娜", "role": "teller", "branch_id": "BJ0101"}


# ---------------------------------------------------------------- properties

_json_leaf = (
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    _json_leaf | st.sampled_from(["allow", "warn", "hold", "block", "proceed", "cancel", "match"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

PATHS: list[tuple[Any, ...]] = [
    ("screening_id",),
    ("decision",),
    ("score",),
    ("reasons",),
    ("reasons", 0),
    ("reasons", 0, "code"),
    ("reasons", 0, "score"),
    ("reasons", 0, "message"),
    ("reasons", 0, "message", "en"),
    ("reasons", 0, "typology_label"),
    ("payee_name_check",),
    ("payee_name_check", "outcome"),
    ("payee_name_check", "name_on_record"),
    ("questions",),
    ("questions", 0, "id"),
    ("questions", 0, "text"),
    ("required_actions",),
    ("allowed_actions",),
    ("allowed_actions", 0),
    ("expires_at",),
    ("rules_version",),
]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Any:
    """A valid screening answer with one field deleted or replaced by arbitrary JSON."""
    body = copy.deepcopy(VALID[draw(st.sampled_from(DECISIONS))])
    path = draw(st.sampled_from(PATHS))
    parent: Any = body
    for step in path[:-1]:
        if isinstance(parent, list) and not parent:
            return body  # an allow has no reasons or questions to change
        parent = parent[step]
    last = path[-1]
    if isinstance(parent, list) and not parent:
        return body
    if draw(st.booleans()):
        del parent[last]
    else:
        parent[last] = draw(json_values)
    return body


def check_never_allow_unless_the_body_says_so(body: Any, result: ScreeningResult | ServiceFailure) -> None:
    if isinstance(result, ServiceFailure):
        assert result.reason == FailureReason.BAD_RESPONSE, result
        with pytest.raises(ContractError):
            parse_screening(body)
        return
    assert isinstance(result, ScreeningResult), result
    assert result == parse_screening(body)
    assert result.decision == body["decision"] and result.decision in DECISIONS
    assert 0 <= result.score <= 100
    if result.decision != "allow":
        assert result.reasons
    if result.decision == "block":
        assert "proceed" not in result.allowed_actions


@settings(max_examples=300, deadline=None)
@given(body=mutated_bodies() | json_values)
def test_parse_screening_rejects_or_tells_the_truth(body: Any) -> None:
    try:
        result: ScreeningResult | ServiceFailure = parse_screening(body)
    except ContractError as error:
        result = ServiceFailure(FailureReason.BAD_RESPONSE, str(error))
    check_never_allow_unless_the_body_says_so(body, result)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the server is re-scripted per example
)
@given(body=mutated_bodies())
def test_mutated_answers_through_the_client_never_become_allow(
    make_client: MakeClient, fake_service: ScriptedServer, body: Any
) -> None:
    fake_service.script(Reply(201, body))
    client = make_client(fake_service.url, retry_budget_seconds=1)
    result = client.screen(remittance(), "property-key")
    check_never_allow_unless_the_body_says_so(body, result)
    assert len(fake_service.requests) == 1


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_an_oversized_answer_is_refused_without_reading_it_all(
    make_client: MakeClient, fake_service: ScriptedServer, compressed: bool
) -> None:
    # 64 MiB of JSON whitespace: gzip squeezes it into about 64 KB, which used to inflate in memory.
    huge = b"{" + b" " * (64 * 1024 * 1024) + b"}"
    body, headers = (gzip.compress(huge, 9), {"Content-Encoding": "gzip"}) if compressed else (huge, {})
    fake_service.script(Reply(200, body, headers))
    client = make_client(fake_service.url, retry_budget_seconds=2)
    failure = failure_of(client.health(), FailureReason.BAD_RESPONSE)
    assert str(MAX_ANSWER_BYTES) in failure.detail
    assert len(fake_service.requests) == 1  # not retried: the same answer would come back


def test_a_redirect_is_not_read_either(make_client: MakeClient, fake_service: ScriptedServer) -> None:
    # requests used to read a 3xx answer's whole body (to prepare following it) before our cap applied.
    huge = b"{" + b" " * (64 * 1024 * 1024) + b"}"
    fake_service.script(Reply(302, gzip.compress(huge, 9), {"Content-Encoding": "gzip", "Location": "/x"}))
    client = make_client(fake_service.url, retry_budget_seconds=2)
    tracemalloc.start()
    try:
        failure = failure_of(client.health(), FailureReason.BAD_RESPONSE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "redirected" in failure.detail or str(MAX_ANSWER_BYTES) in failure.detail
    assert peak < 16 * 1024 * 1024, f"{peak / 2**20:.0f} MiB read for a redirect"


def test_a_cut_off_timer_firing_late_touches_nothing() -> None:
    # The timer may fire just after the answer was read and the connection went back to the pool,
    # where another thread may take it: a late cut must neither shut it nor call the answer cut off.
    left, right = socket.socketpair()
    with left, right:
        cutoff = _Cutoff()
        with cutoff.after(60):
            _Cutoff.watch(left)
        cutoff._cut()  # what a timer already running when the attempt ended does
        assert not cutoff.expired
        right.sendall(b"x")
        assert left.recv(1) == b"x"  # still open


def test_the_cut_off_reaches_the_socket_under_a_proxy_tunnel() -> None:
    # Through an HTTPS proxy urllib3 reads from an SSLTransport, which is not a socket but wraps one.
    left, right = socket.socketpair()
    with left, right:
        tunnel = types.SimpleNamespace(socket=left)
        cutoff = _Cutoff()
        with cutoff.after(60):
            _Cutoff.watch(tunnel)  # type: ignore[arg-type]
            cutoff._cut()
            assert cutoff.expired
            assert left.recv(1) == b""  # shut down: the read ends at once
