"""The JSON contract of HTTP API v1 (pydantic models; they also produce /openapi.json)."""

import math
import re
import unicodedata
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

_ACCOUNT = re.compile(r"^(?:[0-9]{8,30}|[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30})$")
# What normalise_account accepts, as the OpenAPI document states it: spaces anywhere, IBAN letters in
# either case, ASCII only.
ACCOUNT_INPUT_PATTERN = (
    r"^ *(?:[0-9] *){8,30}$|^ *[A-Za-z] *[A-Za-z] *[0-9] *[0-9] *(?:[A-Za-z0-9] *){10,30}$"
)
# At most 13 integer digits (10 trillion): with the 2 decimals, 15 significant digits, the most that
# SQLite's NUMERIC (stored as a double) keeps exactly; 9999999999999999.99 came back as 1e16.
_AMOUNT = re.compile(r"^[0-9]{1,13}(?:\.[0-9]{1,2})?$")
_RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_NUMBER = re.compile(r"^[A-Z0-9]{5,40}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_account(value: str) -> str:
    # ASCII only: str.upper() turns some other letters into ASCII ones ("ſ" into "S"), which would let
    # a look-alike spelling pass as the account.
    compact = value.replace(" ", "").upper() if value.isascii() else ""
    if not _ACCOUNT.fullmatch(compact):
        raise ValueError(
            "must be 8 to 30 digits (a Chinese account or card number) or an IBAN "
            "(two letters, two check digits, then letters and digits)"
        )
    return compact


AccountNumber = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        examples=["6222020200112233446"],
        json_schema_extra={"pattern": ACCOUNT_INPUT_PATTERN},
    ),
    AfterValidator(normalise_account),
]

# ---------------------------------------------------------------- characters a request text may hold

# Direction controls make text display in another order than it is stored: "\u202e明小王" shows as 王小明.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\t\n\r")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def text_problem(value: str) -> str | None:
    """Why a request text is refused: a control character (NUL cannot even be stored in PostgreSQL),
    a lone surrogate, or a direction control. Tabs and line breaks are allowed."""
    if value.isprintable():  # the common case, checked in C
        return None
    for char in value:
        category = unicodedata.category(char)
        if (category == "Cc" and char not in _LINE_BREAKS) or category == "Cs":
            return f"contains the control character {_describe(char)}; remove it"
        if char in _BIDI_CONTROLS:
            return (
                f"contains the direction control {_describe(char)}, which makes text display "
                "in another order than it is stored; remove it"
            )
    return None


def name_problem(value: str) -> str | None:
    """Names and identifiers are stricter: no invisible character at all (zero-width spaces and joiners,
    soft hyphens, direction marks, line breaks), so what the teller sees is what is compared."""
    if value.isprintable():
        return None
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return f"contains the invisible character {_describe(char)}; retype it"
    return None


def _visible_name(value: str) -> str:
    problem = name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


VisibleName = AfterValidator(_visible_name)


