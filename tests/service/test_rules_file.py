"""Unit tests of screening_service.rules: the shipped rules file, its validation, and evaluate()."""

import copy
import dataclasses
import tomllib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening_service.names import NameCheck, NameCheckOutcome
from screening_service.rules import (
    DEFAULT_RULES_PATH,
    LIST_SOURCES,
    Decision,
    Listing,
    Outcome,
    PastScreening,
    Question,
    Reason,
    RulesError,
    RuleSet,
    ScreeningFacts,
    load_rules,
    parse_rules,
)

RULES = load_rules()
SHIPPED = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
ORIGIN = "custom_rules.toml"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PAYEE = "6212260200001234562"

SHIPPED_CODES = [
    "PAYEE_POLICE_LIST",
    "PAYEE_PEER_BANK_LIST",
    "PAYEE_INTERNAL_REPORT",
    "PAYEE_NAME_MISMATCH",
    "FIRST_LARGE_REMITTANCE_ELDERLY",
    "PURPOSE_SAFE_ACCOUNT",
    "PURPOSE_LOAN_FEE",
    "PURPOSE_BRUSHING",
    "PURPOSE_INVESTMENT",
    "PURPOSE_REFUND",
    "PREVIOUSLY_WARNED",
    "MANY_NEW_PAYEES",
    "FACE_NOT_VERIFIED",
    "PRESCREEN_ON_PHONE",
    "PRESCREEN_KEEP_SECRET",
    "PRESCREEN_AUTHORITY_CALLER",
    "PRESCREEN_SAFE_ACCOUNT",
    "PRESCREEN_NEVER_MET_LARGE",
]


def rule_index(code: str) -> int:
    return SHIPPED_CODES.index(code)


def facts(**changes: Any) -> ScreeningFacts:
    """A clean remittance: 45-year-old, small CNY amount, matching payee name, face verified."""
    base = ScreeningFacts(
        now=NOW,
        payee_account=PAYEE,
        listings=(),
        name_check=NameCheck(NameCheckOutcome.MATCH),
        amount=Decimal("3000.00"),
        currency="CNY",
        customer_age=45,
        new_payee=True,
        purpose="房租",
        history=(),
        face_outcome="match",
        liveness="passed",
    )
    return dataclasses.replace(base, **changes)


def past(
    hours_ago: float,
    decision: Decision = Decision.ALLOW,
    payee: str = "6230000000000000001",
    *,
    new: bool = True,
) -> PastScreening:
    return PastScreening(NOW - timedelta(hours=hours_ago), decision, payee, new)


def codes(outcome: Outcome) -> list[str]:
    return [reason.code for reason in outcome.reasons]


def shipped() -> dict[str, Any]:
    return copy.deepcopy(SHIPPED)


def rule_data(data: dict[str, Any], code: str) -> dict[str, Any]:
    rule: dict[str, Any] = data["rule"][rule_index(code)]
    assert rule["code"] == code
    return rule


