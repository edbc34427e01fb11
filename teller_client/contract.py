"""The service's answers as typed values; anything that does not match the contract is rejected.

Parsing is strict on purpose: a screening answer that is missing a field or has an unknown
decision must become "screening unavailable", never something the UI could read as allow.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DECISIONS = ("allow", "warn", "hold", "block")
NAME_CHECK_OUTCOMES = ("match", "close_match", "no_match", "unavailable")
ACTIONS = ("cancel", "proceed", "delay_arrival", "refer_police")
SEVERITIES = ("low", "medium", "high", "critical")
SOURCES = ("police_list", "peer_bank", "internal_report", "rule", "history")
RISK_STATUSES = ("police_listed", "reported", "no_record")
# The screening ID becomes a path segment of the acknowledgement URL: nothing in it may lead elsewhere.
_SCREENING_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The lobby pre-screen's answers, in the order the questionnaire asks them.
PRESCREEN_CHOICES = ("purpose", "who_asked", "relationship_to_payee", "urgency", "amount_band")
PRESCREEN_FLAGS = ("on_phone_now", "told_to_keep_secret", "first_time_payee")
PRESCREEN_TEXTS = {"purpose_text": 200, "remarks": 500}


class ContractError(ValueError):
    """The service's answer does not match API v1."""


@dataclass(frozen=True)
class Localized:
    zh_cn: str
    en: str

    def text(self, language: str) -> str:
        return self.zh_cn if language == "zh-CN" else self.en


@dataclass(frozen=True)
class Reason:
    code: str
    typology: str
    typology_label: Localized
    severity: str
    source: str
    score: int
    message: Localized


@dataclass(frozen=True)
class Question:
    id: str
    text: Localized


@dataclass(frozen=True)
class NameCheck:
    outcome: str
    name_on_record: str | None


@dataclass(frozen=True)
class ScreeningResult:
    screening_id: str
    decision: str
    score: int
    reasons: tuple[Reason, ...]
    payee_name_check: NameCheck
    questions: tuple[Question, ...]
    required_actions: tuple[str, ...]
    allowed_actions: tuple[str, ...]
    expires_at: str
    # The lobby pre-screen linked to the screening: {code, created_at, expires_at, answers}.
    prescreen: Mapping[str, Any] | None = None

    @property
    def needs_acknowledgement(self) -> bool:
        return self.decision != "allow"


@dataclass(frozen=True)
class TellerIdentity:
    teller_id: str
    display_name: str
    role: str
    branch_id: str


@dataclass(frozen=True)
class SessionGrant:
    token: str
    expires_at: str
    teller: TellerIdentity


