"""Lobby pre-screens: created on a kiosk, read at the counter, linked to a screening, and their rules."""

import dataclasses
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from screening_service.api_models import PRESCREEN_CODE_ALPHABET, PrescreenAnswers
from screening_service.auth import Terminal
from screening_service.database import make_engine, migrate
from screening_service.prescreens import _insert, find_prescreen
from screening_service.rules import Decision, RulesError, ScreeningFacts, load_rules, parse_rules
from screening_service.schema import prescreens, screenings
from screening_service.timeutil import utc_now
from tests.service.conftest import Api, RunningService, customer, remittance
from tests.service.test_api import assert_problem, count_rows, fields_named
from tests.service.test_rules_file import facts, rule_data, shipped

RULES = load_rules()
CODE_SHOWN = re.compile(f"^[{PRESCREEN_CODE_ALPHABET}]{{3}}-[{PRESCREEN_CODE_ALPHABET}]{{3}}$")
PRESCREEN_CODES = {
    "PRESCREEN_ON_PHONE",
    "PRESCREEN_KEEP_SECRET",
    "PRESCREEN_AUTHORITY_CALLER",
    "PRESCREEN_SAFE_ACCOUNT",
    "PRESCREEN_NEVER_MET_LARGE",
}


def answers(**changes: Any) -> dict[str, Any]:
    """A harmless questionnaire: rent for the customer's own landlord, nobody pressing."""
    body: dict[str, Any] = {
        "purpose": "rent_or_bills",
        "purpose_text": "房租",
        "who_asked": "self",
        "relationship_to_payee": "business",
        "urgency": "none",
        "on_phone_now": False,
        "told_to_keep_secret": False,
        "first_time_payee": False,
        "amount_band": "under_10k",
        "remarks": None,
    }
    body.update(changes)
    return body


RISKY = answers(
    purpose="safe_account_request",
    purpose_text="对方说账户涉嫌洗钱",
    who_asked="caller_claiming_authority",
    relationship_to_payee="never_met",
    urgency="immediately_or_threatened",
    on_phone_now=True,
    told_to_keep_secret=True,
    first_time_payee=True,
    amount_band="over_200k",
    remarks="客户一直在通话",
)


@pytest.fixture(scope="module")
def teller(service: RunningService) -> Api:
    return service.teller()