def expect_error(data: dict[str, Any], *fragments: str) -> str:
    with pytest.raises(RulesError) as raised:
        parse_rules(data, ORIGIN)
    message = str(raised.value)
    assert message.startswith(f"{ORIGIN}: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# ------------------------------------------------------------------ the shipped file


def test_shipped_rules_load_with_their_thresholds() -> None:
    assert RULES.version == "2026-11-28.1"
    assert (RULES.warn_at, RULES.hold_at, RULES.block_at, RULES.valid_minutes) == (30, 60, 90, 30)
    assert [rule.code for rule in RULES.rules] == SHIPPED_CODES
    assert RULES.history_hours == 72


def test_shipped_rules_are_complete_in_both_languages() -> None:
    for rule in RULES.rules:
        assert rule.typology in RULES.typologies, rule.code
        assert all(rule.message[lang].strip() for lang in ("zh-CN", "en")), rule.code
        assert rule.questions, f"{rule.code} gives the teller no question to ask"
        for question in rule.questions:
            assert question.text["zh-CN"].strip()
            assert question.text["en"].strip()
    for labels in RULES.typologies.values():
        assert labels["zh-CN"].strip()
        assert labels["en"].strip()


def test_shipped_rule_properties() -> None:
    by_code = {rule.code: rule for rule in RULES.rules}
    expected = {
        "PAYEE_POLICE_LIST": (100, Decision.BLOCK, "critical", "police_list"),
        "PAYEE_PEER_BANK_LIST": (70, Decision.HOLD, "high", "peer_bank"),
        "PAYEE_INTERNAL_REPORT": (40, Decision.WARN, "medium", "internal_report"),
        "PAYEE_NAME_MISMATCH": (35, Decision.WARN, "medium", "rule"),
        "FIRST_LARGE_REMITTANCE_ELDERLY": (45, Decision.HOLD, "high", "rule"),
        "PURPOSE_SAFE_ACCOUNT": (40, Decision.WARN, "high", "rule"),
        "PURPOSE_LOAN_FEE": (35, Decision.WARN, "medium", "rule"),
        "PURPOSE_BRUSHING": (35, Decision.WARN, "medium", "rule"),
        "PURPOSE_INVESTMENT": (35, Decision.WARN, "medium", "rule"),
        "PURPOSE_REFUND": (35, Decision.WARN, "medium", "rule"),
        "PREVIOUSLY_WARNED": (45, Decision.HOLD, "high", "history"),
        "MANY_NEW_PAYEES": (30, Decision.WARN, "medium", "history"),
        "FACE_NOT_VERIFIED": (60, Decision.HOLD, "high", "rule"),
        "PRESCREEN_ON_PHONE": (15, Decision.WARN, "high", "rule"),
        "PRESCREEN_KEEP_SECRET": (20, Decision.HOLD, "high", "rule"),
        "PRESCREEN_AUTHORITY_CALLER": (20, Decision.HOLD, "high", "rule"),
        "PRESCREEN_SAFE_ACCOUNT": (20, Decision.HOLD, "critical", "rule"),
        "PRESCREEN_NEVER_MET_LARGE": (10, Decision.WARN, "medium", "rule"),
    }
    actual = {
        code: (rule.score, rule.min_decision, rule.severity, rule.source) for code, rule in by_code.items()
    }
    assert actual == expected


def test_load_rules_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_rules(path) == RULES


def test_load_rules_names_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(RulesError, match="cannot read the rules file") as raised:
        load_rules(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_load_rules_names_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[decision\nwarn_at = 30\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid TOML") as raised:
        load_rules(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_load_rules_error_names_the_file_the_rule_and_the_key(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        'min_decision = "hold"\nseverity = "high"\nsource = "peer_bank"',
        'min_decision = "stop"\nseverity = "high"\nsource = "peer_bank"',
    )
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    assert str(raised.value).startswith(f"{path}: rule 2 (PAYEE_PEER_BANK_LIST): min_decision")


# ------------------------------------------------------------------ parse_rules errors


def test_unknown_kind() -> None:
    data = shipped()
    rule_data(data, "PAYEE_NAME_MISMATCH")["kind"] = "payee_vibes"
    message = expect_error(data, "rule 4 (PAYEE_NAME_MISMATCH)", "kind 'payee_vibes' is unknown")
    assert "payee_listed" in message  # it lists the known kinds


@pytest.mark.parametrize(
    "key", ["code", "kind", "typology", "score", "min_decision", "severity", "source", "message"]
)
def test_missing_rule_key(key: str) -> None:
    data = shipped()
    del rule_data(data, "PURPOSE_REFUND")[key]
    where = "rule 10 (no code)" if key == "code" else "rule 10 (PURPOSE_REFUND)"
    expect_error(data, where, f"missing {key}")


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("PAYEE_POLICE_LIST", "list_source"),
        ("PAYEE_NAME_MISMATCH", "outcomes"),
        ("FIRST_LARGE_REMITTANCE_ELDERLY", "min_age"),
        ("FIRST_LARGE_REMITTANCE_ELDERLY", "large_amount"),
        ("PURPOSE_BRUSHING", "phrases"),
        ("PREVIOUSLY_WARNED", "hours"),
        ("PREVIOUSLY_WARNED", "decisions"),
        ("MANY_NEW_PAYEES", "count"),
        ("FACE_NOT_VERIFIED", "liveness"),
    ],
)
def test_missing_key_of_the_kind(code: str, key: str) -> None:
    data = shipped()
    del rule_data(data, code)[key]
    expect_error(data, f"rule {rule_index(code) + 1} ({code})", f"needs the key {key!r}")


@pytest.mark.parametrize("value", ["stop", "Allowed", "", 2])
def test_bad_min_decision(value: object) -> None:
    data = shipped()
    rule_data(data, "MANY_NEW_PAYEES")["min_decision"] = value
    expect_error(data, "rule 12 (MANY_NEW_PAYEES)", "min_decision must be allow, warn, hold or block")


def test_min_decision_is_not_case_sensitive() -> None:
    data = shipped()
    rule_data(data, "MANY_NEW_PAYEES")["min_decision"] = "HOLD"
    rules = parse_rules(data, ORIGIN)
    assert rules.rules[rule_index("MANY_NEW_PAYEES")].min_decision is Decision.HOLD


def test_unknown_typology() -> None:
    data = shipped()
    rule_data(data, "PURPOSE_INVESTMENT")["typology"] = "pig_butchering"
    expect_error(
        data, "rule 9 (PURPOSE_INVESTMENT)", "typology 'pig_butchering' is not defined under [typologies]"
    )


def test_typology_without_both_labels() -> None:
    data = shipped()
    del data["typologies"]["romance"]["en"]
    expect_error(data, "[typologies].romance", "needs a label for zh-CN and en")


@pytest.mark.parametrize(
    ("code", "lang", "text", "offending", "offered"),
    [
        ("PURPOSE_SAFE_ACCOUNT", "en", "Purpose says {amount}", "{amount}", "phrase"),
        ("PURPOSE_SAFE_ACCOUNT", "zh-CN", "用途：{purpose}", "{purpose}", "phrase"),
        ("PAYEE_NAME_MISMATCH", "en", "Name {phrase} differs", "{phrase}", "none"),
        ("PREVIOUSLY_WARNED", "en", "Within {hours} hours {count} times", "{count}", "hours"),
        ("PAYEE_POLICE_LIST", "zh-CN", "{phrase}", "{phrase}", "listing_typology_en"),
    ],
)
def test_unknown_placeholder_in_a_message(
    code: str, lang: str, text: str, offending: str, offered: str
) -> None:
    data = shipped()
    rule_data(data, code)["message"][lang] = text
    expect_error(data, f"rule {rule_index(code) + 1} ({code})", f"message.{lang} uses {offending}", offered)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("The purpose mentions {}", id="positional placeholder"),
        pytest.param("The purpose mentions {0}", id="numbered placeholder"),
        pytest.param("The purpose mentions {phrase", id="unclosed brace"),
        pytest.param("The purpose mentions phrase}", id="unopened brace"),
    ],
)
def test_malformed_placeholder_in_a_message(text: str) -> None:
    """A message that would fail when the rule hits must be refused when the file is loaded."""
    data = shipped()
    rule_data(data, "PURPOSE_LOAN_FEE")["message"]["en"] = text
    expect_error(data, "rule 7 (PURPOSE_LOAN_FEE)", "message.en")