def _get(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if not isinstance(data, Mapping) or key not in data:
        raise ContractError(f"{where}: missing {key!r}")
    value = data[key]
    if kind is int and isinstance(value, bool):
        raise ContractError(f"{where}.{key}: expected a whole number")
    if not isinstance(value, kind):
        raise ContractError(f"{where}.{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _localized(data: Mapping[str, Any], key: str, where: str) -> Localized:
    texts = _get(data, key, dict, where)
    return Localized(_get(texts, "zh-CN", str, f"{where}.{key}"), _get(texts, "en", str, f"{where}.{key}"))


def _one_of(value: str, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ContractError(f"{where}: {_shown(value)} is not one of {', '.join(allowed)}")
    return value


def _shown(value: Any) -> str:
    """A value in an error message, cut short: a fuzzed answer may hold megabytes."""
    if isinstance(value, str):
        return repr(value[:40])
    return type(value).__name__


def _texts(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _get(data, key, list, where)
    if not all(isinstance(item, str) for item in items):
        raise ContractError(f"{where}.{key}: expected a list of texts")
    return tuple(items)


def parse_screening(data: Any) -> ScreeningResult:
    where = "screening"
    decision = _one_of(_get(data, "decision", str, where), DECISIONS, f"{where}.decision")
    score = _get(data, "score", int, where)
    if not 0 <= score <= 100:
        raise ContractError(f"{where}.score: {score} is outside 0-100")
    reasons = tuple(
        Reason(
            code=_get(item, "code", str, f"{where}.reasons[{n}]"),
            typology=_get(item, "typology", str, f"{where}.reasons[{n}]"),
            typology_label=_localized(item, "typology_label", f"{where}.reasons[{n}]"),
            severity=_one_of(_get(item, "severity", str, f"{where}.reasons[{n}]"), SEVERITIES, "severity"),
            source=_one_of(_get(item, "source", str, f"{where}.reasons[{n}]"), SOURCES, "source"),
            score=_get(item, "score", int, f"{where}.reasons[{n}]"),
            message=_localized(item, "message", f"{where}.reasons[{n}]"),
        )
        for n, item in enumerate(_get(data, "reasons", list, where))
    )
    if decision != "allow" and not reasons:
        raise ContractError(f"{where}: a {decision!r} decision without reasons")
    name = _get(data, "payee_name_check", dict, where)
    name_on_record = name.get("name_on_record")
    if name_on_record is not None and not isinstance(name_on_record, str):
        raise ContractError(f"{where}.payee_name_check.name_on_record: expected text or null")
    name_check = NameCheck(
        _one_of(_get(name, "outcome", str, f"{where}.payee_name_check"), NAME_CHECK_OUTCOMES, where),
        name_on_record,
    )
    questions = tuple(
        Question(
            _get(item, "id", str, f"{where}.questions[{n}]"),
            _localized(item, "text", f"{where}.questions[{n}]"),
        )
        for n, item in enumerate(_get(data, "questions", list, where))
    )
    allowed_actions = tuple(
        _one_of(action, ACTIONS, f"{where}.allowed_actions")
        for action in _get(data, "allowed_actions", list, where)
    )
    if decision == "block" and "proceed" in allowed_actions:
        raise ContractError(f"{where}: a block that allows proceed")
    screening_id = _get(data, "screening_id", str, where)
    if not _SCREENING_ID.fullmatch(screening_id):
        raise ContractError(f"{where}.screening_id: {_shown(screening_id)} is not a screening ID")
    return ScreeningResult(
        screening_id=screening_id,
        decision=decision,
        score=score,
        reasons=reasons,
        payee_name_check=name_check,
        questions=questions,
        required_actions=_texts(data, "required_actions", where),
        allowed_actions=allowed_actions,
        expires_at=_get(data, "expires_at", str, where),
        prescreen=_optional_prescreen(data.get("prescreen")),
    )


def parse_prescreen(data: Any) -> dict[str, Any]:
    """A pre-screen from GET /v1/prescreens/{code}: the code and the answers the client knows.

    Answers of an unknown kind or type are left out rather than shown wrongly; texts are cut to
    the API's limits.
    """
    where = "prescreen"
    code = _get(data, "code", str, where)
    if not code or len(code) > 20:
        raise ContractError(f"{where}.code: not a pre-screen code")
    raw = _get(data, "answers", dict, where)
    answers: dict[str, Any] = {}
    for key in PRESCREEN_CHOICES:
        value = raw.get(key)
        if isinstance(value, str) and value:
            answers[key] = value[:64]
    for key in PRESCREEN_FLAGS:
        if isinstance(raw.get(key), bool):
            answers[key] = raw[key]
    for key, limit in PRESCREEN_TEXTS.items():
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            answers[key] = value.strip()[:limit]
    return {
        "code": code,
        "created_at": data.get("created_at") if isinstance(data.get("created_at"), str) else None,
        "expires_at": data.get("expires_at") if isinstance(data.get("expires_at"), str) else None,
        "answers": answers,
    }


def _optional_prescreen(data: Any) -> dict[str, Any] | None:
    """Lenient: a pre-screen that does not parse is left out; the screening itself still counts."""
    if data is None:
        return None
    try:
        return parse_prescreen(data)
    except ContractError:
        return None


def parse_prescreen_created(data: Any) -> dict[str, Any]:
    """The answer to POST /v1/prescreens: the code to show the customer and when it expires."""
    code = _get(data, "code", str, "prescreen")
    if not code or len(code) > 20:
        raise ContractError("prescreen.code: not a pre-screen code")
    return {"code": code, "expires_at": _get(data, "expires_at", str, "prescreen")}


def parse_account_risk(data: Any) -> dict[str, Any]:
    """GET /v1/accounts/{number}/risk, as the kiosk shows it: a lookup it cannot show in full is refused.

    A kiosk shows "no record" in green: only an answer that says so completely may be shown that way.
    """
    where = "account_risk"
    status = _one_of(_get(data, "status", str, where), RISK_STATUSES, f"{where}.status")
    advice = _localized(data, "advice", where)
    return {
        "account": _get(data, "account", str, where),
        "status": status,
        "advice": {"zh-CN": advice.zh_cn, "en": advice.en},
    }


def parse_session(data: Any) -> SessionGrant:
    teller = _get(data, "teller", dict, "session")
    return SessionGrant(
        token=_get(data, "token", str, "session"),
        expires_at=_get(data, "expires_at", str, "session"),
        teller=TellerIdentity(
            _get(teller, "teller_id", str, "session.teller"),
            _get(teller, "display_name", str, "session.teller"),
            _one_of(_get(teller, "role", str, "session.teller"), ("teller", "supervisor"), "role"),
            _get(teller, "branch_id", str, "session.teller"),
        ),
    )
