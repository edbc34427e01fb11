"""POST /v1/screenings: gather the facts of a remittance, run the rules, store and answer."""

import logging
import secrets
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Dialect,
    Integer,
    and_,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError

from screening_service.api_models import ScreeningRequest
from screening_service.auth import TellerSession, Terminal
from screening_service.context import ServiceContext
from screening_service.driver_sql import (
    AsyncHotConnections,
    DriverStatement,
    Step,
    Steps,
    WriterBusyError,
    run_steps,
)
from screening_service.idempotency import (
    INSERT_RECORD,
    StoredResponse,
    model_fingerprint,
    record_values,
    replay,
    request_fingerprint,
)
from screening_service.names import check_name
from screening_service.prescreens import find_prescreen
from screening_service.problems import ProblemError, invalid_field
from screening_service.rules import (
    LANGUAGES,
    Decision,
    Listing,
    Outcome,
    PastScreening,
    RuleSet,
    ScreeningFacts,
)
from screening_service.schema import account_directory, idempotency_records, listed_accounts, screenings
from screening_service.security import customer_key, mask_tail
from screening_service.timeutil import iso, utc_now

log = logging.getLogger("screening_service.screening")

ENDPOINT = "screenings"
HISTORY_LIMIT = 500

# The hot path's statements, run on the driver's cursor (see driver_sql).
# The payee's name on record, whether the customer has paid this payee before, and the payee's
# listings (a row per listing; one row with NULL source when it has none).
_ONE_ROW = select(literal(1).label("one")).subquery("payee")
_PAYEE_FACTS = select(
    select(account_directory.c.holder_name)
    .where(account_directory.c.account_number == bindparam("payee"))
    .scalar_subquery()
    .label("name_on_record"),
    exists()
    .where(
        and_(
            screenings.c.customer_key == bindparam("customer"),
            screenings.c.payee_account == bindparam("payee"),
            or_(screenings.c.final_action == "proceed", screenings.c.final_action == "delay_arrival"),
        )
    )
    .label("known_payee"),
    listed_accounts.c.source,
    listed_accounts.c.typology,
).select_from(_ONE_ROW.outerjoin(listed_accounts, listed_accounts.c.account_number == bindparam("payee")))
_HISTORY = (
    select(
        screenings.c.created_at,
        screenings.c.decision,
        screenings.c.payee_account,
        screenings.c.new_payee,
    )
    .where(screenings.c.customer_key == bindparam("customer"), screenings.c.created_at >= bindparam("since"))
    .order_by(screenings.c.created_at.desc())
    .limit(literal_column(str(HISTORY_LIMIT), Integer))
)
# Both in one statement, one round trip: each payee row joined with each history row (a payee is on
# at most a few lists), or with NULLs when the customer has no history.
_FACTS = _PAYEE_FACTS.subquery("payee_facts")
_PAST = _HISTORY.subquery("history")
_PAYEE_AND_HISTORY = select(*_FACTS.c, *_PAST.c).select_from(_FACTS.outerjoin(_PAST, true()))
# Changes whenever a screening of the customer is stored (screenings are never changed in these
# columns, and only ever removed oldest first).
_CUSTOMER_VERSION = select(func.count(), func.max(screenings.c.created_at)).where(
    screenings.c.customer_key == bindparam("customer")
)


# On PostgreSQL the screening and its idempotency record are written by one statement, so that they
# are stored together without a transaction's BEGIN and COMMIT round trips (see HotConnections). The
# record takes the terminal, the answer and the time from the screening's row, so that the answer is
# sent once.
_NEW_SCREENING = (
    screenings.insert()
    .values({column.name: bindparam(column.name) for column in screenings.c})
    .returning(screenings.c.terminal_id, screenings.c.response_json, screenings.c.created_at)
    .cte("new_screening")
)
_FROM_SCREENING = ("terminal_id", "response_json", "created_at")
_RECORD_OWN = [column for column in idempotency_records.c if column.name not in _FROM_SCREENING]
_STORE_BOTH = idempotency_records.insert().from_select(
    [*_FROM_SCREENING, *(column.name for column in _RECORD_OWN)],
    select(
        *(_NEW_SCREENING.c[name] for name in _FROM_SCREENING),
        *(bindparam(f"record_{column.name}", type_=column.type) for column in _RECORD_OWN),
    ),
)


