"""Every endpoint over real HTTP: authentication, sessions, idempotency, acknowledgements, lookups."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, update

from screening_service.admin import add_teller, issue_terminal_key
from screening_service.database import make_engine
from screening_service.schema import acknowledgements, screenings
from screening_service.timeutil import utc_now
from tests.service.conftest import (
    Api,
    RunningService,
    add_test_teller,
    customer,
    remittance,
    seeded,
    start_service,
)

POLICE_LISTED = "6222000011112222337"
PEER_LISTED = "6214830012341234120"


@pytest.fixture(scope="module")
def teller(service: RunningService) -> Api:
    return service.teller()


def count_rows(service: RunningService, table: Any) -> int:
    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(count)


def assert_problem(response: requests.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"urn:counterguard:problem:{kind}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    return problem


def fields_named(problem: dict[str, Any]) -> set[str]:
    return {error["field"] for error in problem.get("errors", [])}


# ---------------------------------------------------------------- health and authentication


def test_health_needs_terminal_key(service: RunningService) -> None:
    ok = service.counter().get("/v1/health")
    assert ok.status_code == 200
    assert ok.json()["terminal_id"] == service.seed.counter_terminal_id
    assert ok.json()["database"] == "ok"
    assert_problem(requests.get(f"{service.url}/v1/health", timeout=5), 401, "unauthorized")


def test_openapi_lists_every_endpoint(service: RunningService) -> None:
    paths = requests.get(f"{service.url}/openapi.json", timeout=5).json()["paths"]
    assert {
        "/v1/screenings",
        "/v1/screenings/{screening_id}/acknowledgements",
        "/v1/accounts/{account_number}/risk",
        "/v1/reports",
        "/v1/sessions",
        "/v1/health",
    } <= set(paths)


@pytest.mark.parametrize("key", ["", "not-a-key", "cgk_000000000000_wrongsecret", "cgk__", "Bearer x"])
def test_bad_terminal_keys_are_refused(service: RunningService, key: str) -> None:
    response = Api(service.url, key).sign_in("T1001", "teller-demo-1")
    assert_problem(response, 401, "unauthorized")


def test_reissued_key_revokes_the_old_one(service: RunningService) -> None:
    engine = make_engine(service.process.database_url)
    old = issue_terminal_key(engine, "BJ0101-C09", "BJ0101").key
    new = issue_terminal_key(engine, "BJ0101-C09", "BJ0101").key
    engine.dispose()
    assert_problem(Api(service.url, old).get("/v1/health"), 401, "unauthorized")
    assert Api(service.url, new).get("/v1/health").status_code == 200


def test_teller_actions_need_a_session(service: RunningService) -> None:
    counter = service.counter()
    assert_problem(counter.screen(remittance()), 401, "unauthorized")
    counter.token = "cgs_made-up-token"
    assert_problem(counter.screen(remittance()), 401, "unauthorized")


def test_session_is_bound_to_its_terminal(service: RunningService, teller: Api) -> None:
    elsewhere = Api(service.url, service.seed.kiosk_key, teller.token)
    assert_problem(elsewhere.screen(remittance()), 403, "forbidden")


def test_sign_out_ends_the_session(service: RunningService) -> None:
    api = service.teller("T1002")
    signed_out = api.session.delete(f"{api.url}/v1/sessions/current", headers=api.headers(), timeout=5)
    assert signed_out.status_code == 204
    assert_problem(api.screen(remittance()), 401, "unauthorized")


# ---------------------------------------------------------------- sign-in and lockout


def test_sign_in_returns_teller_and_expiry(service: RunningService) -> None:
    response = service.counter().sign_in("S2001", "super-demo-1")
    assert response.status_code == 201
    body = response.json()
    assert body["teller"] == {
        "teller_id": "S2001",
        "display_name": "王芳",
        "role": "supervisor",
        "branch_id": "BJ0101",
    }
    assert body["token"].startswith("cgs_") and body["expires_at"].endswith("Z")


def test_wrong_password_and_unknown_teller_look_the_same(service: RunningService) -> None:
    wrong = assert_problem(service.counter().sign_in("T1001", "nope-nope"), 401, "unauthorized")
    unknown = assert_problem(service.counter().sign_in("T9999", "nope-nope"), 401, "unauthorized")
    assert wrong["detail"] == unknown["detail"]


def test_lockout_after_repeated_failures(service: RunningService) -> None:
    teller_id = f"L{uuid.uuid4().hex[:6]}"
    password = add_test_teller(service.process.database_url, teller_id)
    counter = service.counter()
    for _ in range(5):
        assert_problem(counter.sign_in(teller_id, "wrong-password"), 401, "unauthorized")
    locked = assert_problem(counter.sign_in(teller_id, password), 423, "locked")
    assert teller_id in locked["detail"]
    # Other tellers are unaffected.
    assert counter.sign_in("T1001", "teller-demo-1").status_code == 201


def test_success_resets_the_failure_count(service: RunningService) -> None:
    teller_id = f"R{uuid.uuid4().hex[:6]}"
    password = add_test_teller(service.process.database_url, teller_id)
    counter = service.counter()
    for _ in range(4):
        counter.sign_in(teller_id, "wrong-password")
    assert counter.sign_in(teller_id, password).status_code == 201
    for _ in range(4):
        counter.sign_in(teller_id, "wrong-password")
    assert counter.sign_in(teller_id, password).status_code == 201


def test_only_supervisors_can_approve(service: RunningService) -> None:
    assert_problem(service.counter().sign_in("T1001", "teller-demo-1", "approval"), 403, "forbidden")


def test_teller_of_another_branch_is_refused(service: RunningService) -> None:
    engine = make_engine(service.process.database_url)
    add_teller(engine, "SH0001", "Shanghai teller", "teller", "SH0201", "shanghai-pass")
    engine.dispose()
    problem = assert_problem(service.counter().sign_in("SH0001", "shanghai-pass"), 403, "forbidden")
    assert "SH0201" in problem["detail"]


# ---------------------------------------------------------------- screenings: idempotency


def test_idempotency_key_is_required(teller: Api) -> None:
    response = teller.post("/v1/screenings", remittance())
    problem = assert_problem(response, 400, "idempotency-key-missing")
    assert fields_named(problem) == {"header.Idempotency-Key"}


def test_same_key_same_body_replays(service: RunningService, teller: Api) -> None:
    body = remittance(customer=customer())
    key = uuid.uuid4().hex
    before = count_rows(service, screenings)
    first = teller.screen(body, key)
    again = teller.screen(body, key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert count_rows(service, screenings) == before + 1


def test_same_key_other_body_conflicts(teller: Api) -> None:
    key = uuid.uuid4().hex
    assert teller.screen(remittance(amount="100.00"), key).status_code == 201
    assert_problem(teller.screen(remittance(amount="200.00"), key), 409, "idempotency-key-reused")


def test_screening_expiry_is_stated(teller: Api) -> None:
    body = teller.screen(remittance()).json()
    assert body["expires_at"] > body["created_at"]
    assert body["rules_version"]


# ---------------------------------------------------------------- screenings: bad input


BAD_INPUTS = [
    ({"amount": "12.345"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": 100}, "amount"),
    ({"amount": "1,000.00"}, "amount"),
    ({"payee_account": "abc"}, "payee_account"),
    ({"payee_account": "6222020200112233446"}, "payee_account"),
    ({"currency": "rmb"}, "currency"),
    ({"arrival_mode": "tomorrow"}, "arrival_mode"),
    ({"payee_name": ""}, "payee_name"),
    ({"purpose": "x" * 201}, "purpose"),
    ({"branch_id": "SH0201"}, "branch_id"),
    ({"customer": {"id_number": "110105198105170001"}}, "customer.id_number"),
    ({"customer": {"birth_date": "1990-01-01"}}, "customer.birth_date"),
    ({"customer": {"id_type": "library_card"}}, "customer.id_type"),
    ({"face_verification": {"distance": 7}}, "face_verification.distance"),
    ({"face_verification": {"outcome": "probably"}}, "face_verification.outcome"),
    ({"surprise": True}, "surprise"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INPUTS, ids=[f for _, f in BAD_INPUTS])
def test_bad_input_names_the_field_and_writes_nothing(
    service: RunningService, teller: Api, changes: dict[str, Any], field: str
) -> None:
    before = count_rows(service, screenings)
    problem = assert_problem(teller.screen(remittance(**changes)), 422, "validation")
    assert field in fields_named(problem), problem
    assert field in problem["detail"]
    assert count_rows(service, screenings) == before


def test_missing_fields_and_broken_json_are_named(teller: Api) -> None:
    body = remittance()
    del body["payee_account"]
    problem = assert_problem(teller.screen(body), 422, "validation")
    assert "payee_account" in fields_named(problem)
    broken = teller.session.post(
        f"{teller.url}/v1/screenings",
        data="{not json",
        headers=teller.headers(**{"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}),
        timeout=5,
    )
    assert fields_named(assert_problem(broken, 422, "validation")) == {"body"}


def test_unknown_route_is_a_problem_document(service: RunningService) -> None:
    assert_problem(service.counter().get("/v1/nothing-here"), 404, "http")


# ---------------------------------------------------------------- acknowledgements


def screened(teller: Api, **changes: Any) -> dict[str, Any]:
    response = teller.screen(remittance(customer=customer(), **changes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def answers_for(screening: dict[str, Any]) -> list[dict[str, str]]:
    return [{"question_id": q["id"], "answer": "客户说明了情况"} for q in screening["questions"]]


def test_block_can_never_proceed(teller: Api) -> None:
    blocked = screened(teller, payee_account=POLICE_LISTED, payee_name="刘洋")
    assert blocked["decision"] == "block"
    assert "proceed" not in blocked["allowed_actions"]
    refused = teller.ack(
        blocked["screening_id"],
        {"action": "proceed", "answers": answers_for(blocked), "note": "customer insists"},
    )
    problem = assert_problem(refused, 409, "proceed-not-allowed")
    assert "never" in problem["detail"]
    assert teller.ack(blocked["screening_id"], {"action": "refer_police", "note": "110"}).status_code == 201
    cancelled = teller.ack(blocked["screening_id"], {"action": "cancel"})
    assert cancelled.status_code == 201 and cancelled.json()["final"] is True


def test_warn_needs_answers_and_note(teller: Api) -> None:
    warned = screened(teller, purpose="刷单返利")
    assert warned["decision"] == "warn"
    screening_id = warned["screening_id"]
    problem = assert_problem(
        teller.ack(screening_id, {"action": "proceed", "note": "ok"}), 409, "questions-unanswered"
    )
    assert fields_named(problem) == {"answers"}
    assert_problem(
        teller.ack(screening_id, {"action": "proceed", "answers": answers_for(warned)}),
        409,
        "note-required",
    )
    done = teller.ack(
        screening_id,
        {"action": "proceed", "answers": answers_for(warned), "note": "为本人网店结算货款，已核实"},
    )
    assert done.status_code == 201, done.text
    assert done.json()["action"] == "proceed" and done.json()["final"] is True


def test_hold_needs_a_different_supervisor(service: RunningService, teller: Api) -> None:
    held = screened(teller, payee_account=PEER_LISTED, payee_name="周杰")
    assert held["decision"] == "hold"
    base = {"action": "proceed", "answers": answers_for(held), "note": "客户与收款人为同事"}
    assert_problem(teller.ack(held["screening_id"], base), 409, "supervisor-approval-required")

    approval = teller.approval("S2001", "super-demo-1")
    approved = teller.ack(held["screening_id"], {**base, "supervisor_approval": {"approval_token": approval}})
    assert approved.status_code == 201, approved.text

    # The same approval cannot be spent twice.
    held_again = screened(teller, payee_account=PEER_LISTED, payee_name="周杰")
    reuse = teller.ack(
        held_again["screening_id"],
        {
            "action": "proceed",
            "answers": answers_for(held_again),
            "note": "again",
            "supervisor_approval": {"approval_token": approval},
        },
    )
    assert "already been used" in assert_problem(reuse, 409, "supervisor-approval-invalid")["detail"]

    # A supervisor working the counter cannot approve their own remittance.
    supervisor_at_counter = service.teller("S2002", "super-demo-1")
    own = screened(supervisor_at_counter, payee_account=PEER_LISTED, payee_name="周杰")
    own_approval = supervisor_at_counter.approval("S2002", "super-demo-1")
    self_approved = supervisor_at_counter.ack(
        own["screening_id"],
        {
            "action": "proceed",
            "answers": answers_for(own),
            "note": "self",
            "supervisor_approval": {"approval_token": own_approval},
        },
    )
    assert "dual control" in assert_problem(self_approved, 409, "supervisor-approval-invalid")["detail"]


def test_a_teller_session_token_is_not_an_approval(teller: Api) -> None:
    held = screened(teller, payee_account=PEER_LISTED, payee_name="周杰")
    refused = teller.ack(
        held["screening_id"],
        {
            "action": "proceed",
            "answers": answers_for(held),
            "note": "n",
            "supervisor_approval": {"approval_token": teller.token or ""},
        },
    )
    assert_problem(refused, 409, "supervisor-approval-invalid")


def test_delay_arrival(teller: Api) -> None:
    warned = screened(teller, purpose="支付贷款保证金")
    assert_problem(teller.ack(warned["screening_id"], {"action": "delay_arrival"}), 422, "validation")
    delayed = teller.ack(warned["screening_id"], {"action": "delay_arrival", "delay": "next_day"})
    assert delayed.status_code == 201 and delayed.json()["delay"] == "next_day"


def test_only_one_final_decision(teller: Api) -> None:
    allowed = screened(teller)
    assert teller.ack(allowed["screening_id"], {"action": "proceed"}).status_code == 201
    assert_problem(teller.ack(allowed["screening_id"], {"action": "cancel"}), 409, "already-decided")


def test_client_event_id_is_idempotent(service: RunningService, teller: Api) -> None:
    allowed = screened(teller)
    event = {"client_event_id": f"evt-{uuid.uuid4().hex}", "action": "cancel", "note": "changed mind"}
    before = count_rows(service, acknowledgements)
    first = teller.ack(allowed["screening_id"], event)
    again = teller.ack(allowed["screening_id"], event)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert count_rows(service, acknowledgements) == before + 1
    assert_problem(
        teller.ack(allowed["screening_id"], {**event, "note": "other"}), 409, "client-event-reused"
    )


def test_unknown_question_and_unknown_screening(teller: Api, service: RunningService) -> None:
    warned = screened(teller, purpose="刷单")
    problem = assert_problem(
        teller.ack(
            warned["screening_id"],
            {"action": "cancel", "answers": [{"question_id": "nope", "answer": "x"}]},
        ),
        422,
        "validation",
    )
    assert fields_named(problem) == {"answers[0].question_id"}
    assert_problem(teller.ack("scr_doesnotexist", {"action": "cancel"}), 404, "not-found")


def test_screening_of_another_terminal_is_not_found(service: RunningService, teller: Api) -> None:
    engine = make_engine(service.process.database_url)
    other_key = issue_terminal_key(engine, "BJ0101-C05", "BJ0101").key
    engine.dispose()
    other = Api(service.url, other_key).signed_in("T1002", "teller-demo-1")
    theirs = screened(other)
    assert_problem(teller.ack(theirs["screening_id"], {"action": "cancel"}), 404, "not-found")


def test_expired_screening_cannot_proceed_but_can_be_cancelled(service: RunningService, teller: Api) -> None:
    allowed = screened(teller)
    engine = make_engine(service.process.database_url)
    with engine.begin() as connection:
        connection.execute(
            update(screenings)
            .where(screenings.c.screening_id == allowed["screening_id"])
            .values(expires_at=utc_now() - timedelta(minutes=1))
        )
    engine.dispose()
    assert_problem(teller.ack(allowed["screening_id"], {"action": "proceed"}), 409, "screening-expired")
    assert teller.ack(allowed["screening_id"], {"action": "cancel"}).status_code == 201


# ---------------------------------------------------------------- public lookup and reports


def test_account_risk_lookup(service: RunningService) -> None:
    kiosk = service.kiosk()
    expected = {POLICE_LISTED: "police_listed", PEER_LISTED: "reported", "6212260200001234562": "no_record"}
    for account, status in expected.items():
        response = kiosk.get(f"/v1/accounts/{account}/risk")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == status
        assert set(body) == {"account", "status", "advice"}
        # No personal data: the account is masked and no holder name appears.
        assert body["account"].endswith(account[-4:]) and account not in body["account"]
        assert "王小明" not in response.text and "刘洋" not in response.text
        assert body["advice"]["zh-CN"] and body["advice"]["en"]
    problem = assert_problem(kiosk.get("/v1/accounts/12ab/risk"), 422, "validation")
    assert fields_named(problem) == {"account_number"}


def test_report_lists_the_account_as_internal(service: RunningService, teller: Api) -> None:
    account = f"62{uuid.uuid4().int % 10**17:017d}"
    kiosk = service.kiosk()
    assert kiosk.get(f"/v1/accounts/{account}/risk").json()["status"] == "no_record"
    report = {
        "account_number": account,
        "account_name": "某某",
        "bank": "测试银行",
        "typology": "brushing",
        "description": "客户称对方要求刷单返利并提供此账户",
    }
    key = uuid.uuid4().hex
    created = teller.post("/v1/reports", report, **{"Idempotency-Key": key})
    assert created.status_code == 201, created.text
    assert created.json()["account"].endswith(account[-4:])
    assert teller.post("/v1/reports", report, **{"Idempotency-Key": key}).json() == created.json()
    assert kiosk.get(f"/v1/accounts/{account}/risk").json()["status"] == "reported"
    bad = assert_problem(teller.post("/v1/reports", {**report, "typology": "astrology"}), 422, "validation")
    assert fields_named(bad) == {"typology"}


def test_lookup_is_rate_limited_per_terminal(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    seed = seeded(database_url)
    process = start_service(database_url, tmp_path_factory.mktemp("rl"), "--lookup-per-minute", "3")
    try:
        kiosk = Api(process.url, seed.kiosk_key)
        # Fixed one-minute windows: a boundary may fall between two requests, so count the
        # successes before the first refusal instead of expecting it at a given request.
        responses = []
        for _ in range(7):
            responses.append(kiosk.get(f"/v1/accounts/{PEER_LISTED}/risk"))
            if responses[-1].status_code != 200:
                break
        limited = responses[-1]
        problem = assert_problem(limited, 429, "rate-limited")
        assert len(responses) - 1 >= 3
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        assert "3 lookups a minute" in problem["detail"]
        # Another terminal has its own allowance.
        other = Api(process.url, seed.counter_key).get(f"/v1/accounts/{PEER_LISTED}/risk")
        assert other.status_code == 200
    finally:
        process.stop()
