"""Lobby pre-screens: the questionnaire's answers are stored under a short code the customer carries
to the counter, where the teller's screening links them (POST/GET /v1/prescreens)."""

import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from screening_service.api_models import (
    PRESCREEN_CODE_ALPHABET,
    PRESCREEN_CODE_LENGTH,
    PrescreenAnswers,
    display_prescreen_code,
    normalise_prescreen_code,
)
from screening_service.auth import Terminal
from screening_service.context import ServiceContext
from screening_service.database import write_transaction
from screening_service.idempotency import StoredResponse, remember, replay, request_fingerprint
from screening_service.problems import not_found
from screening_service.schema import prescreens
from screening_service.timeutil import iso, utc_now

log = logging.getLogger("screening_service.prescreens")

ENDPOINT = "prescreens"
# A fixed lifetime, not "end of the next day": the service runs in UTC and does not know the
# branch's time zone, while 24 hours covers "fill it in today, come back tomorrow morning".
VALID_HOURS = 24
# Attempts at drawing a code that no usable pre-screen holds; with 31^6 codes even one retry is rare.
_CODE_ATTEMPTS = 8

_FIND_CODE = select(prescreens).where(prescreens.c.code == bindparam("code"))


def new_code() -> str:
    return "".join(secrets.choice(PRESCREEN_CODE_ALPHABET) for _ in range(PRESCREEN_CODE_LENGTH))


def create_prescreen(
    ctx: ServiceContext, terminal: Terminal, answers: PrescreenAnswers, idempotency_key: str | None
) -> StoredResponse:
    """Store the answers under a fresh code; the same Idempotency-Key and body answer the same code."""
    fingerprint = request_fingerprint(answers.model_dump(mode="json"))
    for _attempt in range(_CODE_ATTEMPTS):
        try:
            with write_transaction(ctx.engine) as connection:
                if idempotency_key:
                    stored = replay(connection, terminal.terminal_id, idempotency_key, ENDPOINT, fingerprint)
                    if stored is not None:
                        return stored
                stored = _insert(connection, terminal, answers)
                if idempotency_key:
                    remember(connection, terminal.terminal_id, idempotency_key, ENDPOINT, fingerprint, stored)
        except IntegrityError:
            # The same key stored by a concurrent retry, or (rarely) the same code drawn at the
            # same moment by another request: answer the stored response, or draw again.
            if idempotency_key:
                with ctx.engine.connect() as connection:
                    replayed = replay(
                        connection, terminal.terminal_id, idempotency_key, ENDPOINT, fingerprint
                    )
                if replayed is not None:
                    return replayed
            continue
        log.info("pre-screen %s created at %s", stored.body["code"], terminal.terminal_id)
        return stored
    raise RuntimeError("could not draw an unused pre-screen code")


def _insert(connection: Connection, terminal: Terminal, answers: PrescreenAnswers) -> StoredResponse:
    now = utc_now()
    for _attempt in range(_CODE_ATTEMPTS):
        code = new_code()
        holder = connection.execute(_FIND_CODE, {"code": code}).first()
        if holder is None:
            break
        if holder.expires_at <= now:
            # An expired pre-screen gives its code up; screenings link it by prescreen_id.
            connection.execute(
                update(prescreens).where(prescreens.c.prescreen_id == holder.prescreen_id).values(code=None)
            )
            break
    else:
        raise RuntimeError("could not draw an unused pre-screen code")
    expires_at = now + timedelta(hours=VALID_HOURS)
    connection.execute(
        prescreens.insert().values(
            prescreen_id=f"pre_{secrets.token_hex(12)}",
            code=code,
            created_at=now,
            expires_at=expires_at,
            terminal_id=terminal.terminal_id,
            branch_id=terminal.branch_id,
            answers_json=answers.model_dump_json(),
        )
    )
    return StoredResponse(201, {"code": display_prescreen_code(code), "expires_at": iso(expires_at)})


def find_prescreen(
    connection: Connection, code: str, now: datetime, branch_id: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """(prescreen_id, the pre-screen as the API shows it) for a usable code; None if unknown or expired,
    or (given `branch_id`) filled in at another branch, which is told apart from unknown by nothing."""
    try:
        compact = normalise_prescreen_code(code)
    except ValueError:
        return None
    row = connection.execute(_FIND_CODE, {"code": compact}).first()
    if row is None or row.expires_at <= now or (branch_id is not None and row.branch_id != branch_id):
        return None
    body = {
        "code": display_prescreen_code(compact),
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at),
        "answers": json.loads(row.answers_json),
    }
    return str(row.prescreen_id), body


def get_prescreen(ctx: ServiceContext, code: str, branch_id: str) -> dict[str, Any]:
    """A pre-screen of the teller's own branch: codes are short, and not for guessing across branches."""
    with ctx.engine.connect() as connection:
        found = find_prescreen(connection, code, utc_now(), branch_id)
    if found is None:
        raise not_found(
            "No pre-screen has this code, or it has expired (codes are valid for 24 hours). "
            "Check the code with the customer; if it has expired, screen without it."
        )
    return found[1]