def test_message_needs_both_languages() -> None:
    data = shipped()
    del rule_data(data, "PURPOSE_REFUND")["message"]["zh-CN"]
    expect_error(data, "rule 10 (PURPOSE_REFUND)", "message needs zh-CN and en")


def test_duplicate_code() -> None:
    data = shipped()
    rule_data(data, "PURPOSE_REFUND")["code"] = "PURPOSE_BRUSHING"
    expect_error(data, "rule 10 (PURPOSE_BRUSHING)", "code used by an earlier rule")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"warn_at": 70}, "[decision]: needs warn_at < hold_at < block_at <= 100"),
        ({"hold_at": 30}, "[decision]: needs warn_at < hold_at < block_at <= 100"),
        ({"block_at": 101}, "[decision]: needs warn_at < hold_at < block_at <= 100"),
        ({"hold_at": 95}, "[decision]: needs warn_at < hold_at < block_at <= 100"),
        ({"warn_at": 0}, "[decision].warn_at: must be a whole number above 0"),
        ({"hold_at": -5}, "[decision].hold_at: must be a whole number above 0"),
        ({"block_at": 90.5}, "[decision].block_at: must be a whole number above 0"),
        ({"valid_minutes": "30"}, "[decision].valid_minutes: must be a whole number above 0"),
        ({"valid_minutes": 0}, "[decision].valid_minutes: must be a whole number above 0"),
    ],
)
def test_bad_thresholds(changes: dict[str, Any], fragment: str) -> None:
    data = shipped()
    data["decision"].update(changes)
    expect_error(data, fragment)


