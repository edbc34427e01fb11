"""POST /v1/audit-records: the counters' decision records, stored once however often they are sent."""

import hashlib
import json
import logging
from typing import Any, Literal

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

GENESIS_HASH = "0" * 64  # the prev_hash of a counter's first record

ChainStatus = Literal["linked", "unlinked", "broken"]

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
            chain = _chain_status(connection, terminal, request)
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
        "audit record %s #%d (%s) from %s: chain %s",
        request.record_id,
        request.sequence,
        request.kind,
        terminal.terminal_id,
        chain,
    )
    if chain == "broken":
        # Stored all the same: it is evidence, and refusing it would only stall the counter's outbox.
        log.critical(
            "audit chain broken at record %s #%d from %s: the counter's log was altered or damaged",
            request.record_id,
            request.sequence,
            terminal.terminal_id,
        )
    return StoredResponse(
        201,
        {"record_id": request.record_id, "received_at": iso(received_at), "duplicate": False, "chain": chain},
    )


def expected_hash(request: AuditRecordRequest) -> str:
    """The hash the counter must have given this record (teller_client.audit.record_hash, same material)."""
    payload = json.dumps(request.payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    material = "\x1f".join(
        (
            str(request.sequence),
            request.record_id,
            request.created_at,
            request.kind,
            payload,
            request.prev_hash,
        )
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _chain_status(connection: Any, terminal: Terminal, request: AuditRecordRequest) -> ChainStatus:
    """Whether the record is what its hash says, and links to the records around it held here."""
    if expected_hash(request) != request.hash:
        return "broken"
    neighbours = connection.execute(
        select(audit_records.c.sequence, audit_records.c.prev_hash, audit_records.c.record_hash).where(
            audit_records.c.terminal_id == terminal.terminal_id,
            audit_records.c.sequence.in_((request.sequence - 1, request.sequence + 1)),
        )
    ).all()
    before = [row for row in neighbours if row.sequence == request.sequence - 1]
    after = [row for row in neighbours if row.sequence == request.sequence + 1]
    if request.sequence == 1 and request.prev_hash != GENESIS_HASH:
        return "broken"
    if any(row.record_hash != request.prev_hash for row in before):
        return "broken"
    if any(row.prev_hash != request.hash for row in after):
        return "broken"
    return "linked" if request.sequence == 1 or before else "unlinked"


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
    chain = _chain_status(connection, terminal, request)
    return StoredResponse(
        200,
        {
            "record_id": request.record_id,
            "received_at": iso(row.received_at),
            "duplicate": True,
            "chain": chain,
        },
    )