class RequestModel(BaseModel):
    """A request body: unknown fields refused, and no text field carries control or direction characters."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _safe_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise ValueError(problem)
        return value


def resident_id_problem(number: str) -> str | None:
    """GB 11643: 17 digits, a check character from the weighted sum, and a real birth date."""
    if not _RESIDENT_ID.fullmatch(number):
        return "must be 18 characters: 17 digits and a final digit or X"
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        return "check character does not match; re-read the number from the ID card"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "contains an impossible birth date; re-read the number from the ID card"
    return None


class Problem(BaseModel):
    """RFC 9457 problem document; `errors` names each offending field."""

    type: str = Field(examples=["urn:counterguard:problem:validation"])
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


class ArrivalMode(StrEnum):
    REALTIME = "realtime"
    DELAY_2H = "delay_2h"
    NEXT_DAY = "next_day"


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"


class Customer(RequestModel):
    id_type: IdType
    id_number: str = Field(min_length=5, max_length=40, examples=["11010519491231002X"])
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["张建国"]), VisibleName]
    birth_date: date = Field(examples=["1949-12-31"])

    @field_validator("id_number")
    @classmethod
    def _compact_id(cls, value: str) -> str:
        compact = value.replace(" ", "").upper()
        # ASCII letters and digits only: "E123\u200b4567" or a full-width "Ｅ1234567" would otherwise be
        # another customer to the history rules than "E1234567".
        if not _ID_NUMBER.fullmatch(compact):
            raise ValueError("must be the letters and digits printed on the document (ASCII, no other marks)")
        return compact

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _check_resident_id(self) -> "Customer":
        if self.id_type is IdType.RESIDENT_ID:
            problem = resident_id_problem(self.id_number)
            if problem:
                raise ValueError(f"id_number: {problem}")
            embedded = date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))
            if embedded != self.birth_date:
                raise ValueError(
                    "birth_date: does not match the birth date in the resident ID number "
                    f"({embedded.isoformat()})"
                )
        if self.birth_date > date.today():
            raise ValueError("birth_date: is in the future")
        return self


class FaceOutcome(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    INCONCLUSIVE = "inconclusive"
    NOT_PERFORMED = "not_performed"
    DECLINED = "declined"


class Liveness(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_PERFORMED = "not_performed"


class FaceVerification(RequestModel):
    """Only the outcome of the 1:1 match: no image or encoding ever leaves the counter."""

    outcome: FaceOutcome
    distance: float | None = Field(default=None, ge=0, le=2)
    liveness: Liveness = Liveness.NOT_PERFORMED


def _amount(value: str) -> str:
    if not _AMOUNT.fullmatch(value):
        raise ValueError(
            'must be a decimal string with at most 2 decimals and no separators, e.g. "12500.00"'
        )
    if Decimal(value) <= 0:
        raise ValueError("must be greater than 0")
    return value


# Pre-screen codes: 6 characters from an alphabet without the look-alikes 0/O, 1/I/L, shown as ABC-234.
PRESCREEN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PRESCREEN_CODE_LENGTH = 6
_PRESCREEN_CODE = re.compile(f"^[{PRESCREEN_CODE_ALPHABET}]{{{PRESCREEN_CODE_LENGTH}}}$")
# Free texts of a pre-screen must not carry account, card, ID or phone numbers.
_LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９ -]{6,}[0-9０-９]")


def normalise_prescreen_code(value: str) -> str:
    """`abc-234`, `ABC 234` and `ABC234` are the same code; returns the stored form `ABC234`."""
    compact = re.sub(r"[\s-]", "", value).upper()
    if not _PRESCREEN_CODE.fullmatch(compact):
        raise ValueError(
            "must be a 6-character pre-screen code like ABC-234 "
            "(letters and the digits 2-9; there is no 0, 1, I, L or O)"
        )
    return compact


def display_prescreen_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


PrescreenCode = Annotated[str, Field(min_length=1, max_length=20), AfterValidator(normalise_prescreen_code)]


class PrescreenPurpose(StrEnum):
    FAMILY_SUPPORT = "family_support"
    RENT_OR_BILLS = "rent_or_bills"
    PURCHASE = "purchase"
    INVESTMENT = "investment"
    LOAN_OR_FEE = "loan_or_fee"
    TAX_OR_FINE = "tax_or_fine"
    SAFE_ACCOUNT_REQUEST = "safe_account_request"
    OTHER = "other"


class WhoAsked(StrEnum):
    SELF = "self"
    FAMILY = "family"
    FRIEND = "friend"
    EMPLOYER = "employer"
    CALLER_CLAIMING_AUTHORITY = "caller_claiming_authority"
    ONLINE_CONTACT = "online_contact"
    CUSTOMER_SERVICE = "customer_service"
    OTHER = "other"


class PayeeRelationship(StrEnum):
    SELF = "self"
    FAMILY = "family"
    FRIEND = "friend"
    BUSINESS = "business"
    NEVER_MET = "never_met"
    UNKNOWN = "unknown"


class Urgency(StrEnum):
    NONE = "none"
    TODAY = "today"
    IMMEDIATELY_OR_THREATENED = "immediately_or_threatened"


class AmountBand(StrEnum):
    UNDER_10K = "under_10k"
    FROM_10K_TO_50K = "10k_to_50k"
    FROM_50K_TO_200K = "50k_to_200k"
    OVER_200K = "over_200k"


def _no_numbers(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if _LONG_NUMBER.search(value):
        raise ValueError(
            "must not contain account, card, ID or phone numbers: a pre-screen keeps no personal data"
        )
    return value or None


class PrescreenAnswers(RequestModel):
    """The lobby questionnaire: structured answers, no names, no account numbers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "safe_account_request",
                    "purpose_text": "对方说账户涉嫌洗钱，要转到安全账户",
                    "who_asked": "caller_claiming_authority",
                    "relationship_to_payee": "never_met",
                    "urgency": "immediately_or_threatened",
                    "on_phone_now": True,
                    "told_to_keep_secret": True,
                    "first_time_payee": True,
                    "amount_band": "50k_to_200k",
                    "remarks": "客户神情紧张，一直在通话",
                }
            ]
        },
    )

    purpose: PrescreenPurpose
    purpose_text: Annotated[str | None, Field(max_length=200), AfterValidator(_no_numbers)] = None
    who_asked: WhoAsked
    relationship_to_payee: PayeeRelationship
    urgency: Urgency
    on_phone_now: StrictBool
    told_to_keep_secret: StrictBool
    first_time_payee: StrictBool
    amount_band: AmountBand
    remarks: Annotated[str | None, Field(max_length=500), AfterValidator(_no_numbers)] = None


