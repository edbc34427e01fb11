"""Remittances sent under the supervisor-approved offline procedure, waiting to be screened.

They hold the full screening request (the service needs it), so each is deleted as soon as the
service has screened it; the audit log keeps only the masked summary and the result.
"""

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PendingScreening:
    idempotency_key: str
    session_id: str
    request: dict[str, Any]
    queued_at: str
    # The request as the teller's attempts sent it, when the offline procedure changed it: if one
    # of them reached the service (only its answer was lost), the key is taken by that request.
    first_request: dict[str, Any] | None = None


class OfflineQueue:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # A screened request holds ID numbers and accounts: zero its pages when it is deleted.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pending (idempotency_key TEXT PRIMARY KEY, session_id TEXT NOT NULL,"
            " request TEXT NOT NULL, queued_at TEXT NOT NULL, first_request TEXT)"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(pending)")}
        if "first_request" not in columns:  # a queue written by an earlier version
            self._db.execute("ALTER TABLE pending ADD COLUMN first_request TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put(
        self,
        idempotency_key: str,
        session_id: str,
        request: dict[str, Any],
        first_request: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO pending"
                " (idempotency_key, session_id, request, queued_at, first_request) VALUES (?, ?, ?, ?, ?)",
                (
                    idempotency_key,
                    session_id,
                    json.dumps(request, ensure_ascii=False),
                    datetime.now(UTC).isoformat(),
                    None if first_request is None else json.dumps(first_request, ensure_ascii=False),
                ),
            )

    def pending(self) -> list[PendingScreening]:
        with self._lock:
            rows = self._db.execute(
                "SELECT idempotency_key, session_id, request, queued_at, first_request FROM pending"
                " ORDER BY queued_at"
            ).fetchall()
        return [
            PendingScreening(key, session, json.loads(request), queued, json.loads(first) if first else None)
            for key, session, request, queued, first in rows
        ]

    def remove(self, idempotency_key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM pending WHERE idempotency_key = ?", (idempotency_key,))
            # ... and out of the write-ahead log, which would otherwise still hold the old pages.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0])