class _HotStatements:
    """The statements of a screening, compiled for one database dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.payee_and_history = DriverStatement(_PAYEE_AND_HISTORY, dialect)
        self._customer_version = DriverStatement(_CUSTOMER_VERSION, dialect)
        self._one_statement = dialect.name == "postgresql"
        if self._one_statement:
            self._store_both = DriverStatement(_STORE_BOTH, dialect)
        else:
            self._insert_screening = DriverStatement(screenings.insert(), dialect)
            self._insert_record = DriverStatement(INSERT_RECORD, dialect)

    def customer_version(self, customer: str) -> Steps[tuple[Any, ...] | None]:
        """On SQLite, what tells whether another screening of the customer was stored since; None on
        PostgreSQL, whose instances screen side by side under READ COMMITTED and check nothing."""
        if self._one_statement:
            return None
        return (yield Step(self._customer_version, {"customer": customer}))[0]

    def store(self, screening: dict[str, Any], record: dict[str, Any]) -> Steps[None]:
        """Write the screening and its idempotency record; a record already stored fails both."""
        if self._one_statement:
            both = {**screening, **{f"record_{column.name}": record[column.name] for column in _RECORD_OWN}}
            yield Step(self._store_both, both, wants_rows=False)
        else:
            yield Step(self._insert_screening, screening, wants_rows=False)
            yield Step(self._insert_record, record, wants_rows=False)


_hot_statements: "weakref.WeakKeyDictionary[Dialect, _HotStatements]" = weakref.WeakKeyDictionary()


def _statements(dialect: Dialect) -> _HotStatements:
    found = _hot_statements.get(dialect)
    if found is None:
        found = _hot_statements[dialect] = _HotStatements(dialect)
    return found


# What the teller must do, and may do, for each decision. "proceed" never exists for block.
REQUIRED_ACTIONS: dict[Decision, list[str]] = {
    Decision.ALLOW: [],
    Decision.WARN: ["acknowledge", "ask_questions", "note_to_proceed"],
    Decision.HOLD: ["acknowledge", "ask_questions", "note_to_proceed", "supervisor_approval"],
    Decision.BLOCK: ["acknowledge"],
}
ALLOWED_ACTIONS: dict[Decision, list[str]] = {
    Decision.ALLOW: ["proceed", "delay_arrival", "cancel"],
    Decision.WARN: ["cancel", "delay_arrival", "refer_police", "proceed"],
    Decision.HOLD: ["cancel", "delay_arrival", "refer_police", "proceed"],
    Decision.BLOCK: ["cancel", "refer_police"],
}


def age_on(birth_date: date, day: date) -> int:
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class _Draft:
    """A decided screening not yet stored: its answer, its row, and the customer's history it saw."""

    answer: StoredResponse
    screening: dict[str, Any]
    customer_version: tuple[Any, ...] | None


def screen(
    ctx: ServiceContext,
    terminal: Terminal,
    teller: TellerSession,
    request: ScreeningRequest,
    idempotency_key: str,
) -> StoredResponse:
    """Screen a remittance and store the screening; answers a stored screening for a repeated key."""
    prepared = prepare_screening(ctx, terminal, teller, request, idempotency_key)
    if isinstance(prepared, StoredResponse):
        return prepared
    stored = prepared.store(wait=True)
    assert stored is not None
    return stored


def prepare_screening(
    ctx: ServiceContext,
    terminal: Terminal,
    teller: TellerSession,
    request: ScreeningRequest,
    idempotency_key: str,
) -> "PendingScreening | StoredResponse":
    """Check the request and decide the screening, without storing it (PendingScreening.store does).

    The facts are read and the rules run outside SQLite's writer lock, which is held only to check
    that no screening of this customer was stored since and to store this one: the same outcome as
    deciding under the lock, with the lock held a fraction of the time. (A listing or an
    acknowledgement stored meanwhile is as if it had come just after this screening.)
    """
    pending = new_screening(ctx, terminal, teller, request, idempotency_key)
    try:
        pending.decide()
    except ProblemError as problem:
        # A retry of a screening stored while its pre-screen code was still valid: the stored answer.
        if request.prescreen_code is None:
            raise
        return pending.replayed(problem)
    return pending


def new_screening(
    ctx: ServiceContext,
    terminal: Terminal,
    teller: TellerSession,
    request: ScreeningRequest,
    idempotency_key: str,
) -> "PendingScreening":
    """A screening of `request`, neither decided nor stored; refused if it names another branch."""
    if request.branch_id != terminal.branch_id:
        raise invalid_field(
            "branch_id",
            f"is {request.branch_id}, but this terminal belongs to branch {terminal.branch_id}; "
            "check the client's branch setting",
        )
    return PendingScreening(ctx, terminal, teller, request, idempotency_key)


