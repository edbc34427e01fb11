"""The audit outbox: a hash-chained local record of every decision, delivered to the service at least once.

Each record is committed to SQLite (WAL, synchronous=FULL) before the UI moves on, and holds
the hash of the record before it, so a deleted or altered record breaks the chain at that point.
Delivered records are pruned after the retention period; the chain then starts at an anchor
that keeps the last pruned record's hash.
"""

import contextlib
import errno
import hashlib
import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger("counterguard.audit")

GENESIS_HASH = "0" * 64
# Face data never goes into a record: these keys are refused wherever they appear.
FORBIDDEN_KEYS = frozenset({"image", "frame", "frames", "photo", "encoding", "encodings", "face_image"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    sequence INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS records_undelivered ON records (delivered_at, sequence);
CREATE TABLE IF NOT EXISTS chain_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""


class AuditError(RuntimeError):
    """A record that must not or cannot be written."""


_PROBLEM_TEXT = {
    "disk_full": "the disk is full",
    "read_only": "it is read-only",
    "disk_error": "a disk error",
}


class AuditUnavailableError(AuditError):
    """The audit log cannot be written (disk full, read-only, a disk error): nothing may go on unrecorded.

    `problem` is "disk_full", "read_only" or "disk_error"; the teller is told to call IT.
    """

    def __init__(self, path: Path, problem: str, cause: BaseException) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"The audit log {path} cannot be written ({_PROBLEM_TEXT[problem]}: {cause}). "
            "Nothing can be done at this counter until IT has fixed it."
        )


@dataclass(frozen=True)
class AuditRecord:
    sequence: int
    record_id: str
    created_at: str
    kind: str
    payload: str  # canonical JSON, exactly as hashed
    prev_hash: str
    hash: str

    def as_delivery(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "sequence": self.sequence,
            "kind": self.kind,
            "created_at": self.created_at,
            "payload": json.loads(self.payload),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    records_checked: int
    first_broken_sequence: int | None = None
    first_broken_record_id: str | None = None
    problem: str = ""


def canonical_json(payload: Mapping[str, Any]) -> str:
    _refuse_face_data(payload, "payload")
    try:
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AuditError(f"audit payload is not plain JSON data: {error}") from error


def _refuse_face_data(value: Any, path: str) -> None:
    if isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "__array__"):
        raise AuditError(f"{path}: binary or array data is never written to the audit log")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_KEYS:
                raise AuditError(f"{path}.{key}: face images and encodings are never recorded")
            _refuse_face_data(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_face_data(item, f"{path}[{index}]")


def record_hash(
    sequence: int, record_id: str, created_at: str, kind: str, payload: str, prev_hash: str
) -> str:
    material = "\x1f".join((str(sequence), record_id, created_at, kind, payload, prev_hash))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _problem(path: Path, error: BaseException) -> str:
    """Name what stops the writing; SQLite reports a refused write(2) only as an I/O error."""
    code = int(getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code
    if code == sqlite3.SQLITE_FULL or getattr(error, "errno", None) == errno.ENOSPC:
        return "disk_full"
    files = [path.parent, *(file for file in (path, Path(f"{path}-wal")) if file.exists())]
    if code == sqlite3.SQLITE_READONLY or not all(os.access(file, os.W_OK) for file in files):
        return "read_only"
    return "disk_error"


class AuditStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly below.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        except (OSError, sqlite3.Error) as error:
            raise AuditUnavailableError(path, _problem(path, error), error) from error
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a record whose append returned survives a power cut, not only a crash.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            self._db.close()
            raise AuditUnavailableError(path, _problem(path, error), error) from error

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing; a write the disk refuses is an AuditUnavailableError, never half a record."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._rollback()
                    raise
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as error:
                self._rollback()
                log.critical("audit log %s cannot be written: %s", self.path, error)
                raise AuditUnavailableError(self.path, _problem(self.path, error), error) from error

    def _rollback(self) -> None:
        # After an I/O error SQLite may already have rolled back; a failing ROLLBACK must not
        # hide the error that caused it.
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def append(self, kind: str, payload: Mapping[str, Any], now: datetime | None = None) -> AuditRecord:
        """Write one record; when this returns, the record is on disk."""
        body = canonical_json(payload)
        created_at = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
        record_id = f"aud_{uuid.uuid4().hex}"
        with self._transaction() as db:
            last = db.execute("SELECT sequence, hash FROM records ORDER BY sequence DESC LIMIT 1").fetchone()
            if last is None:
                last = db.execute("SELECT sequence, hash FROM chain_anchor WHERE id = 1").fetchone()
            sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
            digest = record_hash(sequence, record_id, created_at, kind, body, prev_hash)
            db.execute(
                "INSERT INTO records (sequence, record_id, created_at, kind, payload, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sequence, record_id, created_at, kind, body, prev_hash, digest),
            )
        log.debug("audit record %d %s (%s)", sequence, record_id, kind)
        return AuditRecord(sequence, record_id, created_at, kind, body, prev_hash, digest)

    def records(self) -> list[AuditRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT sequence, record_id, created_at, kind, payload, prev_hash, hash FROM records"
                " ORDER BY sequence"
            ).fetchall()
        return [AuditRecord(*row) for row in rows]

    def undelivered(self, limit: int = 100) -> list[AuditRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT sequence, record_id, created_at, kind, payload, prev_hash, hash FROM records"
                " WHERE delivered_at IS NULL ORDER BY sequence LIMIT ?",
                (limit,),
            ).fetchall()
        return [AuditRecord(*row) for row in rows]

    def backlog(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM records WHERE delivered_at IS NULL").fetchone()[0]
            )

    def mark_delivered(self, record_id: str, now: datetime | None = None) -> None:
        moment = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
        with self._transaction() as db:
            db.execute("UPDATE records SET delivered_at = ? WHERE record_id = ?", (moment, record_id))

    def prune(self, retention_days: int, now: datetime | None = None) -> int:
        """Drop delivered records older than the retention, from the start of the chain only."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).isoformat(
            timespec="milliseconds"
        )
        with self._transaction() as db:
            # Only a leading run of old, delivered records may go, so the chain stays contiguous.
            first_kept = db.execute(
                "SELECT min(sequence) FROM records WHERE delivered_at IS NULL OR created_at >= ?", (cutoff,)
            ).fetchone()[0]
            last_pruned = db.execute(
                "SELECT sequence, hash FROM records WHERE sequence < coalesce(?, 1 << 62)"
                " ORDER BY sequence DESC LIMIT 1",
                (first_kept,),
            ).fetchone()
            if last_pruned is None:
                return 0
            removed = db.execute("DELETE FROM records WHERE sequence <= ?", (last_pruned[0],)).rowcount
            db.execute(
                "INSERT INTO chain_anchor (id, sequence, hash) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
                last_pruned,
            )
        log.info("pruned %d delivered audit records older than %d days", removed, retention_days)
        return int(removed)

    def verify(self) -> ChainCheck:
        """Recompute the chain from its anchor; name the first record that does not fit."""
        with self._lock:
            anchor = self._db.execute("SELECT sequence, hash FROM chain_anchor WHERE id = 1").fetchone()
            rows = self._db.execute(
                "SELECT sequence, record_id, created_at, kind, payload, prev_hash, hash FROM records"
                " ORDER BY sequence"
            ).fetchall()
        expected_sequence, expected_prev = (anchor[0] + 1, anchor[1]) if anchor else (1, GENESIS_HASH)
        for checked, row in enumerate(rows):
            record = AuditRecord(*row)
            problem = ""
            if record.sequence != expected_sequence:
                problem = f"record {expected_sequence} is missing"
            elif record.prev_hash != expected_prev:
                problem = "does not follow the record before it (previous hash differs)"
            elif (
                record_hash(
                    record.sequence,
                    record.record_id,
                    record.created_at,
                    record.kind,
                    record.payload,
                    record.prev_hash,
                )
                != record.hash
            ):
                problem = "its content was changed after it was written (hash differs)"
            if problem:
                return ChainCheck(False, checked, record.sequence, record.record_id, problem)
            expected_sequence, expected_prev = record.sequence + 1, record.hash
        return ChainCheck(True, len(rows))