class PrescreenCreated(BaseModel):
    code: str = Field(
        examples=["KQ7-M4X"], description="Read aloud and typed at the counter; case and dash do not matter"
    )
    expires_at: str


class PrescreenOut(BaseModel):
    code: str = Field(examples=["KQ7-M4X"])
    created_at: str
    expires_at: str
    answers: PrescreenAnswers


class ScreeningRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payer_account": "6222020200112233446",
                    "payee_account": "6228480012345678903",
                    "payee_name": "王小明",
                    "payee_bank": "中国农业银行",
                    "amount": "50000.00",
                    "currency": "CNY",
                    "purpose": "购房首付",
                    "arrival_mode": "realtime",
                    "branch_id": "BJ0101",
                    "customer": {
                        "id_type": "resident_id",
                        "id_number": "11010519491231002X",
                        "name": "张建国",
                        "birth_date": "1949-12-31",
                    },
                    "face_verification": {
                        "outcome": "match",
                        "distance": 0.38,
                        "liveness": "passed",
                    },
                }
            ]
        },
    )

    payer_account: AccountNumber
    payee_account: AccountNumber
    payee_name: Annotated[str, Field(min_length=1, max_length=100), VisibleName]
    payee_bank: Annotated[str, Field(min_length=1, max_length=100), VisibleName]
    amount: Annotated[
        str, Field(max_length=20, json_schema_extra={"pattern": _AMOUNT.pattern}), AfterValidator(_amount)
    ]
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])
    purpose: str = Field(max_length=200)
    arrival_mode: ArrivalMode = ArrivalMode.REALTIME
    branch_id: Annotated[str, Field(min_length=1, max_length=32), VisibleName]
    customer: Customer
    face_verification: FaceVerification
    prescreen_code: PrescreenCode | None = Field(
        default=None, description="The code of the customer's lobby pre-screen, e.g. KQ7-M4X"
    )

    @model_validator(mode="after")
    def _different_accounts(self) -> "ScreeningRequest":
        if self.payer_account == self.payee_account:
            raise ValueError("payee_account: is the same as the payer account")
        return self


