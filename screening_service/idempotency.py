"""Idempotency-Key records: the same key and body replays the stored answer; another body is a 409."""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pydantic_core
from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from screening_service.problems import ProblemError, conflict
from screening_service.schema import idempotency_records
from screening_service.timeutil import utc_now

KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,100}$"
_KEY = re.compile(KEY_PATTERN)
# Built once, so SQLAlchemy reuses the compiled statements without rebuilding them per request.
_FIND = select(idempotency_records).where(
    idempotency_records.c.terminal_id == bindparam("terminal_id"),
    idempotency_records.c.idempotency_key == bindparam("key"),
)
INSERT_RECORD = idempotency_records.insert()


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]

    @cached_property
    def json_text(self) -> str:
        """The body as sent: compact JSON, UTF-8 characters as they are (as Starlette's JSONResponse).
        pydantic's serialiser takes a fifth of json.dumps's time. (It would write NaN as null where
        json.dumps refuses it, but no NaN gets this far: parse_json refuses it in every request.)"""
        return pydantic_core.to_json(self.body).decode()


def request_fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def model_fingerprint(request: BaseModel) -> str:
    """The fingerprint of a validated request, from pydantic's own serialiser: its fields in the
    model's order are as canonical as sorted keys, at a fifth of request_fingerprint's cost (which
    counts for screenings). Records stored before screenings used it hold request_fingerprint's;
    replay() is given that one too."""
    return hashlib.sha256(pydantic_core.to_json(request)).hexdigest()


def check_key(key: str | None, required: bool) -> str | None:
    if key is None:
        if required:
            raise ProblemError(
                400,
                "idempotency-key-missing",
                "Idempotency-Key header missing",
                "Send an Idempotency-Key header (8-100 letters, digits, '-', '_', '.', ':'), "
                "the same on every retry of this request.",
                [{"field": "header.Idempotency-Key", "message": "required"}],
            )
        return None
    if not _KEY.fullmatch(key):
        raise ProblemError(
            400,
            "idempotency-key-invalid",
            "Idempotency-Key header invalid",
            "Idempotency-Key must be 8-100 letters, digits, '-', '_', '.' or ':'.",
            [{"field": "header.Idempotency-Key", "message": "8-100 letters, digits, - _ . :"}],
        )
    return key


def replay(
    connection: Connection,
    terminal_id: str,
    key: str,
    endpoint: str,
    fingerprint: str,
    earlier_fingerprint: Callable[[], str] | None = None,
) -> StoredResponse | None:
    """The answer stored for this key, None if none is; 409 if it was stored for another request.
    `earlier_fingerprint` gives the request's fingerprint as an earlier version computed it."""
    row = connection.execute(_FIND, {"terminal_id": terminal_id, "key": key}).first()
    if row is None:
        return None
    same_request = row.request_hash == fingerprint or (
        earlier_fingerprint is not None and row.request_hash == earlier_fingerprint()
    )
    if row.endpoint != endpoint or not same_request:
        raise conflict(
            "idempotency-key-reused",
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request.",
        )
    return StoredResponse(row.status_code, json.loads(row.response_json))


def record_values(
    terminal_id: str, key: str, endpoint: str, fingerprint: str, stored: StoredResponse
) -> dict[str, Any]:
    """The idempotency record of an answer, as the columns of INSERT_RECORD."""
    return dict(
        terminal_id=terminal_id,
        idempotency_key=key,
        endpoint=endpoint,
        request_hash=fingerprint,
        status_code=stored.status_code,
        response_json=stored.json_text,
        created_at=utc_now(),
    )


def remember(
    connection: Connection,
    terminal_id: str,
    key: str,
    endpoint: str,
    fingerprint: str,
    stored: StoredResponse,
) -> None:
    connection.execute(INSERT_RECORD, record_values(terminal_id, key, endpoint, fingerprint, stored))
