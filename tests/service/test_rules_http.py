"""Each shipped rule through the real service over HTTP (SQLite and PostgreSQL): a hit and a near miss.

Every test uses its own customers, so the history rules of one test never see another test's screenings.
"""

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from screening_service.admin import issue_terminal_key
from screening_service.database import make_engine
from screening_service.demo import DEMO_DIRECTORY, DEMO_LISTINGS
from screening_service.rules import Decision, load_rules
from screening_service.schema import screenings
from tests.service.conftest import Api, RunningService, new_resident_id, remittance

RULES = load_rules()
RULE = {rule.code: rule for rule in RULES.rules}
FILE_ORDER = [rule.code for rule in RULES.rules]

POLICE_SAFE_ACCOUNT = "6222000011112222337"  # police list, safe_account; directory name 刘洋
PEER_LOAN_FEE = "6214830012341234120"  # peer list, loan_fee; directory name 周杰
INTERNAL_REFUND = "6216610098769876980"  # internal report, refund; not in the directory
WANG_XIAOMING = "6212260200001234562"  # not listed; directory name 王小明 (remittance()'s default payee)

REQUIRED_ACTIONS = {
    "allow": [],
    "warn": ["acknowledge", "ask_questions", "note_to_proceed"],
    "hold": ["acknowledge", "ask_questions", "note_to_proceed", "supervisor_approval"],
    "block": ["acknowledge"],
}
ALLOWED_ACTIONS = {
    "allow": ["proceed", "delay_arrival", "cancel"],
    "warn": ["cancel", "delay_arrival", "refer_police", "proceed"],
    "hold": ["cancel", "delay_arrival", "refer_police", "proceed"],
    "block": ["cancel", "refer_police"],
}

_KNOWN_ACCOUNTS = {row[0] for row in DEMO_LISTINGS} | {row[0] for row in DEMO_DIRECTORY}
_USED_IDS: set[str] = set()


# ------------------------------------------------------------------ test data


def today_utc() -> date:
    return datetime.now(UTC).date()


def birth_date(age: int, birthday_in_days: int = -40) -> date:
    """Born `age` years before the day `birthday_in_days` from today (UTC, as the service counts).

    With birthday_in_days <= 0 the customer is `age` today; with a birthday still to come, `age` - 1.
    """
    day = today_utc() + timedelta(days=birthday_in_days)
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February in a year without one
        return date(day.year - age, 3, 1) if birthday_in_days > 0 else date(day.year - age, 2, 28)


def person(born: date | None = None) -> dict[str, str]:
    """A customer nobody else in this module uses (new_resident_id alone may repeat a serial)."""
    if born is None:
        born = birth_date(45, -1 - len(_USED_IDS) % 300)
    while True:
        number = new_resident_id(born.year, born.month, born.day)
        if number not in _USED_IDS:
            _USED_IDS.add(number)
            return {"id_type": "resident_id", "id_number": number, "birth_date": born.isoformat()}


def new_account() -> str:
    """A payee account that is on no list and not in the name directory."""
    while True:
        account = "6230" + "".join(secrets.choice("0123456789") for _ in range(15))
        if account not in _KNOWN_ACCOUNTS:
            return account


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture(scope="module")
def teller(service: RunningService) -> Api:
    """Teller T1001 signed in at the demo counter BJ0101-C01."""
    return service.teller()