class LocalizedText(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    zh_cn: str = Field(alias="zh-CN")
    en: str


class ReasonOut(BaseModel):
    code: str = Field(examples=["PAYEE_POLICE_LIST"])
    typology: str = Field(examples=["mule_account"])
    typology_label: LocalizedText
    severity: Literal["low", "medium", "high", "critical"]
    source: Literal["police_list", "peer_bank", "internal_report", "rule", "history"]
    score: int
    message: LocalizedText


class QuestionOut(BaseModel):
    id: str
    text: LocalizedText


class PayeeNameCheckOut(BaseModel):
    outcome: Literal["match", "close_match", "no_match", "unavailable"]
    name_on_record: str | None = Field(
        default=None, description="Only for close_match, as Confirmation of Payee shows it"
    )


class ScreeningResponse(BaseModel):
    screening_id: str
    decision: Literal["allow", "warn", "hold", "block"]
    score: int = Field(ge=0, le=100)
    reasons: list[ReasonOut]
    payee_name_check: PayeeNameCheckOut
    questions: list[QuestionOut]
    required_actions: list[str]
    allowed_actions: list[str]
    rules_version: str
    created_at: str
    expires_at: str
    prescreen: PrescreenOut | None = Field(
        default=None, description="Only when the request linked a pre-screen: its answers"
    )


class AckAction(StrEnum):
    CANCEL = "cancel"
    PROCEED = "proceed"
    DELAY_ARRIVAL = "delay_arrival"
    REFER_POLICE = "refer_police"


class Answer(RequestModel):
    question_id: Annotated[str, Field(min_length=1, max_length=64), VisibleName]
    answer: str = Field(min_length=1, max_length=500)


class SupervisorApproval(RequestModel):
    approval_token: str = Field(
        min_length=10,
        max_length=200,
        description="Token from POST /v1/sessions with purpose=approval, signed in by the supervisor",
    )


class AcknowledgementRequest(RequestModel):
    client_event_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    action: AckAction
    delay: Literal["2h", "next_day"] | None = None
    answers: list[Answer] = Field(default_factory=list, max_length=50)
    note: str = Field(default="", max_length=1000)
    supervisor_approval: SupervisorApproval | None = None

    @model_validator(mode="after")
    def _delay_only_with_delay_action(self) -> "AcknowledgementRequest":
        if self.action is AckAction.DELAY_ARRIVAL and self.delay is None:
            raise ValueError("delay: required when action is delay_arrival (2h or next_day)")
        if self.action is not AckAction.DELAY_ARRIVAL and self.delay is not None:
            raise ValueError("delay: only allowed when action is delay_arrival")
        return self


class AcknowledgementResponse(BaseModel):
    ack_id: str
    screening_id: str
    action: str
    delay: str | None
    recorded_at: str
    final: bool


class RiskStatus(StrEnum):
    POLICE_LISTED = "police_listed"
    REPORTED = "reported"
    NO_RECORD = "no_record"


class AccountRiskResponse(BaseModel):
    account: str = Field(description="Masked: only the last four digits are shown")
    status: RiskStatus
    advice: LocalizedText


class ReportRequest(RequestModel):
    account_number: AccountNumber
    account_name: Annotated[str, Field(max_length=100), VisibleName] = ""
    bank: Annotated[str, Field(max_length=100), VisibleName] = ""
    typology: Annotated[str, Field(min_length=1, max_length=40), VisibleName]
    description: str = Field(min_length=5, max_length=2000)


class ReportResponse(BaseModel):
    report_id: str
    account: str
    recorded_at: str


class SessionRequest(RequestModel):
    teller_id: Annotated[str, Field(min_length=1, max_length=32), VisibleName]
    password: str = Field(min_length=1, max_length=200)
    purpose: Literal["session", "approval"] = "session"


class TellerOut(BaseModel):
    teller_id: str
    display_name: str
    role: Literal["teller", "supervisor"]
    branch_id: str


class SessionResponse(BaseModel):
    token: str
    purpose: Literal["session", "approval"]
    expires_at: str
    teller: TellerOut


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    database: Literal["ok"]
    rules_version: str
    terminal_id: str


MAX_SEQUENCE = 2**31 - 1
_INT64 = 2**63


def _plain_json(payload: dict[str, Any]) -> dict[str, Any]:
    """The free-form payload must store and read back as it came: text that encodes as UTF-8,
    finite numbers in 64-bit range (no NaN, no 10,000-digit numbers)."""
    pending: list[tuple[str, Any]] = [("", payload)]
    while pending:  # a loop, not recursion, however deep the payload
        path, value = pending.pop()
        where = path.lstrip(".") or "the payload"
        if isinstance(value, dict):
            pending.extend((f"{path}.{key}", key) for key in value)  # keys are text too
            pending.extend((f"{path}.{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
        elif isinstance(value, str):
            # Only what cannot be stored: control characters are kept, escaped in the stored JSON, since
            # refusing a record the counter has already chained would lose it.
            if any("\ud800" <= char <= "\udfff" for char in value):
                raise ValueError(f"{where} contains a lone surrogate, which is not text")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{where} is not a finite number")
        elif not (
            value is None or isinstance(value, bool) or (isinstance(value, int) and -_INT64 <= value < _INT64)
        ):
            # a huge int, or a Decimal: a number too long to parse as an int (see http_limits.py)
            raise ValueError(f"{where} is a number outside the 64-bit integer range")
    return payload


class AuditRecordRequest(RequestModel):
    """One record of a counter's hash-chained audit log."""

    record_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    # The database column is a 32-bit integer.
    sequence: int = Field(ge=1, le=MAX_SEQUENCE)
    kind: Annotated[str, Field(min_length=1, max_length=40), VisibleName]
    created_at: Annotated[str, Field(min_length=10, max_length=40), VisibleName]
    payload: Annotated[dict[str, Any], AfterValidator(_plain_json)]
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class AuditRecordResponse(BaseModel):
    record_id: str
    received_at: str
    duplicate: bool
    chain: Literal["linked", "unlinked", "broken"] = Field(
        description="linked: its hash is right and it links to the records around it held here; "
        "unlinked: its hash is right, its neighbours are not here (yet); broken: its hash does not match "
        "its content, or it does not link to a neighbour (the counter's log was altered: investigate)"
    )
