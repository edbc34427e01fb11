"""The lobby pre-screen through the client core: submit, read back, link to a screening, parse safely."""

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from teller_client.audit import AuditStore
from teller_client.contract import ContractError, ScreeningResult, parse_prescreen, parse_screening
from teller_client.service_client import FailureReason, ServiceClient
from teller_client.workflow import CounterSession, Remittance
from tests.client.conftest import MakeClient, Reply, ScriptedServer
from tests.client.test_service_client import VALID_HOLD, VALID_WARN, failure_of, signed_in
from tests.client.test_workflow import CUSTOMER, MATCH, REMITTANCE, UNAVAILABLE
from tests.service.conftest import RunningService, customer, remittance

ANSWERS: dict[str, Any] = {
    "purpose": "safe_account_request",
    "purpose_text": "对方说账户涉嫌洗钱",
    "who_asked": "caller_claiming_authority",
    "relationship_to_payee": "never_met",
    "urgency": "immediately_or_threatened",
    "on_phone_now": True,
    "told_to_keep_secret": True,
    "first_time_payee": True,
    "amount_band": "under_10k",
    "remarks": None,
}
PRESCREEN = {
    "code": "KQ7-M4X",
    "created_at": "2026-11-27T09:00:00Z",
    "expires_at": "2026-11-28T09:00:00Z",
    "answers": {key: value for key, value in ANSWERS.items() if value is not None},
}


def kiosk_client(make_client: MakeClient, service: RunningService) -> ServiceClient:
    return make_client(service.url, service.seed.kiosk_key)


# ---------------------------------------------------------------- the real service


def test_kiosk_submits_and_a_teller_reads_it_back(make_client: MakeClient, service: RunningService) -> None:
    created = kiosk_client(make_client, service).submit_prescreen(ANSWERS)
    assert isinstance(created, dict), created
    assert set(created) == {"code", "expires_at"}
    teller = signed_in(make_client, service)
    found = teller.get_prescreen(created["code"].lower().replace("-", " "))
    assert isinstance(found, dict), found
    assert found["code"] == created["code"] and found["expires_at"] == created["expires_at"]
    assert found["answers"] == PRESCREEN["answers"]


def test_the_kiosk_may_not_read_and_unknown_codes_are_rejected(
    make_client: MakeClient, service: RunningService
) -> None:
    kiosk = kiosk_client(make_client, service)
    created = kiosk.submit_prescreen(ANSWERS)
    assert isinstance(created, dict)
    refused = failure_of(kiosk.get_prescreen(created["code"]), FailureReason.UNAUTHORIZED)
    assert refused.status == 403
    teller = signed_in(make_client, service)
    unknown = failure_of(teller.get_prescreen("ZZZ-ZZZ"), FailureReason.REJECTED)
    assert unknown.status == 404 and "expired" in unknown.detail
    failure_of(teller.get_prescreen("  "), FailureReason.REJECTED)
    # A code with a slash stays one path segment.
    assert failure_of(teller.get_prescreen("AB/C23"), FailureReason.REJECTED).status == 404


def test_bad_answers_come_back_as_a_named_rejection(make_client: MakeClient, service: RunningService) -> None:
    failure = failure_of(
        kiosk_client(make_client, service).submit_prescreen({**ANSWERS, "urgency": "whenever"}),
        FailureReason.REJECTED,
    )
    assert failure.status == 422
    assert [error["field"] for error in (failure.problem or {})["errors"]] == ["urgency"]


def test_a_screening_with_the_code_carries_the_answers(
    make_client: MakeClient, service: RunningService
) -> None:
    created = kiosk_client(make_client, service).submit_prescreen(ANSWERS)
    assert isinstance(created, dict)
    teller = signed_in(make_client, service)
    result = teller.screen(remittance(customer=customer(), prescreen_code=created["code"]), uuid.uuid4().hex)
    assert isinstance(result, ScreeningResult), result
    assert result.decision == "hold"
    assert {"PRESCREEN_AUTHORITY_CALLER", "PRESCREEN_SAFE_ACCOUNT"} <= {r.code for r in result.reasons}
    assert result.prescreen is not None and result.prescreen["answers"] == PRESCREEN["answers"]
    plain = teller.screen(remittance(customer=customer()), uuid.uuid4().hex)
    assert isinstance(plain, ScreeningResult) and plain.prescreen is None


# ---------------------------------------------------------------- what goes over the wire