@pytest.mark.parametrize("key", ["warn_at", "hold_at", "block_at", "valid_minutes"])
def test_missing_threshold(key: str) -> None:
    data = shipped()
    del data["decision"][key]
    expect_error(data, f"[decision].{key}")


def test_missing_decision_table() -> None:
    data = shipped()
    del data["decision"]
    expect_error(data, "[decision]: missing")


def test_no_rules() -> None:
    data = shipped()
    data["rule"] = []
    expect_error(data, "[[rule]]: no rules defined")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("score", 101, "score must be a whole number from 0 to 100"),
        ("score", -1, "score must be a whole number from 0 to 100"),
        ("score", "45", "score must be a whole number from 0 to 100"),
        ("score", 4.5, "score must be a whole number from 0 to 100"),
        ("severity", "severe", "severity must be one of low, medium, high, critical"),
        ("source", "gossip", "source must be one of police_list, peer_bank"),
    ],
)
def test_bad_rule_values(key: str, value: object, fragment: str) -> None:
    data = shipped()
    rule_data(data, "FACE_NOT_VERIFIED")[key] = value
    expect_error(data, "rule 13 (FACE_NOT_VERIFIED)", fragment)


@pytest.mark.parametrize(
    ("where", "key"), [("decision", "warn_at"), ("rule", "score")], ids=["threshold", "rule score"]
)
def test_a_boolean_is_not_a_whole_number(where: str, key: str) -> None:
    """TOML `true` is not a whole number, although Python's bool is an int."""
    data = shipped()
    target = data["decision"] if where == "decision" else rule_data(data, "FACE_NOT_VERIFIED")
    target[key] = True
    expect_error(data, key)


def test_bad_list_source() -> None:
    data = shipped()
    rule_data(data, "PAYEE_PEER_BANK_LIST")["list_source"] = "rumour"
    expect_error(data, "rule 2 (PAYEE_PEER_BANK_LIST)", "list_source must be one of police, peer, internal")


def test_large_amount_must_be_decimal_strings() -> None:
    data = shipped()
    rule_data(data, "FIRST_LARGE_REMITTANCE_ELDERLY")["large_amount"]["USD"] = "seven thousand"
    expect_error(
        data, "rule 5 (FIRST_LARGE_REMITTANCE_ELDERLY)", "large_amount.USD must be a positive decimal string"
    )


@pytest.mark.parametrize(
    ("code", "key", "value"),
    [
        pytest.param("PREVIOUSLY_WARNED", "hours", "72h", id="hours not a number"),
        pytest.param("PREVIOUSLY_WARNED", "decisions", ["warm", "hold"], id="unknown decision"),
        pytest.param("MANY_NEW_PAYEES", "count", "three", id="count not a number"),
        pytest.param("FIRST_LARGE_REMITTANCE_ELDERLY", "min_age", "sixty", id="min_age not a number"),
    ],
)
def test_bad_value_of_a_kind_key(code: str, key: str, value: object) -> None:
    """A value the matcher cannot use would fail every screening; it must be refused at load time."""
    data = shipped()
    rule_data(data, code)[key] = value
    expect_error(data, f"rule {rule_index(code) + 1} ({code})", key)


