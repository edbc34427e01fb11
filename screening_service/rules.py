"""Declarative screening rules: loaded from TOML, evaluated against the facts of one remittance."""

import functools
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeGuard

from screening_service.api_models import (
    AmountBand,
    PayeeRelationship,
    PrescreenPurpose,
    Urgency,
    WhoAsked,
)
from screening_service.names import NameCheck

DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.toml")
LANGUAGES = ("zh-CN", "en")


class Decision(IntEnum):
    """Ordered so that max() is the stricter decision."""

    ALLOW = 0
    WARN = 1
    HOLD = 2
    BLOCK = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> "Decision":
        return cls[label.upper()]


LIST_SOURCES = ("police", "peer", "internal")
# The pre-screen answers a `prescreen_answer` rule may look at, with the values each can have.
PRESCREEN_ANSWERS: dict[str, tuple[str | bool, ...]] = {
    "purpose": tuple(item.value for item in PrescreenPurpose),
    "who_asked": tuple(item.value for item in WhoAsked),
    "relationship_to_payee": tuple(item.value for item in PayeeRelationship),
    "urgency": tuple(item.value for item in Urgency),
    "amount_band": tuple(item.value for item in AmountBand),
    "on_phone_now": (True, False),
    "told_to_keep_secret": (True, False),
    "first_time_payee": (True, False),
}


@dataclass(frozen=True)
class Listing:
    source: str
    typology: str


@dataclass(frozen=True)
class PastScreening:
    created_at: datetime
    decision: Decision
    payee_account: str
    new_payee: bool