class PendingScreening:
    """A screening decided from the facts read, to be stored under the writer lock."""

    def __init__(
        self,
        ctx: ServiceContext,
        terminal: Terminal,
        teller: TellerSession,
        request: ScreeningRequest,
        idempotency_key: str,
    ) -> None:
        self._ctx = ctx
        self._terminal = terminal
        self._teller = teller
        self._request = request
        self._key = idempotency_key
        self._fingerprint = model_fingerprint(request)
        self._customer = customer_key(
            ctx.customer_pepper, request.customer.id_type, request.customer.id_number
        )
        self._statements = _statements(ctx.engine.dialect)
        self._prescreen: tuple[str, dict[str, Any]] | None = None
        self._drafted: _Draft | None = None

    def decide(self) -> None:
        self._prescreen = _linked_prescreen(self._ctx, self._request, self._terminal)
        self._drafted = self._ctx.hot_connections.read(
            lambda connection: run_steps(self._draft(), connection)
        )

    def _draft(self) -> Steps[_Draft]:
        return _draft(
            self._ctx,
            self._terminal,
            self._teller,
            self._request,
            self._customer,
            self._prescreen,
        )

    def store(self, wait: bool) -> StoredResponse | None:
        """Store the screening and answer it; None, having done nothing, if `wait` is False and another
        writer holds SQLite's lock. A key already stored answers what was stored (or 409)."""
        try:
            # No look-up of the key first: a new key is by far the common case, and a key already
            # stored makes the idempotency record's insert fail, which stores nothing of this one.
            stored = self._ctx.hot_connections.run(
                lambda connection: run_steps(self._store(), connection), wait=wait
            )
        except WriterBusyError:
            return None
        except IntegrityError as error:
            # A retry (or a reuse) of a key that is already stored, perhaps by another instance.
            return self.replayed(error)
        return self._logged(stored)

    async def screen_async(self, connections: AsyncHotConnections) -> StoredResponse:
        """decide() and store() on the event loop, as one unit of work on one connection (PostgreSQL),
        for a screening without a pre-screen code (which decide() reads first). A key already stored
        raises IntegrityError; then replayed() tells the answer."""
        assert self._request.prescreen_code is None
        return self._logged(await connections.run(self._decide_and_store))

    def _decide_and_store(self) -> Steps[StoredResponse]:
        self._drafted = yield from self._draft()
        return (yield from self._store())

    def _logged(self, stored: StoredResponse) -> StoredResponse:
        body = stored.body
        log.info(
            "screening %s payee %s: %s (%d) %s",
            body["screening_id"],
            mask_tail(self._request.payee_account),
            body["decision"],
            body["score"],
            ",".join(reason["code"] for reason in body["reasons"]) or "-",
        )
        return stored

    def _store(self) -> Steps[StoredResponse]:
        current = self._drafted
        assert current is not None, "decide() first"
        if (yield from self._statements.customer_version(self._customer)) != current.customer_version:
            current = yield from self._draft()  # the customer was screened meanwhile: decide again
        record = record_values(
            self._terminal.terminal_id, self._key, ENDPOINT, self._fingerprint, current.answer
        )
        yield from self._statements.store(current.screening, record)
        return current.answer

    def replayed(self, error: Exception) -> StoredResponse:
        """The answer stored for this key; 409 if it came with another request. Raises `error` (why
        it was looked up) when nothing is stored."""
        with self._ctx.engine.connect() as connection:
            found = replay(
                connection,
                self._terminal.terminal_id,
                self._key,
                ENDPOINT,
                self._fingerprint,
                earlier_fingerprint=lambda: request_fingerprint(self._request.model_dump(mode="json")),
            )
        if found is None:
            raise error
        return found


def _linked_prescreen(
    ctx: ServiceContext, request: ScreeningRequest, terminal: Terminal
) -> tuple[str, dict[str, Any]] | None:
    """The lobby pre-screen the teller linked, if any; a code that is unknown, expired or from another
    branch is refused. Read before the write transaction: a pre-screen never changes once made."""
    if request.prescreen_code is None:
        return None
    with ctx.engine.connect() as connection:
        found = find_prescreen(connection, request.prescreen_code, utc_now(), terminal.branch_id)
    if found is None:
        raise invalid_field(
            "prescreen_code",
            "no pre-screen has this code, or it has expired; check the code with the customer, "
            "or screen without it",
        )
    return found