def test_submit_sends_one_idempotency_key_across_retries_and_no_session(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(
        Reply(503, {"type": "urn:counterguard:problem:database-unavailable"}, {"Retry-After": "0"}),
        Reply(201, {"code": "KQ7-M4X", "expires_at": "2026-11-28T09:00:00Z"}),
    )
    client = make_client(fake_service.url, "cgk_kiosk_secret", retry_budget_seconds=5)
    client.session_token = "cgs_should_not_be_sent"
    assert client.submit_prescreen(ANSWERS) == {"code": "KQ7-M4X", "expires_at": "2026-11-28T09:00:00Z"}
    first, second = fake_service.requests
    assert first.method == second.method == "POST" and first.path == "/v1/prescreens"
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert "authorization" not in first.headers
    assert json.loads(first.body) == ANSWERS
    # A new questionnaire is a new key.
    fake_service.script(Reply(201, {"code": "ABC-234", "expires_at": "2026-11-28T09:00:00Z"}))
    client.submit_prescreen(ANSWERS)
    assert fake_service.requests[0].headers["idempotency-key"] != first.headers["idempotency-key"]


@pytest.mark.parametrize(
    "body",
    [{"code": "", "expires_at": "x"}, {"code": 7, "expires_at": "x"}, {"code": "KQ7-M4X"}, ["KQ7-M4X"]],
)
def test_a_malformed_created_answer_is_a_bad_response(
    make_client: MakeClient, fake_service: ScriptedServer, body: Any
) -> None:
    fake_service.script(Reply(201, body))
    failure_of(make_client(fake_service.url).submit_prescreen(ANSWERS), FailureReason.BAD_RESPONSE)


def test_get_sends_the_session_and_quotes_the_code(
    make_client: MakeClient, fake_service: ScriptedServer
) -> None:
    fake_service.script(Reply(200, PRESCREEN))
    client = make_client(fake_service.url)
    client.session_token = "cgs_teller"
    assert client.get_prescreen("kq7 m4x") == PRESCREEN
    assert client.get_prescreen("A/B?C") == PRESCREEN
    plain, odd = fake_service.requests
    assert plain.path == "/v1/prescreens/kq7%20m4x" and plain.headers["authorization"] == "Bearer cgs_teller"
    assert odd.path == "/v1/prescreens/A%2FB%3FC"
    assert "idempotency-key" not in plain.headers


# ---------------------------------------------------------------- parsing


def test_parse_prescreen_keeps_only_known_answers_of_the_right_type() -> None:
    body = copy.deepcopy(PRESCREEN)
    body["answers"].update(
        {
            "on_phone_now": "yes",  # not a boolean: left out, never read as true
            "urgency": 3,
            "customer_name": "张建国",
            "remarks": "  " + "很长" * 400 + "  ",
            "purpose_text": "   ",
        }
    )
    parsed = parse_prescreen(body)
    answers = parsed["answers"]
    assert "on_phone_now" not in answers and "urgency" not in answers and "customer_name" not in answers
    assert "purpose_text" not in answers
    assert len(answers["remarks"]) == 500 and answers["remarks"].startswith("很长")
    assert answers["told_to_keep_secret"] is True and answers["who_asked"] == "caller_claiming_authority"


@pytest.mark.parametrize(
    "body",
    [None, [], "KQ7-M4X", {"answers": {}}, {"code": "", "answers": {}}, {"code": "X" * 21, "answers": {}},
     {"code": "KQ7-M4X"}, {"code": "KQ7-M4X", "answers": ["purpose"]}],
)  # fmt: skip
def test_parse_prescreen_rejects_what_is_not_a_prescreen(body: Any) -> None:
    with pytest.raises(ContractError):
        parse_prescreen(body)


def test_a_screening_keeps_its_decision_whatever_its_prescreen_looks_like() -> None:
    with_prescreen = parse_screening({**VALID_HOLD, "prescreen": PRESCREEN})
    assert with_prescreen.prescreen == PRESCREEN and with_prescreen.decision == "hold"
    for broken in ("KQ7-M4X", [PRESCREEN], {"code": 5}, {"code": "KQ7-M4X", "answers": None}):
        result = parse_screening({**VALID_WARN, "prescreen": broken})
        assert result.prescreen is None
        assert result == parse_screening(VALID_WARN)


# ---------------------------------------------------------------- the workflow


@pytest.fixture
def session(tmp_path: Path) -> Any:
    store = AuditStore(tmp_path / "audit.db")
    counter = CounterSession(store, "BJ0101", "T1001")
    counter.identify(CUSTOMER)
    counter.face_consent(True)
    counter.face_verified(MATCH)
    yield counter, store
    store.close()


def test_the_code_goes_with_the_screening_request(session: Any) -> None:
    counter, store = session
    request = counter.submit(Remittance(**{**REMITTANCE.__dict__, "prescreen_code": "KQ7-M4X"}))
    assert request["prescreen_code"] == "KQ7-M4X"
    assert counter.screening_request()["prescreen_code"] == "KQ7-M4X"
    submitted = json.loads(store.records()[-1].payload)
    assert submitted["prescreen_code"] == "KQ7-M4X"


def test_without_a_code_the_request_has_no_prescreen_code(session: Any) -> None:
    counter, _store = session
    assert "prescreen_code" not in counter.submit(REMITTANCE)


def test_the_offline_procedure_leaves_the_code_out(session: Any) -> None:
    counter, store = session
    counter.submit(Remittance(**{**REMITTANCE.__dict__, "prescreen_code": "KQ7-M4X"}))
    counter.screening_failed(UNAVAILABLE)
    queued = counter.offline_procedure("S2001", "服务中断，主管批准")
    assert "prescreen_code" not in queued and queued["arrival_mode"] == "next_day"
    assert json.loads(store.records()[-1].payload)["prescreen_code_not_sent"] == "KQ7-M4X"