def test_question_needs_id_and_both_languages() -> None:
    data = shipped()
    del rule_data(data, "PURPOSE_BRUSHING")["questions"][0]["en"]
    expect_error(data, "rule 8 (PURPOSE_BRUSHING)", "question 1 needs an id and zh-CN and en texts")


# ------------------------------------------------------------------ Decision


def test_decision_order_and_labels() -> None:
    assert Decision.ALLOW < Decision.WARN < Decision.HOLD < Decision.BLOCK
    assert max(Decision.WARN, Decision.BLOCK, Decision.HOLD) is Decision.BLOCK
    assert [decision.label for decision in Decision] == ["allow", "warn", "hold", "block"]
    assert [Decision.parse(decision.label) for decision in Decision] == list(Decision)
    with pytest.raises(KeyError):
        Decision.parse("maybe")


@pytest.mark.parametrize(
    ("score", "decision"),
    [
        (0, Decision.ALLOW),
        (29, Decision.ALLOW),
        (30, Decision.WARN),
        (59, Decision.WARN),
        (60, Decision.HOLD),
        (89, Decision.HOLD),
        (90, Decision.BLOCK),
        (100, Decision.BLOCK),
    ],
)
def test_decision_for_score_boundaries(score: int, decision: Decision) -> None:
    assert RULES.decision_for_score(score) is decision


# ------------------------------------------------------------------ evaluate() on hand-built facts


def test_clean_facts_allow() -> None:
    assert RULES.evaluate(facts()) == Outcome(Decision.ALLOW, 0, ())


def test_police_listing_blocks_with_the_listing_typology() -> None:
    outcome = RULES.evaluate(facts(listings=(Listing("police", "investment"),)))
    assert outcome.decision is Decision.BLOCK
    assert outcome.score == 100
    (reason,) = outcome.reasons
    assert reason == Reason(
        "PAYEE_POLICE_LIST",
        "investment",
        "critical",
        "police_list",
        100,
        Decision.BLOCK,
        {
            "zh-CN": "收款账户在公安机关涉案账户名单上（投资理财 / 虚拟货币诈骗）。该笔汇款不得办理。",
            "en": "The payee account is on the police list of accounts linked to fraud cases "
            "(Investment or crypto scam). This remittance must not be made.",
        },
        RULES.rules[0].questions,
    )


def test_listing_with_unknown_typology_falls_back_to_the_rule_typology() -> None:
    outcome = RULES.evaluate(facts(listings=(Listing("peer", "not_a_typology"),)))
    (reason,) = outcome.reasons
    assert reason.code == "PAYEE_PEER_BANK_LIST"
    assert reason.typology == "mule_account"
    assert "（涉案账户）" in reason.message["zh-CN"]
    assert "(Account linked to fraud cases)" in reason.message["en"]
    assert outcome.decision is Decision.HOLD


def test_each_list_source_hits_its_own_rule_only() -> None:
    for source, code, decision in [
        ("police", "PAYEE_POLICE_LIST", Decision.BLOCK),
        ("peer", "PAYEE_PEER_BANK_LIST", Decision.HOLD),
        ("internal", "PAYEE_INTERNAL_REPORT", Decision.WARN),
    ]:
        outcome = RULES.evaluate(facts(listings=(Listing(source, "refund"),)))
        assert codes(outcome) == [code]
        assert outcome.decision is decision
        assert outcome.reasons[0].typology == "refund"