def _draft(
    ctx: ServiceContext,
    terminal: Terminal,
    teller: TellerSession,
    request: ScreeningRequest,
    customer: str,
    linked_prescreen: tuple[str, dict[str, Any]] | None,
) -> Steps[_Draft]:
    now = utc_now()
    customer_version = yield from _statements(ctx.engine.dialect).customer_version(customer)
    prescreen_id, prescreen = linked_prescreen if linked_prescreen is not None else (None, None)
    facts = yield from gather_facts(ctx, request, customer, now, prescreen)
    outcome = ctx.rules.evaluate(facts)
    screening_id = f"scr_{secrets.token_hex(12)}"
    expires_at = now + timedelta(minutes=ctx.rules.valid_minutes)
    body = response_body(ctx.rules, screening_id, outcome, facts, now, expires_at)
    if prescreen is not None:
        body["prescreen"] = prescreen
    stored = StoredResponse(201, body)
    row = dict(
        screening_id=screening_id,
        created_at=now,
        expires_at=expires_at,
        terminal_id=terminal.terminal_id,
        branch_id=terminal.branch_id,
        teller_id=teller.teller_id,
        customer_key=customer,
        customer_id_masked=mask_tail(request.customer.id_number),
        payer_account=request.payer_account,
        payee_account=request.payee_account,
        payee_name=request.payee_name,
        payee_bank=request.payee_bank,
        amount=Decimal(request.amount),
        currency=request.currency,
        arrival_mode=request.arrival_mode.value,
        decision=outcome.decision.label,
        score=outcome.score,
        new_payee=facts.new_payee,
        face_outcome=request.face_verification.outcome.value,
        prescreen_id=prescreen_id,
        final_action=None,
        response_json=stored.json_text,
    )
    return _Draft(stored, row, customer_version)


def gather_facts(
    ctx: ServiceContext,
    request: ScreeningRequest,
    customer: str,
    now: datetime,
    prescreen: Mapping[str, Any] | None = None,
) -> Steps[ScreeningFacts]:
    since = now - timedelta(hours=ctx.rules.history_hours)
    rows = yield Step(
        _statements(ctx.engine.dialect).payee_and_history,
        {"payee": request.payee_account, "customer": customer, "since": since},
    )
    # Columns: name on record, known payee, listing source and typology; then a history row's
    # created_at, decision, payee and new_payee. Each listing comes with every history row.
    name_on_record, known_payee, first_source, first_typology = rows[0][:4]
    listings = tuple(dict.fromkeys(Listing(row[2], row[3]) for row in rows if row[2] is not None))
    history = tuple(
        PastScreening(created_at, Decision.parse(decision), payee_account, new_payee)
        for _, _, source, typology, created_at, decision, payee_account, new_payee in rows
        if created_at is not None and source == first_source and typology == first_typology
    )
    return ScreeningFacts(
        now=now,
        payee_account=request.payee_account,
        listings=listings,
        name_check=check_name(request.payee_name, name_on_record),
        amount=Decimal(request.amount),
        currency=request.currency,
        customer_age=age_on(request.customer.birth_date, now.date()),
        new_payee=not known_payee,
        purpose=request.purpose,
        history=history,
        face_outcome=request.face_verification.outcome.value,
        liveness=request.face_verification.liveness.value,
        prescreen=prescreen["answers"] if prescreen is not None else None,
    )


def _localized(texts: Any) -> dict[str, str]:
    return {lang: texts[lang] for lang in LANGUAGES}


def response_body(
    rules: RuleSet,
    screening_id: str,
    outcome: Outcome,
    facts: ScreeningFacts,
    now: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    return {
        "screening_id": screening_id,
        "decision": outcome.decision.label,
        "score": outcome.score,
        "reasons": [
            {
                "code": reason.code,
                "typology": reason.typology,
                "typology_label": {lang: rules.typology_label(reason.typology, lang) for lang in LANGUAGES},
                "severity": reason.severity,
                "source": reason.source,
                "score": reason.score,
                "message": _localized(reason.message),
            }
            for reason in outcome.reasons
        ],
        "payee_name_check": {
            "outcome": facts.name_check.outcome.value,
            "name_on_record": facts.name_check.name_on_record,
        },
        "questions": [
            {"id": question.id, "text": _localized(question.text)} for question in outcome.questions
        ],
        "required_actions": REQUIRED_ACTIONS[outcome.decision],
        "allowed_actions": ALLOWED_ACTIONS[outcome.decision],
        "rules_version": rules.version,
        "created_at": iso(now),
        "expires_at": iso(expires_at),
    }