@dataclass(frozen=True)
class ScreeningFacts:
    """Everything the rules may look at, gathered before any rule runs."""

    now: datetime
    payee_account: str
    listings: tuple[Listing, ...]
    name_check: NameCheck
    amount: Decimal
    currency: str
    customer_age: int | None
    new_payee: bool
    purpose: str
    history: tuple[PastScreening, ...]
    face_outcome: str
    liveness: str
    # The answers of the lobby pre-screen linked to the screening, if any.
    prescreen: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Reason:
    code: str
    typology: str
    severity: str
    source: str
    score: int
    min_decision: Decision
    message: Mapping[str, str]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    typology: str
    score: int
    min_decision: Decision
    severity: str
    source: str
    message: Mapping[str, str]
    questions: tuple[Question, ...]
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    score: int
    reasons: tuple[Reason, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        seen: dict[str, Question] = {}
        for reason in self.reasons:
            for question in reason.questions:
                seen.setdefault(question.id, question)
        return tuple(seen.values())


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the rule and the key."""


# What a rule hit contributes to its message, or None for no hit.
Matcher = Callable[[Rule, ScreeningFacts, "RuleSet"], dict[str, str] | None]

_MATCHERS: dict[str, Matcher] = {}
_REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {}
_PLACEHOLDERS: dict[str, frozenset[str]] = {}


def _matcher(
    kind: str, required: tuple[str, ...], placeholders: tuple[str, ...] = ()
) -> Callable[[Matcher], Matcher]:
    """Register the matcher of a rule kind, with the keys it needs and the values it gives messages."""

    def register(function: Matcher) -> Matcher:
        _MATCHERS[kind] = function
        _REQUIRED_PARAMS[kind] = required
        _PLACEHOLDERS[kind] = frozenset(placeholders)
        return function

    return register


@dataclass(frozen=True)
class RuleSet:
    version: str
    warn_at: int
    hold_at: int
    block_at: int
    valid_minutes: int
    typologies: Mapping[str, Mapping[str, str]]
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @functools.cached_property
    def history_hours(self) -> int:
        """How far back the customer's history must be read for the history rules (asked for on
        every screening; the rules never change once loaded)."""
        windows = [int(rule.params["hours"]) for rule in self.rules if "hours" in rule.params]
        return max(windows, default=0)

    def typology_label(self, typology: str, language: str) -> str:
        return self.typologies.get(typology, {}).get(language, typology)

    def decision_for_score(self, score: int) -> Decision:
        if score >= self.block_at:
            return Decision.BLOCK
        if score >= self.hold_at:
            return Decision.HOLD
        if score >= self.warn_at:
            return Decision.WARN
        return Decision.ALLOW

    def evaluate(self, facts: ScreeningFacts) -> Outcome:
        reasons: list[Reason] = []
        for rule in self.rules:
            values = _MATCHERS[rule.kind](rule, facts, self)
            if values is None:
                continue
            message = {lang: rule.message[lang].format(**values) for lang in LANGUAGES}
            typology = values.get("typology", rule.typology)
            reasons.append(
                Reason(
                    rule.code,
                    typology,
                    rule.severity,
                    rule.source,
                    rule.score,
                    rule.min_decision,
                    message,
                    rule.questions,
                )
            )
        score = min(100, sum(reason.score for reason in reasons))
        decision = max([self.decision_for_score(score), *(reason.min_decision for reason in reasons)])
        return Outcome(decision, score, tuple(reasons))


@_matcher(
    "payee_listed",
    ("list_source",),
    ("typology", "listing_typology_zh", "listing_typology_en"),
)
def _payee_listed(rule: Rule, facts: ScreeningFacts, rules: RuleSet) -> dict[str, str] | None:
    for listing in facts.listings:
        if listing.source == rule.params["list_source"]:
            typology = listing.typology if listing.typology in rules.typologies else rule.typology
            return {
                "typology": typology,
                "listing_typology_zh": rules.typology_label(typology, "zh-CN"),
                "listing_typology_en": rules.typology_label(typology, "en"),
            }
    return None


@_matcher("payee_name_check", ("outcomes",))
def _payee_name(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    return {} if facts.name_check.outcome.value in rule.params["outcomes"] else None


@_matcher("new_payee_large_elderly", ("min_age", "large_amount"), ("min_age",))
def _new_payee_large_elderly(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    min_age = int(rule.params["min_age"])
    if not facts.new_payee or facts.customer_age is None or facts.customer_age < min_age:
        return None
    limit = rule.params["large_amount"].get(facts.currency)
    if limit is not None and facts.amount < Decimal(limit):
        return None
    return {"min_age": str(min_age)}


@_matcher("purpose_phrases", ("phrases",), ("phrase",))
def _purpose_phrases(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    purpose = facts.purpose.casefold()
    for phrase in rule.params["phrases"]:
        if phrase.casefold() in purpose:
            return {"phrase": phrase}
    return None


@_matcher("previously_warned", ("hours", "decisions"), ("hours",))
def _previously_warned(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    since = facts.now - timedelta(hours=int(rule.params["hours"]))
    flagged = {Decision.parse(label) for label in rule.params["decisions"]}
    for past in facts.history:
        if past.created_at >= since and past.decision in flagged:
            return {"hours": str(rule.params["hours"])}
    return None


@_matcher("new_payees_burst", ("hours", "count"), ("hours", "count"))
def _new_payees_burst(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    if not facts.new_payee:
        return None
    since = facts.now - timedelta(hours=int(rule.params["hours"]))
    others = {
        past.payee_account
        for past in facts.history
        if past.new_payee and past.created_at >= since and past.payee_account != facts.payee_account
    }
    if len(others) + 1 >= int(rule.params["count"]):
        return {"hours": str(rule.params["hours"]), "count": str(rule.params["count"])}
    return None


@_matcher("face_verification", ("outcomes", "liveness"))
def _face_verification(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    if facts.face_outcome in rule.params["outcomes"] or facts.liveness in rule.params["liveness"]:
        return {}
    return None


def _same_answer(value: object, wanted: object) -> bool:
    # type() first: True == 1 in Python, but a yes/no answer is never a label.
    return type(value) is type(wanted) and value == wanted


@_matcher("prescreen_answer", ("answer", "values"), ("value",))
def _prescreen_answer(rule: Rule, facts: ScreeningFacts, _rules: RuleSet) -> dict[str, str] | None:
    answers = facts.prescreen
    if answers is None:
        return None
    conditions = {rule.params["answer"]: rule.params["values"], **rule.params.get("also", {})}
    for key, values in conditions.items():
        if not any(_same_answer(answers.get(key), wanted) for wanted in values):
            return None
    value = answers[rule.params["answer"]]
    return {"value": str(value).lower() if isinstance(value, bool) else str(value)}


_RULE_KEYS = {
    "code",
    "kind",
    "typology",
    "score",
    "min_decision",
    "severity",
    "source",
    "message",
    "questions",
}
SEVERITIES = ("low", "medium", "high", "critical")
SOURCES = ("police_list", "peer_bank", "internal_report", "rule", "history")


def load_rules(path: Path = DEFAULT_RULES_PATH) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RulesError(f"{path}: cannot read the rules file ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{path}: not valid TOML: {error}") from error
    return parse_rules(data, str(path))


def parse_rules(data: Mapping[str, Any], origin: str) -> RuleSet:
    def fail(where: str, problem: str) -> RulesError:
        return RulesError(f"{origin}: {where}: {problem}")

    decision = data.get("decision")
    if not isinstance(decision, dict):
        raise fail("[decision]", "missing; it needs warn_at, hold_at, block_at and valid_minutes")
    thresholds = []
    for key in ("warn_at", "hold_at", "block_at", "valid_minutes"):
        value = decision.get(key)
        if not _is_whole(value) or value <= 0:
            raise fail(f"[decision].{key}", "must be a whole number above 0")
        thresholds.append(value)
    if not thresholds[0] < thresholds[1] < thresholds[2] <= 100:
        raise fail("[decision]", "needs warn_at < hold_at < block_at <= 100")
    typologies = data.get("typologies", {})
    if not isinstance(typologies, dict):
        raise fail("[typologies]", "must be a table of name = { zh-CN = ..., en = ... }")
    for name, labels in typologies.items():
        if not isinstance(labels, dict) or any(lang not in labels for lang in LANGUAGES):
            raise fail(f"[typologies].{name}", "needs a label for zh-CN and en")

    rules: list[Rule] = []
    seen_codes: set[str] = set()
    for index, raw in enumerate(data.get("rule", []), 1):
        where = f"rule {index} ({raw.get('code', 'no code')})"
        rules.append(_parse_rule(raw, typologies, functools.partial(fail, where)))
        if rules[-1].code in seen_codes:
            raise fail(where, "code used by an earlier rule; codes must be unique")
        seen_codes.add(rules[-1].code)
    if not rules:
        raise fail("[[rule]]", "no rules defined")
    return RuleSet(
        version=str(data.get("version", "unversioned")),
        warn_at=thresholds[0],
        hold_at=thresholds[1],
        block_at=thresholds[2],
        valid_minutes=thresholds[3],
        typologies=typologies,
        rules=tuple(rules),
    )


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_params(kind: str, params: Mapping[str, Any], fail: Callable[[str], RulesError]) -> None:
    """The values of a kind's own keys; a bad one would otherwise fail at screening time."""

    def whole(key: str, minimum: int) -> None:
        if key in params and (not _is_whole(params[key]) or params[key] < minimum):
            raise fail(f"{key} must be a whole number of at least {minimum}")

    def labels(key: str, allowed: tuple[str, ...]) -> None:
        value = params.get(key)
        if key in params and (
            not isinstance(value, list) or not value or any(item not in allowed for item in value)
        ):
            raise fail(f"{key} must be a non-empty list drawn from: {', '.join(allowed)}")

    whole("hours", 1)
    whole("count", 2)
    whole("min_age", 0)
    labels("decisions", tuple(decision.label for decision in Decision))
    if kind == "payee_listed" and params["list_source"] not in LIST_SOURCES:
        raise fail(f"list_source must be one of {', '.join(LIST_SOURCES)}")
    if kind == "payee_name_check":
        labels("outcomes", ("match", "close_match", "no_match", "unavailable"))
    if kind == "face_verification":
        labels("outcomes", ("match", "no_match", "inconclusive", "not_performed", "declined"))
        labels("liveness", ("passed", "failed", "not_performed"))
    if kind == "purpose_phrases":
        phrases = params["phrases"]
        if (
            not isinstance(phrases, list)
            or not phrases
            or not all(isinstance(phrase, str) and phrase.strip() for phrase in phrases)
        ):
            raise fail("phrases must be a non-empty list of non-blank texts")
    if kind == "prescreen_answer":
        _check_prescreen_params(params, fail)
    if kind == "new_payee_large_elderly":
        amounts = params["large_amount"]
        if not isinstance(amounts, dict):
            raise fail('large_amount must be a table of currency = "amount"')
        for currency, amount in amounts.items():
            try:
                if not isinstance(amount, str) or Decimal(amount) <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                raise fail(f"large_amount.{currency} must be a positive decimal string") from None