@pytest.mark.parametrize(
    ("outcome", "hits"),
    [
        (NameCheckOutcome.NO_MATCH, True),
        (NameCheckOutcome.CLOSE_MATCH, False),
        (NameCheckOutcome.MATCH, False),
        (NameCheckOutcome.UNAVAILABLE, False),
    ],
)
def test_name_mismatch_only_for_no_match(outcome: NameCheckOutcome, hits: bool) -> None:
    record = "王小明" if outcome is NameCheckOutcome.CLOSE_MATCH else None
    result = RULES.evaluate(facts(name_check=NameCheck(outcome, record)))
    assert codes(result) == (["PAYEE_NAME_MISMATCH"] if hits else [])


@pytest.mark.parametrize(
    ("changes", "hits"),
    [
        ({"customer_age": 60, "amount": Decimal("50000")}, True),
        ({"customer_age": 88, "amount": Decimal("1000000")}, True),
        ({"customer_age": 59, "amount": Decimal("50000")}, False),
        ({"customer_age": 60, "amount": Decimal("49999.99")}, False),
        ({"customer_age": 60, "amount": Decimal("50000"), "new_payee": False}, False),
        ({"customer_age": None, "amount": Decimal("50000")}, False),
        ({"customer_age": 70, "amount": Decimal("7000"), "currency": "USD"}, True),
        ({"customer_age": 70, "amount": Decimal("6999.99"), "currency": "USD"}, False),
        ({"customer_age": 70, "amount": Decimal("5500.00"), "currency": "GBP"}, True),
        # An unlisted currency always counts as large.
        ({"customer_age": 70, "amount": Decimal("1"), "currency": "JPY"}, True),
    ],
)
def test_first_large_remittance_elderly(changes: dict[str, Any], hits: bool) -> None:
    outcome = RULES.evaluate(facts(**changes))
    if hits:
        assert codes(outcome) == ["FIRST_LARGE_REMITTANCE_ELDERLY"]
        assert outcome.decision is Decision.HOLD
        assert outcome.score == 45
        assert outcome.reasons[0].message["zh-CN"].startswith("客户年满 60 岁，")
        assert outcome.reasons[0].message["en"].startswith("The customer is 60 or older")
    else:
        assert outcome == Outcome(Decision.ALLOW, 0, ())


@pytest.mark.parametrize(
    ("purpose", "code", "phrase"),
    [
        ("转到安全账户配合调查", "PURPOSE_SAFE_ACCOUNT", "安全账户"),
        ("Move to SAFE ACCOUNT", "PURPOSE_SAFE_ACCOUNT", "safe account"),
        ("贷款保证金", "PURPOSE_LOAN_FEE", "保证金"),
        ("账户解冻费", "PURPOSE_LOAN_FEE", "解冻"),
        ("公司验资", "PURPOSE_LOAN_FEE", "验资"),
        ("刷单垫付", "PURPOSE_BRUSHING", "刷单"),
        ("投资回报", "PURPOSE_INVESTMENT", "投资回报"),
        ("买usdt", "PURPOSE_INVESTMENT", "USDT"),
        ("淘宝退款", "PURPOSE_REFUND", "退款"),
    ],
)
def test_purpose_phrase_hits_with_the_phrase_in_the_message(purpose: str, code: str, phrase: str) -> None:
    outcome = RULES.evaluate(facts(purpose=purpose))
    assert codes(outcome) == [code]
    assert f"“{phrase}”" in outcome.reasons[0].message["zh-CN"]
    assert f'"{phrase}"' in outcome.reasons[0].message["en"]
    assert outcome.decision is Decision.WARN


@pytest.mark.parametrize("purpose", ["房租", "安全", "账户安全", "保证", "刷卡", "投资理财", "退货", ""])
def test_purpose_near_misses(purpose: str) -> None:
    assert RULES.evaluate(facts(purpose=purpose)).reasons == ()


@pytest.mark.parametrize(
    ("history", "hits"),
    [
        ((past(1, Decision.WARN),), True),
        ((past(71.9, Decision.HOLD),), True),
        ((past(72, Decision.BLOCK),), True),
        ((past(72.01, Decision.WARN),), False),
        ((past(1, Decision.ALLOW),), False),
        ((), False),
    ],
)
def test_previously_warned(history: tuple[PastScreening, ...], hits: bool) -> None:
    outcome = RULES.evaluate(facts(new_payee=False, history=history))
    assert codes(outcome) == (["PREVIOUSLY_WARNED"] if hits else [])
    if hits:
        assert outcome.decision is Decision.HOLD  # 45 points alone only warn; the rule forces hold
        assert outcome.score == 45
        assert "72 hours" in outcome.reasons[0].message["en"]


