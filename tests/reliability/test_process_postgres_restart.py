"""PostgreSQL restarted under load: the service fails closed (503), recovers by itself, loses nothing.

The PostgreSQL server itself is restarted (pg_ctlcluster, as root), so every other test using it at
that moment sees its connections cut: run this one sparingly (it is marked slow). The server is
started again in a `finally`, whatever happens here.
"""

import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from screening_service.schema import acknowledgements, idempotency_records, screenings
from tests.conftest import (
    POSTGRES_ENV,
    POSTGRES_SKIP_REASON,
    create_postgres_database,
    drop_postgres_database,
)
from tests.reliability.conftest import WAIT_SECONDS, count, rows, wait_until
from tests.service.conftest import Api, RunningService, remittance, seeded, start_service

CLIENTS = 4
# Successful screenings wanted before the restart and again after it (the load runs meanwhile).
BEFORE, AFTER = 20, 20
RESTART_SECONDS = 60  # pg_ctlcluster restart takes 1-2 s here; the bound is for a loaded CI machine


def postgres_cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        pytest.skip("no local PostgreSQL cluster (/etc/postgresql) to restart")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def postgres_up() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0


@pytest.fixture
def postgres_service(tmp_path: Path) -> Iterator[RunningService]:
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(POSTGRES_SKIP_REASON)
    url, name = create_postgres_database()
    try:
        seed = seeded(url)
        process = start_service(url, tmp_path)
        try:
            yield RunningService(process, seed)
        finally:
            process.stop()
    finally:
        wait_until(postgres_up, "PostgreSQL is up again")
        drop_postgres_database(name)


@dataclass
class Call:
    kind: str  # screening / acknowledgement
    path: str
    request: dict[str, Any]  # sent with `key`: a retry sends exactly this again
    key: str  # the Idempotency-Key header (for an acknowledgement also its client_event_id)
    status: int | None = None  # None: no HTTP answer at all
    answered_at: float = 0.0
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: str | None = None


class Load:
    """Tellers screening and acknowledging in a loop, each on its own connection, recording every answer."""

    def __init__(self, service: RunningService) -> None:
        self.tellers = [service.teller() for _ in range(CLIENTS)]
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(teller,), name=f"teller-{n}")
            for n, teller in enumerate(self.tellers)
        ]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(WAIT_SECONDS)

    def _record(self, call: Call) -> Call:
        with self._lock:
            self.calls.append(call)
        return call

    def _call(self, teller: Api, call: Call) -> Call:
        try:
            response = teller.post(call.path, call.request, **{"Idempotency-Key": call.key})
        except requests.RequestException:
            call.answered_at = time.monotonic()
            return self._record(call)
        call.status, call.answered_at = response.status_code, time.monotonic()
        call.retry_after = response.headers.get("Retry-After")
        try:
            body = response.json()
        except ValueError:
            body = {"not_json": response.text[:200]}
        call.body = body if isinstance(body, dict) else {}
        return self._record(call)

    def _run(self, teller: Api) -> None:
        while not self._stop.is_set():
            screened = self._call(teller, Call("screening", "/v1/screenings", remittance(), uuid.uuid4().hex))
            if screened.status != 201:
                continue
            event = f"evt_{uuid.uuid4().hex}"
            ack = {"client_event_id": event, "action": "proceed", "answers": [], "note": ""}
            path = f"/v1/screenings/{screened.body['screening_id']}/acknowledgements"
            self._call(teller, Call("acknowledgement", path, ack, event))

    def successes(self, since: float = 0.0) -> int:
        with self._lock:
            return sum(
                1
                for call in self.calls
                if call.kind == "screening" and call.status == 201 and call.answered_at > since
            )

    def snapshot(self) -> list[Call]:
        with self._lock:
            return list(self.calls)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.no_loss
def test_postgres_restarted_under_load(postgres_service: RunningService) -> None:
    """PostgreSQL restarted under load: 503 meanwhile, the service recovers by itself, no 2xx write lost"""
    cluster = postgres_cluster()
    database = postgres_service.process.database_url
    service_pid = postgres_service.process.process.pid
    try:
        with Load(postgres_service) as load:
            wait_until(lambda: load.successes() >= BEFORE, f"{BEFORE} screenings before the restart")
            started = time.monotonic()
            restarted = subprocess.run(
                [*cluster, "restart"], capture_output=True, text=True, check=False, timeout=RESTART_SECONDS
            )
            assert restarted.returncode == 0, restarted.stderr
            back = time.monotonic()
            restart_seconds = back - started
            wait_until(
                lambda: load.successes(back) >= AFTER,
                f"{AFTER} screenings after the restart",
                RESTART_SECONDS,
            )
    finally:
        if not postgres_up():
            subprocess.run([*cluster, "start"], capture_output=True, check=False)
    calls = load.snapshot()

    first_503 = min((call.answered_at for call in calls if call.status == 503), default=back)
    last_503 = max((call.answered_at for call in calls if call.status == 503), default=back)
    print(
        f"\nPostgreSQL restart under load: {len(calls)} calls by {CLIENTS} clients,"
        f" {dict(Counter(c.status for c in calls))};"
        f" restart took {restart_seconds:.2f} s; 503s for {last_503 - first_503:.2f} s,"
        f" the last {last_503 - back:+.2f} s after the restart command returned"
    )

    # The service process was never restarted: it reconnected by itself.
    assert postgres_service.process.process.poll() is None
    assert postgres_service.process.process.pid == service_pid
    statuses = Counter(call.status for call in calls)
    # Fail closed: while the database was away every answer was a 503 with Retry-After, never a
    # 500, a hang or a made-up result.
    assert set(statuses) <= {201, 503}, statuses
    unavailable = [call for call in calls if call.status == 503]
    assert unavailable, f"no request met the restart: {statuses}"
    assert all(call.retry_after for call in unavailable)
    assert all(call.body.get("type", "").endswith("database-unavailable") for call in unavailable)

    # The clients retry what failed with the same key: the service does each once, whatever the
    # database had committed before the connection was cut.
    retry = postgres_service.teller()
    for call in unavailable:
        answer = retry.post(call.path, call.request, **{"Idempotency-Key": call.key})
        assert answer.status_code == 201, answer.text
        call.status, call.body = answer.status_code, answer.json()

    # Every write the service acknowledged (2xx) is in the database, exactly once.
    screened = {
        str(call.body["screening_id"]) for call in calls if call.kind == "screening" and call.status == 201
    }
    stored = {row.screening_id for row in rows(database, screenings)}
    assert screened <= stored
    acked = {
        str(call.body["ack_id"]) for call in calls if call.kind == "acknowledgement" and call.status == 201
    }
    stored_acks = rows(database, acknowledgements)
    assert acked <= {row.ack_id for row in stored_acks}
    assert max(Counter(row.screening_id for row in stored_acks).values()) == 1  # never two decisions
    keys = {call.key for call in calls if call.kind == "screening"}
    assert count(database, screenings) == len(keys)  # one screening per idempotency key, none twice
    assert count(database, idempotency_records, idempotency_records.c.endpoint == "screenings") >= len(keys)