def _check_prescreen_params(params: Mapping[str, Any], fail: Callable[[str], RulesError]) -> None:
    def answer_values(where: str, answer: object, values: object) -> None:
        if not isinstance(answer, str) or answer not in PRESCREEN_ANSWERS:
            raise fail(f"{where} must be one of: {', '.join(PRESCREEN_ANSWERS)}")
        allowed = PRESCREEN_ANSWERS[answer]
        if (
            not isinstance(values, list)
            or not values
            or not all(any(_same_answer(item, each) for each in allowed) for item in values)
        ):
            shown = ", ".join(str(each).lower() if isinstance(each, bool) else each for each in allowed)
            raise fail(f"values for {answer} must be a non-empty list drawn from: {shown}")

    answer_values("answer", params["answer"], params["values"])
    also = params.get("also", {})
    if not isinstance(also, dict):
        raise fail("also must be a table of answer = [values]")
    for key, values in also.items():
        if key == params["answer"]:
            raise fail(f"also repeats the answer {key}")
        answer_values(f"also.{key}", key, values)


def _parse_rule(
    raw: Mapping[str, Any],
    typologies: Mapping[str, Any],
    fail: Callable[[str], RulesError],
) -> Rule:
    missing = sorted(_RULE_KEYS - {"questions"} - raw.keys())
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    kind = raw["kind"]
    if kind not in _MATCHERS:
        raise fail(f"kind {kind!r} is unknown; known kinds: {', '.join(sorted(_MATCHERS))}")
    params = {key: value for key, value in raw.items() if key not in _RULE_KEYS}
    for key in _REQUIRED_PARAMS[kind]:
        if key not in params:
            raise fail(f"kind {kind} needs the key {key!r}")
    _check_params(kind, params, fail)
    if raw["typology"] not in typologies:
        raise fail(f"typology {raw['typology']!r} is not defined under [typologies]")
    if not _is_whole(raw["score"]) or not 0 <= raw["score"] <= 100:
        raise fail("score must be a whole number from 0 to 100")
    try:
        min_decision = Decision.parse(str(raw["min_decision"]))
    except KeyError as error:
        raise fail("min_decision must be allow, warn, hold or block") from error
    if raw["severity"] not in SEVERITIES:
        raise fail(f"severity must be one of {', '.join(SEVERITIES)}")
    if raw["source"] not in SOURCES:
        raise fail(f"source must be one of {', '.join(SOURCES)}")
    message = raw["message"]
    if not isinstance(message, dict) or any(lang not in message for lang in LANGUAGES):
        raise fail("message needs zh-CN and en texts")
    for lang in LANGUAGES:
        try:
            used = [name for _, name, _, _ in string.Formatter().parse(message[lang]) if name is not None]
        except ValueError as error:
            raise fail(
                f"message.{lang} is not a valid template ({error}); write braces as {{{{ }}}}"
            ) from None
        unknown = set(used) - _PLACEHOLDERS[kind]
        if unknown:
            allowed = ", ".join(sorted(_PLACEHOLDERS[kind])) or "none"
            shown = ", ".join(sorted(f"{{{name}}}" for name in unknown))
            raise fail(f"message.{lang} uses {shown}; kind {kind} offers: {allowed}")
    questions = []
    for number, question in enumerate(raw.get("questions", []), 1):
        if "id" not in question or any(lang not in question for lang in LANGUAGES):
            raise fail(f"question {number} needs an id and zh-CN and en texts")
        questions.append(Question(question["id"], {lang: question[lang] for lang in LANGUAGES}))
    return Rule(
        code=str(raw["code"]),
        kind=kind,
        typology=raw["typology"],
        score=raw["score"],
        min_decision=min_decision,
        severity=raw["severity"],
        source=raw["source"],
        message={lang: message[lang] for lang in LANGUAGES},
        questions=tuple(questions),
        params=params,
    )