@pytest.mark.parametrize(
    ("new_payee", "history", "hits"),
    [
        (True, (past(1, payee="6230000000000000001"), past(2, payee="6230000000000000002")), True),
        (True, (past(1, payee="6230000000000000001"), past(23.9, payee="6230000000000000002")), True),
        (True, (past(1, payee="6230000000000000001"), past(24.1, payee="6230000000000000002")), False),
        (True, (past(1, payee="6230000000000000001"), past(2, payee="6230000000000000001")), False),
        (True, (past(1, payee="6230000000000000001"), past(2, payee=PAYEE)), False),
        (
            True,
            (past(1, payee="6230000000000000001"), past(2, payee="6230000000000000002", new=False)),
            False,
        ),
        (False, (past(1, payee="6230000000000000001"), past(2, payee="6230000000000000002")), False),
    ],
)
def test_many_new_payees(new_payee: bool, history: tuple[PastScreening, ...], hits: bool) -> None:
    outcome = RULES.evaluate(facts(new_payee=new_payee, history=history))
    assert codes(outcome) == (["MANY_NEW_PAYEES"] if hits else [])
    if hits:
        assert outcome.decision is Decision.WARN
        assert outcome.reasons[0].message["en"] == (
            "The customer has remitted to 3 or more new payees within 24 hours."
        )


@pytest.mark.parametrize(
    ("face", "liveness", "hits"),
    [
        ("no_match", "passed", True),
        ("match", "failed", True),
        ("no_match", "failed", True),
        ("match", "passed", False),
        ("inconclusive", "passed", False),
        ("not_performed", "not_performed", False),
        ("declined", "not_performed", False),
    ],
)
def test_face_verification(face: str, liveness: str, hits: bool) -> None:
    outcome = RULES.evaluate(facts(face_outcome=face, liveness=liveness))
    assert codes(outcome) == (["FACE_NOT_VERIFIED"] if hits else [])
    if hits:
        assert (outcome.decision, outcome.score) == (Decision.HOLD, 60)


def test_combined_reasons_sum_cap_and_elevate() -> None:
    # 40 + 35 = 75: two warn-level reasons together reach hold by score.
    outcome = RULES.evaluate(facts(listings=(Listing("internal", "brushing"),), purpose="刷单"))
    assert codes(outcome) == ["PAYEE_INTERNAL_REPORT", "PURPOSE_BRUSHING"]
    assert (outcome.decision, outcome.score) == (Decision.HOLD, 75)
    # 70 + 35 = 105, capped at 100: a peer listing with a name mismatch is blocked.
    outcome = RULES.evaluate(
        facts(listings=(Listing("peer", "loan_fee"),), name_check=NameCheck(NameCheckOutcome.NO_MATCH))
    )
    assert (outcome.decision, outcome.score) == (Decision.BLOCK, 100)


def test_questions_are_deduplicated_in_rule_order() -> None:
    outcome = RULES.evaluate(facts(listings=(Listing("police", "safe_account"),), purpose="安全账户"))
    assert [question.id for question in outcome.questions] == [
        "who_gave_account",
        "told_keep_secret",
        "called_by_authority",
    ]


def test_outcome_questions_keep_the_first_text_of_a_repeated_id() -> None:
    first = Question("q", {"zh-CN": "一", "en": "one"})
    second = Question("q", {"zh-CN": "二", "en": "two"})
    reason = Reason("A", "refund", "low", "rule", 1, Decision.ALLOW, {}, (first,))
    other = Reason("B", "refund", "low", "rule", 1, Decision.ALLOW, {}, (second,))
    assert Outcome(Decision.ALLOW, 2, (reason, other)).questions == (first,)