def created(api: Api, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post("/v1/prescreens", body, **headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def expire(service: RunningService, code: str) -> None:
    engine = make_engine(service.process.database_url)
    with engine.begin() as connection:
        connection.execute(
            update(prescreens)
            .where(prescreens.c.code == code.replace("-", ""))
            .values(expires_at=utc_now() - timedelta(minutes=1))
        )
    engine.dispose()


# ---------------------------------------------------------------- create and read


def test_kiosk_creates_and_a_teller_reads_by_code(service: RunningService, teller: Api) -> None:
    before = utc_now()
    made = created(service.kiosk(), RISKY)
    assert set(made) == {"code", "expires_at"}
    assert CODE_SHOWN.match(made["code"]), made
    expires = datetime.fromisoformat(made["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23, minutes=59) <= expires - before <= timedelta(hours=24, minutes=1)

    for typed in (made["code"], made["code"].lower().replace("-", ""), " " + made["code"].lower() + " "):
        response = teller.get(f"/v1/prescreens/{typed}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["code"] == made["code"] and body["expires_at"] == made["expires_at"]
        assert body["answers"] == RISKY


def test_a_counter_key_may_create_without_a_session(service: RunningService, teller: Api) -> None:
    made = created(service.counter(), answers(purpose="family_support", remarks="给女儿交学费"))
    assert teller.get(f"/v1/prescreens/{made['code']}").json()["answers"]["remarks"] == "给女儿交学费"


def test_reading_needs_a_counter_and_a_teller_session(service: RunningService) -> None:
    made = created(service.kiosk(), answers())
    assert_problem(service.kiosk().get(f"/v1/prescreens/{made['code']}"), 403, "forbidden")
    assert_problem(service.counter().get(f"/v1/prescreens/{made['code']}"), 401, "unauthorized")
    assert_problem(Api(service.url, "").post("/v1/prescreens", answers()), 401, "unauthorized")


@pytest.mark.parametrize("code", ["ZZZ-ZZZ", "ABC-1O0", "nonsense-code-that-is-long", "AB"])
def test_unknown_code_is_not_found_with_a_plain_detail(teller: Api, code: str) -> None:
    problem = assert_problem(teller.get(f"/v1/prescreens/{code}"), 404, "not-found")
    assert "expired" in problem["detail"] and "code" in problem["detail"]


def test_expired_code_is_not_found(service: RunningService, teller: Api) -> None:
    made = created(service.kiosk(), answers())
    assert teller.get(f"/v1/prescreens/{made['code']}").status_code == 200
    expire(service, made["code"])
    assert_problem(teller.get(f"/v1/prescreens/{made['code']}"), 404, "not-found")


def test_nothing_personal_is_stored(service: RunningService) -> None:
    made = created(service.kiosk(), RISKY)
    assert {column.name for column in prescreens.columns} == {
        "prescreen_id",
        "code",
        "created_at",
        "expires_at",
        "terminal_id",
        "branch_id",
        "answers_json",
    }
    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        row = connection.execute(
            select(prescreens).where(prescreens.c.code == made["code"].replace("-", ""))
        ).one()
    engine.dispose()
    assert json.loads(row.answers_json) == RISKY
    assert row.terminal_id == service.seed.kiosk_terminal_id


BAD_ANSWERS = [
    ({"purpose": "astrology"}, "purpose"),
    ({"who_asked": "neighbour's cat"}, "who_asked"),
    ({"relationship_to_payee": "cousin"}, "relationship_to_payee"),
    ({"urgency": "soonish"}, "urgency"),
    ({"amount_band": "lots"}, "amount_band"),
    ({"on_phone_now": "yes"}, "on_phone_now"),
    ({"told_to_keep_secret": 1}, "told_to_keep_secret"),
    ({"first_time_payee": None}, "first_time_payee"),
    ({"purpose_text": "x" * 201}, "purpose_text"),
    ({"remarks": "y" * 501}, "remarks"),
    ({"remarks": "收款账号 6222 0200 0011 2233"}, "remarks"),
    ({"purpose_text": "打给13800138000"}, "purpose_text"),
    ({"customer_name": "张建国"}, "customer_name"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_ANSWERS, ids=[field for _, field in BAD_ANSWERS])
def test_bad_answers_name_the_field_and_store_nothing(
    service: RunningService, changes: dict[str, Any], field: str
) -> None:
    before = count_rows(service, prescreens)
    problem = assert_problem(service.kiosk().post("/v1/prescreens", answers(**changes)), 422, "validation")
    assert field in fields_named(problem), problem
    assert field in problem["detail"]
    assert count_rows(service, prescreens) == before


def test_a_missing_answer_is_named(service: RunningService) -> None:
    body = answers()
    del body["urgency"]
    assert fields_named(assert_problem(service.kiosk().post("/v1/prescreens", body), 422, "validation")) == {
        "urgency"
    }


def test_create_is_idempotent(service: RunningService) -> None:
    kiosk = service.kiosk()
    key = f"pre-{uuid.uuid4().hex}"
    before = count_rows(service, prescreens)
    first = created(kiosk, answers(), key)
    again = created(kiosk, answers(), key)
    assert first == again
    assert count_rows(service, prescreens) == before + 1
    assert_problem(
        kiosk.post("/v1/prescreens", answers(urgency="today"), **{"Idempotency-Key": key}),
        409,
        "idempotency-key-reused",
    )
    assert created(kiosk, answers())["code"] != first["code"]  # no key: a new pre-screen


# ---------------------------------------------------------------- codes


def test_an_expired_pre_screen_gives_its_code_up(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    kiosk = Terminal("BJ0101-K01", "BJ0101", "kiosk")
    draws = iter(["ABC234", "ABC234", "XYZ789"])
    monkeypatch.setattr("screening_service.prescreens.new_code", lambda: next(draws))
    model = PrescreenAnswers.model_validate(answers())
    with engine.begin() as connection:
        assert _insert(connection, kiosk, model).body["code"] == "ABC-234"
        connection.execute(update(prescreens).values(expires_at=utc_now() - timedelta(seconds=1)))
        # The expired holder releases ABC234 to the new pre-screen.
        assert _insert(connection, kiosk, model).body["code"] == "ABC-234"
        # Now ABC234 is held by a usable pre-screen: the next one draws again.
        assert _insert(connection, kiosk, model).body["code"] == "XYZ-789"
        rows = connection.execute(select(prescreens.c.code)).scalars().all()
        assert sorted(rows, key=str) == sorted(["ABC234", "XYZ789", None], key=str)
        found = find_prescreen(connection, "abc-234", utc_now())
    engine.dispose()
    assert found is not None and found[1]["answers"] == answers()


# ---------------------------------------------------------------- linked to a screening


def test_screening_with_a_risky_pre_screen(service: RunningService, teller: Api) -> None:
    made = created(service.kiosk(), RISKY)
    response = teller.screen(
        remittance(customer=customer(), amount="250000.00", prescreen_code=made["code"].lower())
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert {reason["code"] for reason in body["reasons"]} == PRESCREEN_CODES
    # 15 + 20 + 20 + 20 + 10: the lobby answers alone force a hold, never a block.
    assert body["decision"] == "hold" and body["score"] == 85
    assert body["prescreen"]["code"] == made["code"] and body["prescreen"]["answers"] == RISKY
    question_ids = [question["id"] for question in body["questions"]]
    assert len(question_ids) == len(set(question_ids))
    assert {"on_phone", "told_keep_secret", "called_by_authority", "safe_account_who", "met_payee"} <= set(
        question_ids
    )
    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        linked = connection.execute(
            select(screenings.c.prescreen_id).where(screenings.c.screening_id == body["screening_id"])
        ).scalar_one()
        prescreen_id = connection.execute(
            select(prescreens.c.prescreen_id).where(prescreens.c.code == made["code"].replace("-", ""))
        ).scalar_one()
    engine.dispose()
    assert linked == prescreen_id


def test_screening_with_a_harmless_pre_screen_adds_nothing(service: RunningService, teller: Api) -> None:
    made = created(service.kiosk(), answers())
    body = teller.screen(remittance(customer=customer(), prescreen_code=made["code"])).json()
    assert body["decision"] == "allow" and body["reasons"] == []
    assert body["prescreen"]["answers"] == answers()


def test_screening_without_a_code_has_no_prescreen(teller: Api) -> None:
    body = teller.screen(remittance(customer=customer())).json()
    assert "prescreen" not in body


@pytest.mark.parametrize("code", ["ZZZ-ZZZ", "not a code", "expired"])
def test_invalid_code_in_a_screening_is_named(service: RunningService, teller: Api, code: str) -> None:
    if code == "expired":
        code = created(service.kiosk(), answers())["code"]
        expire(service, code)
    before = count_rows(service, screenings)
    problem = assert_problem(
        teller.screen(remittance(customer=customer(), prescreen_code=code)), 422, "validation"
    )
    assert fields_named(problem) == {"prescreen_code"}
    assert count_rows(service, screenings) == before


def test_a_retry_after_the_code_expired_replays_the_screening(service: RunningService, teller: Api) -> None:
    code = created(service.kiosk(), RISKY)["code"]
    body, key = remittance(customer=customer(), prescreen_code=code), uuid.uuid4().hex
    first = teller.screen(body, key)
    expire(service, code)
    again = teller.screen(body, key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()


# ---------------------------------------------------------------- the rules on the answers


def with_prescreen(**changes: Any) -> ScreeningFacts:
    return dataclasses.replace(facts(), prescreen=answers(**changes))


HITS = [
    ("PRESCREEN_ON_PHONE", {"on_phone_now": True}, Decision.WARN),
    ("PRESCREEN_KEEP_SECRET", {"told_to_keep_secret": True}, Decision.HOLD),
    ("PRESCREEN_AUTHORITY_CALLER", {"who_asked": "caller_claiming_authority"}, Decision.HOLD),
    ("PRESCREEN_SAFE_ACCOUNT", {"purpose": "safe_account_request"}, Decision.HOLD),
    (
        "PRESCREEN_NEVER_MET_LARGE",
        {"relationship_to_payee": "never_met", "amount_band": "50k_to_200k"},
        Decision.WARN,
    ),
]


@pytest.mark.parametrize(("code", "changes", "decision"), HITS, ids=[code for code, _, _ in HITS])
def test_each_prescreen_rule_hits_alone(code: str, changes: dict[str, Any], decision: Decision) -> None:
    outcome = RULES.evaluate(with_prescreen(**changes))
    assert [reason.code for reason in outcome.reasons] == [code]
    assert outcome.decision is decision
    assert outcome.questions


NEAR_MISSES = [
    {"on_phone_now": False, "urgency": "immediately_or_threatened"},
    {"who_asked": "customer_service"},
    {"who_asked": "online_contact", "relationship_to_payee": "friend"},
    {"purpose": "tax_or_fine", "purpose_text": "交罚款"},
    {"relationship_to_payee": "never_met", "amount_band": "10k_to_50k"},
    {"relationship_to_payee": "unknown", "amount_band": "over_200k"},
    {"first_time_payee": True, "urgency": "today"},
]


@pytest.mark.parametrize("changes", NEAR_MISSES)
def test_prescreen_near_misses_add_nothing(changes: dict[str, Any]) -> None:
    assert RULES.evaluate(with_prescreen(**changes)).reasons == ()


def test_prescreen_rules_need_a_linked_prescreen() -> None:
    assert RULES.evaluate(facts()).reasons == ()
    # A missing answer never matches, even a yes/no one.
    odd = dataclasses.replace(facts(), prescreen={"on_phone_now": 1, "who_asked": None})
    assert RULES.evaluate(odd).reasons == ()


def prescreen_rule_data(**params: Any) -> dict[str, Any]:
    data = shipped()
    rule = rule_data(data, "PRESCREEN_ON_PHONE")
    rule.update(params)
    return data


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"answer": "favourite_colour"}, "answer must be one of: purpose, who_asked"),
        ({"values": []}, "values for on_phone_now must be a non-empty list drawn from: true, false"),
        ({"values": ["yes"]}, "values for on_phone_now must be a non-empty list"),
        ({"values": [1]}, "values for on_phone_now must be a non-empty list"),
        ({"answer": "purpose", "values": ["astrology"]}, "values for purpose must be a non-empty list"),
        ({"also": ["amount_band"]}, "also must be a table"),
        ({"also": {"amount_band": ["huge"]}}, "values for amount_band"),
        ({"also": {"mood": ["calm"]}}, "also.mood must be one of"),
        ({"also": {"on_phone_now": [True]}}, "also repeats the answer on_phone_now"),
        ({"message": {"zh-CN": "{phrase}", "en": "x"}}, "kind prescreen_answer offers: value"),
    ],
)
def test_bad_prescreen_rule_is_refused_at_load(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(prescreen_rule_data(**params), "custom.toml")
    assert "PRESCREEN_ON_PHONE" in str(raised.value) and fragment in str(raised.value), raised.value


@pytest.mark.parametrize("key", ["answer", "values"])
def test_prescreen_rule_needs_its_keys(key: str) -> None:
    data = shipped()
    del rule_data(data, "PRESCREEN_ON_PHONE")[key]
    with pytest.raises(RulesError, match=f"kind prescreen_answer needs the key '{key}'"):
        parse_rules(data, "custom.toml")


def test_the_answer_value_is_a_placeholder() -> None:
    data = prescreen_rule_data(message={"zh-CN": "答案 {value}", "en": "answer {value}"})
    (reason,) = parse_rules(data, "custom.toml").evaluate(with_prescreen(on_phone_now=True)).reasons
    assert reason.message == {"zh-CN": "答案 true", "en": "answer true"}