@pytest.fixture(scope="module")
def engine(service: RunningService) -> Iterator[Engine]:
    engine = make_engine(service.process.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def other_counter(service: RunningService, engine: Engine) -> Api:
    """Teller T1002 signed in at a second counter of the branch, BJ0101-C02."""
    issued = issue_terminal_key(engine, "BJ0101-C02", "BJ0101")
    return Api(service.url, issued.key).signed_in("T1002", "teller-demo-1")


def screen(api: Api, **changes: Any) -> dict[str, Any]:
    response = api.screen(remittance(**changes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert_explained(body)
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


def assert_explained(body: dict[str, Any]) -> None:
    """Every point of the score comes from a listed reason, and the decision follows from them."""
    reasons = body["reasons"]
    assert codes(body) == [code for code in FILE_ORDER if code in codes(body)]
    for reason in reasons:
        assert reason["score"] == RULE[reason["code"]].score, reason
    assert body["score"] == min(100, sum(reason["score"] for reason in reasons))
    expected = max(
        [RULES.decision_for_score(body["score"]), *(RULE[reason["code"]].min_decision for reason in reasons)]
    )
    assert body["decision"] == expected.label
    question_ids: list[str] = []
    for reason in reasons:
        for question in RULE[reason["code"]].questions:
            if question.id not in question_ids:
                question_ids.append(question.id)
    assert [question["id"] for question in body["questions"]] == question_ids
    assert body["required_actions"] == REQUIRED_ACTIONS[body["decision"]]
    assert body["allowed_actions"] == ALLOWED_ACTIONS[body["decision"]]
    assert body["rules_version"] == RULES.version


def assert_only_hit(
    body: dict[str, Any],
    code: str,
    *,
    decision: str,
    typology: str,
    source: str,
    message: dict[str, str],
    questions: list[str],
) -> None:
    """The screening hit exactly this rule, shown to the teller as the rules file says."""
    assert codes(body) == [code], body["reasons"]
    (reason,) = body["reasons"]
    rule = RULE[code]
    assert body["decision"] == decision
    assert body["score"] == reason["score"] == rule.score
    assert reason["typology"] == typology
    assert reason["typology_label"] == {
        "zh-CN": RULES.typology_label(typology, "zh-CN"),
        "en": RULES.typology_label(typology, "en"),
    }
    assert reason["source"] == source
    assert reason["severity"] == rule.severity
    assert reason["message"] == message
    assert [question["id"] for question in body["questions"]] == questions
    texts = {question.id: dict(question.text) for question in rule.questions}
    for question in body["questions"]:
        assert question["text"] == texts[question["id"]]
        assert question["text"]["zh-CN"].strip()
        assert question["text"]["en"].strip()


def assert_clean(body: dict[str, Any]) -> None:
    assert body["reasons"] == []
    assert (body["decision"], body["score"], body["questions"]) == ("allow", 0, [])


# ------------------------------------------------------------------ risk lists


def test_police_listed_payee_is_blocked(teller: Api) -> None:
    body = screen(teller, payee_account=POLICE_SAFE_ACCOUNT, payee_name="刘洋", customer=person())
    assert_only_hit(
        body,
        "PAYEE_POLICE_LIST",
        decision="block",
        typology="safe_account",  # the listing's own typology, not the rule's mule_account
        source="police_list",
        message={
            "zh-CN": "收款账户在公安机关涉案账户名单上（“安全账户”诈骗）。该笔汇款不得办理。",
            "en": "The payee account is on the police list of accounts linked to fraud cases "
            '("Safe account" scam). This remittance must not be made.',
        },
        questions=["who_gave_account", "told_keep_secret"],
    )
    assert body["score"] == 100
    assert body["allowed_actions"] == ["cancel", "refer_police"]

    # One digit off: not listed.
    near = screen(teller, payee_account="6222000011112222334", payee_name="刘洋", customer=person())
    assert_clean(near)


def test_police_listed_payee_typed_with_spaces_is_still_blocked(teller: Api) -> None:
    spaced = "6222 0000 1111 2222 337"
    body = screen(teller, payee_account=spaced, payee_name="刘洋", customer=person())
    assert codes(body) == ["PAYEE_POLICE_LIST"]
    assert body["decision"] == "block"


def test_peer_bank_listed_payee_is_held(teller: Api) -> None:
    body = screen(teller, payee_account=PEER_LOAN_FEE, payee_name="周杰", customer=person())
    assert_only_hit(
        body,
        "PAYEE_PEER_BANK_LIST",
        decision="hold",
        typology="loan_fee",
        source="peer_bank",
        message={
            "zh-CN": "收款账户被同业银行报告为疑似涉诈账户（贷款 / 解冻费诈骗）。需主管审批方可继续。",
            "en": "A peer bank has reported the payee account as suspected of fraud "
            '(Loan fee or "unfreezing" fee scam). A supervisor must approve before proceeding.',
        },
        questions=["who_gave_account", "met_payee"],
    )
    assert "supervisor_approval" in body["required_actions"]

    near = screen(teller, payee_account="6214830012341234124", payee_name="周杰", customer=person())
    assert_clean(near)


def test_internally_reported_payee_is_warned(teller: Api) -> None:
    body = screen(teller, payee_account=INTERNAL_REFUND, payee_name="孙丽", customer=person())
    assert_only_hit(
        body,
        "PAYEE_INTERNAL_REPORT",
        decision="warn",
        typology="refund",
        source="internal_report",
        message={
            "zh-CN": "本行员工曾报告该收款账户可疑（冒充客服退款诈骗）。",
            "en": "Our bank's staff have reported the payee account as suspicious "
            "(Refund / customer service impersonation).",
        },
        questions=["who_gave_account"],
    )
    assert body["payee_name_check"] == {"outcome": "unavailable", "name_on_record": None}


def test_teller_report_lists_the_payee_for_the_next_screening(teller: Api) -> None:
    account = new_account()
    before = screen(teller, payee_account=account, payee_name="钱多多", customer=person())
    assert_clean(before)

    spaced = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    report = teller.post(
        "/v1/reports",
        {
            "account_number": spaced,
            "account_name": "钱多多",
            "bank": "中国银行",
            "typology": "romance",
            "description": "客户称网上认识的男友要求转账，多次催促。",
        },
    )
    assert report.status_code == 201, report.text
    assert report.json()["account"].endswith(account[-4:])

    after = screen(teller, payee_account=account, payee_name="钱多多", customer=person())
    assert_only_hit(
        after,
        "PAYEE_INTERNAL_REPORT",
        decision="warn",
        typology="romance",
        source="internal_report",
        message={
            "zh-CN": "本行员工曾报告该收款账户可疑（网络交友（杀猪盘）诈骗）。",
            "en": "Our bank's staff have reported the payee account as suspicious (Romance scam).",
        },
        questions=["who_gave_account"],
    )


# ------------------------------------------------------------------ payee name check


def test_payee_name_no_match_is_warned(teller: Api) -> None:
    body = screen(teller, payee_account=WANG_XIAOMING, payee_name="李小明", customer=person())
    assert_only_hit(
        body,
        "PAYEE_NAME_MISMATCH",
        decision="warn",
        typology="misdirected_payment",
        source="rule",
        message={
            "zh-CN": "收款人姓名与账户登记的户名不符，资金可能汇入并非收款人本人的账户。",
            "en": "The payee name does not match the name on the account: "
            "the money may go to an account not held by the intended payee.",
        },
        questions=["confirm_payee_name"],
    )
    # A no match never reveals the holder's name.
    assert body["payee_name_check"] == {"outcome": "no_match", "name_on_record": None}


def test_payee_name_close_match_shows_the_name_without_a_reason(teller: Api) -> None:
    body = screen(teller, payee_account=WANG_XIAOMING, payee_name="王晓明", customer=person())
    assert_clean(body)
    assert body["payee_name_check"] == {"outcome": "close_match", "name_on_record": "王小明"}


def test_payee_name_match_after_normalisation(teller: Api) -> None:
    body = screen(teller, payee_account=WANG_XIAOMING, payee_name="王 小明", customer=person())
    assert_clean(body)
    assert body["payee_name_check"] == {"outcome": "match", "name_on_record": None}


def test_payee_name_unavailable_without_a_directory_entry(teller: Api) -> None:
    body = screen(teller, payee_account=new_account(), payee_name="李小明", customer=person())
    assert_clean(body)
    assert body["payee_name_check"] == {"outcome": "unavailable", "name_on_record": None}


# ------------------------------------------------------------------ first large remittance, 60+

ELDERLY_MESSAGE = {
    "zh-CN": "客户年满 60 岁，首次向该收款人汇出大额款项。需主管审批方可继续。",
    "en": "The customer is 60 or older and is sending a large sum to this payee for the first time. "
    "A supervisor must approve before proceeding.",
}


def assert_elderly_hold(body: dict[str, Any]) -> None:
    assert_only_hit(
        body,
        "FIRST_LARGE_REMITTANCE_ELDERLY",
        decision="hold",  # 45 points alone only warn; the rule forces hold
        typology="elderly_targeted",
        source="rule",
        message=ELDERLY_MESSAGE,
        questions=["on_phone", "purpose_detail"],
    )


def test_first_large_remittance_at_sixty_is_held(teller: Api) -> None:
    sixty_today = person(birth_date(60, 0))
    assert_elderly_hold(screen(teller, amount="50000.00", customer=sixty_today))


def test_first_large_remittance_at_fifty_nine_is_not_held(teller: Api) -> None:
    sixty_tomorrow = person(birth_date(60, 1))
    assert_clean(screen(teller, amount="50000.00", customer=sixty_tomorrow))


def test_first_remittance_just_under_the_large_amount_is_not_held(teller: Api) -> None:
    assert_clean(screen(teller, amount="49999.99", customer=person(birth_date(72))))


@pytest.mark.parametrize(
    ("currency", "amount", "hits"),
    [
        ("USD", "7000.00", True),
        ("USD", "6999.99", False),
        ("HKD", "55000.00", True),
        ("HKD", "54999.99", False),
        ("JPY", "1.00", True),  # a currency without a threshold always counts as large
    ],
)
def test_large_amount_per_currency(teller: Api, currency: str, amount: str, hits: bool) -> None:
    body = screen(teller, currency=currency, amount=amount, customer=person(birth_date(66)))
    if hits:
        assert_elderly_hold(body)
    else:
        assert_clean(body)


def test_known_payee_is_not_new(teller: Api) -> None:
    customer = person(birth_date(70))
    first = screen(teller, amount="1000.00", customer=customer)
    assert_clean(first)
    ack = teller.ack(first["screening_id"], {"action": "proceed"})
    assert ack.status_code == 201, ack.text
    assert ack.json()["final"] is True

    again = screen(teller, amount="80000.00", customer=customer)
    assert_clean(again)

    # Another payee of the same customer is still new.
    other = screen(teller, amount="80000.00", payee_account=new_account(), customer=customer)
    assert_elderly_hold(other)


def test_payee_screened_but_cancelled_is_still_new(teller: Api) -> None:
    customer = person(birth_date(70))
    first = screen(teller, amount="1000.00", customer=customer)
    assert_clean(first)
    ack = teller.ack(first["screening_id"], {"action": "cancel"})
    assert ack.status_code == 201, ack.text

    assert_elderly_hold(screen(teller, amount="80000.00", customer=customer))


def test_payee_known_to_another_customer_is_new(teller: Api) -> None:
    first = screen(teller, amount="1000.00", customer=person(birth_date(70)))
    ack = teller.ack(first["screening_id"], {"action": "proceed"})
    assert ack.status_code == 201, ack.text

    assert_elderly_hold(screen(teller, amount="80000.00", customer=person(birth_date(70))))


# ------------------------------------------------------------------ purpose phrases


@pytest.mark.parametrize(
    ("purpose", "code", "typology", "phrase"),
    [
        ("按警官要求转入安全账户", "PURPOSE_SAFE_ACCOUNT", "safe_account", "安全账户"),
        ("贷款保证金", "PURPOSE_LOAN_FEE", "loan_fee", "保证金"),
        ("银行卡解冻", "PURPOSE_LOAN_FEE", "loan_fee", "解冻"),
        ("公司注册验资", "PURPOSE_LOAN_FEE", "loan_fee", "验资"),
        ("网上刷单任务", "PURPOSE_BRUSHING", "brushing", "刷单"),
        ("朋友介绍的投资回报项目", "PURPOSE_INVESTMENT", "investment", "投资回报"),
        ("购买usdt", "PURPOSE_INVESTMENT", "investment", "USDT"),
        ("快递丢失退款", "PURPOSE_REFUND", "refund", "退款"),
    ],
)
def test_purpose_phrase_is_warned(teller: Api, purpose: str, code: str, typology: str, phrase: str) -> None:
    body = screen(teller, purpose=purpose, customer=person())
    rule = RULE[code]
    assert_only_hit(
        body,
        code,
        decision="warn",
        typology=typology,
        source="rule",
        message={lang: rule.message[lang].format(phrase=phrase) for lang in ("zh-CN", "en")},
        questions=[question.id for question in rule.questions],
    )
    assert f"“{phrase}”" in body["reasons"][0]["message"]["zh-CN"]
    assert f'"{phrase}"' in body["reasons"][0]["message"]["en"]


def test_safe_account_message_in_full(teller: Api) -> None:
    body = screen(teller, purpose="安全账户", customer=person())
    assert body["reasons"][0]["message"] == {
        "zh-CN": "用途中出现“安全账户”，与冒充公检法的“安全账户”诈骗一致。"
        "公检法不会要求转账到任何“安全账户”。",
        "en": 'The purpose mentions "安全账户", typical of the police-impersonation "safe account" scam. '
        'The police never ask anyone to move money to a "safe account".',
    }
    assert [question["id"] for question in body["questions"]] == ["called_by_authority", "told_keep_secret"]


@pytest.mark.parametrize("purpose", ["账户安全检查", "保险费", "刷卡还款", "投资理财", "退货运费", "房租"])
def test_purpose_near_miss_is_allowed(teller: Api, purpose: str) -> None:
    assert_clean(screen(teller, purpose=purpose, customer=person()))


# ------------------------------------------------------------------ history: previously warned


PREVIOUSLY_WARNED_MESSAGE = {
    "zh-CN": "该客户在过去 72 小时内已在柜面收到过风险提示，现再次汇款。需主管审批方可继续。",
    "en": "This customer received a risk warning at a counter within the last 72 hours and is remitting "
    "again. A supervisor must approve before proceeding.",
}


def assert_previously_warned(body: dict[str, Any]) -> None:
    assert_only_hit(
        body,
        "PREVIOUSLY_WARNED",
        decision="hold",
        typology="repeat_attempt",
        source="history",
        message=PREVIOUSLY_WARNED_MESSAGE,
        questions=["after_warning"],
    )


def set_screened_hours_ago(engine: Engine, screening_id: str, hours: float) -> None:
    with engine.begin() as connection:
        changed = connection.execute(
            update(screenings)
            .where(screenings.c.screening_id == screening_id)
            .values(created_at=datetime.now(UTC) - timedelta(hours=hours))
        ).rowcount
    assert changed == 1


def test_warned_at_one_counter_is_held_at_another(teller: Api, other_counter: Api) -> None:
    customer = person()
    warned = screen(teller, purpose="刷单返利", customer=customer)
    assert warned["decision"] == "warn"

    assert_previously_warned(screen(other_counter, customer=customer))


def test_allowed_earlier_is_not_held(teller: Api, other_counter: Api) -> None:
    customer = person()
    assert_clean(screen(teller, customer=customer))
    assert_clean(screen(other_counter, customer=customer))


@pytest.mark.parametrize(("hours_ago", "hits"), [(71, True), (73, False)])
def test_previous_warning_counts_for_72_hours(
    teller: Api, other_counter: Api, engine: Engine, hours_ago: float, hits: bool
) -> None:
    customer = person()
    warned = screen(teller, payee_account=PEER_LOAN_FEE, payee_name="周杰", customer=customer)
    assert warned["decision"] == "hold"
    set_screened_hours_ago(engine, warned["screening_id"], hours_ago)

    body = screen(other_counter, customer=customer)
    if hits:
        assert_previously_warned(body)
    else:
        assert_clean(body)


# ------------------------------------------------------------------ history: many new payees


MANY_NEW_PAYEES_MESSAGE = {
    "zh-CN": "客户在 24 小时内向 3 个或更多新收款人汇款。",
    "en": "The customer has remitted to 3 or more new payees within 24 hours.",
}


def test_third_new_payee_within_a_day_is_warned(teller: Api) -> None:
    customer = person()
    assert_clean(screen(teller, payee_account=new_account(), customer=customer))
    assert_clean(screen(teller, payee_account=new_account(), customer=customer))
    third = screen(teller, payee_account=new_account(), customer=customer)
    assert_only_hit(
        third,
        "MANY_NEW_PAYEES",
        decision="warn",
        typology="mule_account",
        source="history",
        message=MANY_NEW_PAYEES_MESSAGE,
        questions=["why_several_payees"],
    )


def test_same_payee_twice_counts_once(teller: Api) -> None:
    customer = person()
    repeated = new_account()
    assert_clean(screen(teller, payee_account=repeated, customer=customer))
    assert_clean(screen(teller, payee_account=repeated, customer=customer))
    assert_clean(screen(teller, payee_account=new_account(), customer=customer))


def test_new_payee_older_than_a_day_does_not_count(teller: Api, engine: Engine) -> None:
    customer = person()
    oldest = screen(teller, payee_account=new_account(), customer=customer)
    set_screened_hours_ago(engine, oldest["screening_id"], 25)
    assert_clean(screen(teller, payee_account=new_account(), customer=customer))
    assert_clean(screen(teller, payee_account=new_account(), customer=customer))


# ------------------------------------------------------------------ face verification


FACE_MESSAGE = {
    "zh-CN": "客户人脸核验未通过（比对不一致或活体检测失败）。需主管审批并按替代流程核实身份。",
    "en": "The customer's face verification failed (no match or liveness failed). "
    "A supervisor must approve, with identity checked by the alternative procedure.",
}


@pytest.mark.parametrize(
    ("outcome", "liveness", "hits"),
    [
        ("no_match", "passed", True),
        ("match", "failed", True),
        ("match", "passed", False),
        ("inconclusive", "passed", False),
        ("not_performed", "not_performed", False),
    ],
)
def test_face_verification(teller: Api, outcome: str, liveness: str, hits: bool) -> None:
    body = screen(teller, face_verification={"outcome": outcome, "liveness": liveness}, customer=person())
    if hits:
        assert_only_hit(
            body,
            "FACE_NOT_VERIFIED",
            decision="hold",
            typology="identity",
            source="rule",
            message=FACE_MESSAGE,
            questions=["identity_documents"],
        )
    else:
        assert_clean(body)


# ------------------------------------------------------------------ explainable combined decisions


@pytest.mark.parametrize(
    ("changes", "expected_codes", "decision", "score"),
    [
        pytest.param(
            {"payee_account": INTERNAL_REFUND, "payee_name": "孙丽", "purpose": "刷单"},
            ["PAYEE_INTERNAL_REPORT", "PURPOSE_BRUSHING"],
            "hold",  # 40 + 35 = 75: two warn-level reasons reach hold by score
            75,
            id="internal+brushing",
        ),
        pytest.param(
            {"payee_account": PEER_LOAN_FEE, "payee_name": "李杰"},
            ["PAYEE_PEER_BANK_LIST", "PAYEE_NAME_MISMATCH"],
            "block",  # 70 + 35, capped at 100
            100,
            id="peer+name-mismatch",
        ),
        pytest.param(
            {"payee_name": "李小明", "face_verification": {"outcome": "match", "liveness": "failed"}},
            ["PAYEE_NAME_MISMATCH", "FACE_NOT_VERIFIED"],
            "block",  # 35 + 60 = 95
            95,
            id="name-mismatch+liveness",
        ),
        pytest.param(
            {"amount": "60000.00", "purpose": "理赔退款", "customer": "elderly"},
            ["FIRST_LARGE_REMITTANCE_ELDERLY", "PURPOSE_REFUND"],
            "hold",
            80,
            id="elderly+refund",
        ),
        pytest.param(
            {"purpose": "刷单返利换USDT"},
            ["PURPOSE_BRUSHING", "PURPOSE_INVESTMENT"],
            "hold",  # 35 + 35 = 70
            70,
            id="brushing+investment",
        ),
        pytest.param(
            {"purpose": "验资"},
            ["PURPOSE_LOAN_FEE"],
            "warn",
            35,
            id="loan-fee-alone",
        ),
        pytest.param(
            {
                "payee_account": POLICE_SAFE_ACCOUNT,
                "payee_name": "刘洋",
                "purpose": "转入安全账户",
                "amount": "90000.00",
                "customer": "elderly",
            },
            ["PAYEE_POLICE_LIST", "FIRST_LARGE_REMITTANCE_ELDERLY", "PURPOSE_SAFE_ACCOUNT"],
            "block",  # 100 + 45 + 40, capped at 100
            100,
            id="police+elderly+safe-account",
        ),
    ],
)
def test_combined_decisions_are_explained_by_their_reasons(
    teller: Api, changes: dict[str, Any], expected_codes: list[str], decision: str, score: int
) -> None:
    changes = dict(changes)
    changes["customer"] = person(birth_date(68)) if changes.get("customer") == "elderly" else person()
    body = screen(teller, **changes)  # screen() checks score == min(100, sum) and the decision rule
    assert codes(body) == expected_codes
    assert (body["decision"], body["score"]) == (decision, score)
    assert body["score"] == min(100, sum(reason["score"] for reason in body["reasons"]))
    assert Decision.parse(body["decision"]) == max(
        [
            RULES.decision_for_score(body["score"]),
            *(RULE[code].min_decision for code in codes(body)),
        ]
    )


def test_questions_of_combined_reasons_are_asked_once(teller: Api) -> None:
    body = screen(
        teller,
        payee_account=POLICE_SAFE_ACCOUNT,
        payee_name="刘洋",
        purpose="安全账户",
        customer=person(),
    )
    assert [question["id"] for question in body["questions"]] == [
        "who_gave_account",
        "told_keep_secret",
        "called_by_authority",
    ]