def test_history_hours_is_the_longest_window() -> None:
    data = shipped()
    rule_data(data, "MANY_NEW_PAYEES")["hours"] = 96
    assert parse_rules(data, ORIGIN).history_hours == 96


# ------------------------------------------------------------------ properties

ALL_PHRASES = [phrase for rule in RULES.rules for phrase in rule.params.get("phrases", [])]
OTHER_PAYEES = ["6230000000000000001", "6230000000000000002", "6230000000000000003", PAYEE]

listings = st.builds(
    Listing, st.sampled_from(LIST_SOURCES), st.sampled_from([*RULES.typologies, "unlisted_typology"])
)
name_checks = st.sampled_from(
    [
        NameCheck(outcome, "王小明" if outcome is NameCheckOutcome.CLOSE_MATCH else None)
        for outcome in NameCheckOutcome
    ]
)
history = st.builds(
    PastScreening,
    created_at=st.integers(0, 100 * 3600).map(lambda seconds: NOW - timedelta(seconds=seconds)),
    decision=st.sampled_from(Decision),
    payee_account=st.sampled_from(OTHER_PAYEES),
    new_payee=st.booleans(),
)
screening_facts = st.builds(
    ScreeningFacts,
    now=st.just(NOW),
    payee_account=st.just(PAYEE),
    listings=st.lists(listings, max_size=3).map(tuple),
    name_check=name_checks,
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000000"), places=2),
    currency=st.sampled_from(["CNY", "USD", "EUR", "HKD", "GBP", "JPY"]),
    customer_age=st.none() | st.integers(0, 110),
    new_payee=st.booleans(),
    purpose=st.lists(st.sampled_from([*ALL_PHRASES, "房租", "学费", " "]), max_size=4).map("".join),
    history=st.lists(history, max_size=6).map(tuple),
    face_outcome=st.sampled_from(["match", "no_match", "inconclusive", "not_performed", "declined"]),
    liveness=st.sampled_from(["passed", "failed", "not_performed"]),
)
RULE_BY_CODE = {rule.code: rule for rule in RULES.rules}


@given(screening_facts)
def test_score_and_decision_are_explained_by_the_reasons(screening: ScreeningFacts) -> None:
    outcome = RULES.evaluate(screening)
    assert outcome.score == min(100, sum(reason.score for reason in outcome.reasons))
    assert outcome.decision == max(
        [RULES.decision_for_score(outcome.score), *(reason.min_decision for reason in outcome.reasons)]
    )
    assert codes(outcome) == [code for code in SHIPPED_CODES if code in codes(outcome)]
    for reason in outcome.reasons:
        rule = RULE_BY_CODE[reason.code]
        assert (reason.score, reason.min_decision) == (rule.score, rule.min_decision)
        assert reason.typology in RULES.typologies
    if not outcome.reasons:
        assert (outcome.decision, outcome.score) == (Decision.ALLOW, 0)


@given(screening_facts, listings)
def test_adding_a_listing_never_lowers_the_decision(screening: ScreeningFacts, extra: Listing) -> None:
    before = RULES.evaluate(screening)
    after = RULES.evaluate(dataclasses.replace(screening, listings=(*screening.listings, extra)))
    assert after.decision >= before.decision
    assert after.score >= before.score
    assert set(codes(before)) <= set(codes(after))
    listed_code = {"police": "PAYEE_POLICE_LIST", "peer": "PAYEE_PEER_BANK_LIST"}.get(
        extra.source, "PAYEE_INTERNAL_REPORT"
    )
    assert listed_code in codes(after)


def test_custom_thresholds_change_only_the_score_decision() -> None:
    data = shipped()
    data["decision"].update({"warn_at": 10, "hold_at": 20, "block_at": 30})
    custom: RuleSet = parse_rules(data, ORIGIN)
    outcome = custom.evaluate(facts(purpose="刷单"))
    assert (outcome.decision, outcome.score) == (Decision.BLOCK, 35)
