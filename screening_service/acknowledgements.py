"""POST /v1/screenings/{id}/acknowledgements: the teller's outcome, checked against the decision's rules."""

import json
import logging
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from screening_service.api_models import AckAction, AcknowledgementRequest
from screening_service.auth import TellerSession, Terminal, consume_approval
from screening_service.context import ServiceContext
from screening_service.database import write_transaction
from screening_service.idempotency import StoredResponse, request_fingerprint
from screening_service.problems import ProblemError, conflict, invalid_field, not_found
from screening_service.schema import acknowledgements, screenings
from screening_service.timeutil import iso, utc_now

log = logging.getLogger("screening_service.acknowledgements")

# refer_police records a referral; the remittance is still decided afterwards.
FINAL_ACTIONS = {AckAction.CANCEL, AckAction.PROCEED, AckAction.DELAY_ARRIVAL}
# Recording that a customer did not go ahead is always possible, even after the result expired.
ALWAYS_RECORDABLE = {AckAction.CANCEL, AckAction.REFER_POLICE}


def acknowledge(
    ctx: ServiceContext,
    terminal: Terminal,
    teller: TellerSession,
    screening_id: str,
    request: AcknowledgementRequest,
) -> StoredResponse:
    fingerprint = request_fingerprint({"screening_id": screening_id, **request.model_dump(mode="json")})
    try:
        with write_transaction(ctx.engine) as connection:
            stored = _replay(connection, terminal, request.client_event_id, fingerprint)
            if stored is not None:
                return stored
            return _record(connection, terminal, teller, screening_id, request, fingerprint)
    except IntegrityError:
        with ctx.engine.connect() as connection:
            stored = _replay(connection, terminal, request.client_event_id, fingerprint)
        if stored is None:
            raise
        return stored


def _replay(
    connection: Connection, terminal: Terminal, client_event_id: str, fingerprint: str
) -> StoredResponse | None:
    row = connection.execute(
        select(
            acknowledgements.c.request_hash,
            acknowledgements.c.response_json,
            acknowledgements.c.terminal_id,
        ).where(acknowledgements.c.client_event_id == client_event_id)
    ).first()
    if row is None:
        return None
    if row.terminal_id != terminal.terminal_id:
        # Says nothing about another terminal's events.
        raise conflict("client-event-reused", "This client_event_id cannot be used; generate a new one.")
    if row.request_hash != fingerprint:
        raise conflict(
            "client-event-reused",
            "This client_event_id was already recorded with different content; "
            "each decision needs its own event ID.",
        )
    return StoredResponse(201, json.loads(row.response_json))


def _record(
    connection: Connection,
    terminal: Terminal,
    teller: TellerSession,
    screening_id: str,
    request: AcknowledgementRequest,
    fingerprint: str,
) -> StoredResponse:
    screening = connection.execute(
        select(screenings).where(screenings.c.screening_id == screening_id)
    ).first()
    if screening is None or screening.terminal_id != terminal.terminal_id:
        raise not_found(f"No screening {screening_id} was made at this terminal.")
    screened: dict[str, Any] = json.loads(screening.response_json)
    decision = screened["decision"]
    now = utc_now()
    action = request.action

    if screening.final_action is not None and action is not AckAction.REFER_POLICE:
        raise conflict(
            "already-decided",
            f"Screening {screening_id} was already decided ({screening.final_action}).",
        )
    if action.value not in screened["allowed_actions"]:
        raise conflict(
            f"{action.value.replace('_', '-')}-not-allowed",
            f"'{action.value}' is not allowed when the decision is '{decision}'"
            + (
                ": a blocked remittance can never proceed."
                if decision == "block" and action is AckAction.PROCEED
                else "."
            ),
        )
    if action not in ALWAYS_RECORDABLE and screening.expires_at <= now:
        raise conflict(
            "screening-expired",
            f"The screening result expired at {iso(screening.expires_at)}; screen the remittance again.",
        )
    question_ids = {question["id"] for question in screened["questions"]}
    for index, answer in enumerate(request.answers):
        if answer.question_id not in question_ids:
            raise invalid_field(
                f"answers[{index}].question_id",
                f"'{answer.question_id}' is not one of this screening's questions",
            )
    supervisor_id = None
    if action is AckAction.PROCEED and decision in ("warn", "hold"):
        _require_answers_and_note(request, question_ids, decision)
    if action is AckAction.PROCEED and decision == "hold":
        if request.supervisor_approval is None:
            raise ProblemError(
                409,
                "supervisor-approval-required",
                "Supervisor approval required",
                "A 'hold' can only proceed with a supervisor's approval (dual control).",
                [{"field": "supervisor_approval", "message": "required for hold"}],
            )
        supervisor_id = consume_approval(
            connection, request.supervisor_approval.approval_token, terminal, teller
        )

    ack_id = f"ack_{secrets.token_hex(12)}"
    final = action in FINAL_ACTIONS
    body = {
        "ack_id": ack_id,
        "screening_id": screening_id,
        "action": action.value,
        "delay": request.delay,
        "recorded_at": iso(now),
        "final": final,
    }
    if final:
        # Only one final decision per screening, also when two arrive at once on two instances.
        changed = connection.execute(
            update(screenings)
            .where(screenings.c.screening_id == screening_id, screenings.c.final_action.is_(None))
            .values(final_action=action.value)
        ).rowcount
        if changed != 1:
            raise conflict("already-decided", f"Screening {screening_id} was already decided.")
    connection.execute(
        acknowledgements.insert().values(
            ack_id=ack_id,
            screening_id=screening_id,
            client_event_id=request.client_event_id,
            request_hash=fingerprint,
            action=action.value,
            delay=request.delay,
            note=request.note,
            answers_json=json.dumps([answer.model_dump() for answer in request.answers], ensure_ascii=False),
            supervisor_id=supervisor_id,
            teller_id=teller.teller_id,
            terminal_id=terminal.terminal_id,
            created_at=now,
            response_json=json.dumps(body, ensure_ascii=False),
        )
    )
    log.info(
        "screening %s (%s) acknowledged: %s by %s%s",
        screening_id,
        decision,
        action.value,
        teller.teller_id,
        f", approved by {supervisor_id}" if supervisor_id else "",
    )
    return StoredResponse(201, body)


def _require_answers_and_note(request: AcknowledgementRequest, question_ids: set[str], decision: str) -> None:
    answered = {answer.question_id for answer in request.answers if answer.answer.strip()}
    missing = sorted(question_ids - answered)
    if missing:
        raise ProblemError(
            409,
            "questions-unanswered",
            "Questions not answered",
            f"Before a '{decision}' can proceed, record the customer's answer to: " + ", ".join(missing),
            [{"field": "answers", "message": f"missing {question}"} for question in missing],
        )
    if not request.note.strip():
        raise ProblemError(
            409,
            "note-required",
            "Note required",
            f"Proceeding with a '{decision}' needs a note saying why.",
            [{"field": "note", "message": "required to proceed"}],
        )
