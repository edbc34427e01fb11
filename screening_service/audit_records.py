"""POST /v1/audit-records: the counters' decision records, stored once however often they are sent."""

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from screening_service.api_models import AuditRecordRequest
from screening_service.auth import Terminal
from screening_service.context import ServiceContext
from screening_service.database import write_transaction
from screening_service.idempotency import StoredResponse
from screening_service.problems import conflict, invalid_field
from screening_service.schema import audit_records
from screening_service.timeutil import iso, utc_now

log = logging.getLogger("screening_service.audit")

# Face images and encodings never leave the counter; a record that seems to carry one is refused.
FORBIDDEN_PAYLOAD_KEYS = {"image", "frame", "frames", "photo", "encoding", "encodings", "face_image"}


def _forbidden_key(value: Any, path: str) -> str | None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_PAYLOAD_KEYS:
                return f"{path}.{key}"
            found = _forbidden_key(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _forbidden_key(item, f"{path}[{index}]")
            if found:
                return found
    return None


def store_record(ctx: ServiceContext, terminal: Terminal, request: AuditRecordRequest) -> StoredResponse:
    forbidden = _forbidden_key(request.payload, "payload")
    if forbidden:
        raise invalid_field(forbidden, "face images and encodings must never leave the counter")
    try:
        with write_transaction(ctx.engine) as connection:
            existing = _existing(connection, terminal, request)
            if existing is not None:
                return existing
            received_at = utc_now()
            connection.execute(
                audit_records.insert().values(
                    terminal_id=terminal.terminal_id,
                    record_id=request.record_id,
                    sequence=request.sequence,
                    kind=request.kind,
                    created_at=request.created_at,
                    received_at=received_at,
                    payload_json=json.dumps(request.payload, ensure_ascii=False, sort_keys=True),
                    prev_hash=request.prev_hash,
                    record_hash=request.hash,
                )
            )
    except IntegrityError:
        with ctx.engine.connect() as connection:
            existing = _existing(connection, terminal, request)
        if existing is None:
            raise
        return existing
    log.info(
        "audit record %s #%d (%s) from %s",
        request.record_id,
        request.sequence,
        request.kind,
        terminal.terminal_id,
    )
    return StoredResponse(
        201, {"record_id": request.record_id, "received_at": iso(received_at), "duplicate": False}
    )


def _existing(connection: Any, terminal: Terminal, request: AuditRecordRequest) -> StoredResponse | None:
    row = connection.execute(
        select(audit_records.c.record_hash, audit_records.c.received_at).where(
            audit_records.c.terminal_id == terminal.terminal_id,
            audit_records.c.record_id == request.record_id,
        )
    ).first()
    if row is None:
        return None
    if row.record_hash != request.hash:
        raise conflict(
            "audit-record-differs",
            f"Audit record {request.record_id} was delivered before with other content.",
        )
    return StoredResponse(
        200, {"record_id": request.record_id, "received_at": iso(row.received_at), "duplicate": True}
    )
