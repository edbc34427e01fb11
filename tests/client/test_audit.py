"""The audit outbox: hash chain, tamper detection, face data refused, pruning, delivery, crash safety."""

import dataclasses
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from screening_service.database import make_engine
from screening_service.demo import DemoSeed
from screening_service.schema import audit_records
from teller_client.audit import GENESIS_HASH, AuditError, AuditRecord, AuditStore
from teller_client.delivery import DeliveryWorker
from teller_client.service_client import ServiceClient, ServiceFailure
from teller_client.settings import Settings
from tests.service.conftest import PROJECT_ROOT, ServiceProcess, seeded, start_service

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
RETENTION_DAYS = 180
# "Service down" is noticed within this budget; long enough for a busy CI machine when it is up.
FAST_SETTINGS = dataclasses.replace(Settings(), retry_budget_seconds=1.5, connect_timeout_seconds=1.0)
WAIT_SECONDS = 30


# ---------------------------------------------------------------------------- helpers


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AuditStore]:
    audit = AuditStore(tmp_path / "outbox" / "audit.db")
    yield audit
    audit.close()


def decision(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "screening_id": f"scr_{number:04d}",
        "decision": "hold",
        "score": 72,
        "reasons": ["new_payee", "amount_high"],
        "payee": "王*明",
        **extra,
    }


def fill(store: AuditStore, count: int, now: datetime | None = None) -> list[AuditRecord]:
    return [store.append("screening_decision", decision(number), now=now) for number in range(count)]


def tamper(path: Path, sql: str, *parameters: object) -> None:
    """Change the outbox behind the store's back, as someone with the file would."""
    with closing(sqlite3.connect(path)) as db:
        changed = db.execute(sql, parameters).rowcount
        db.commit()
    assert changed == 1, f"tampering statement changed {changed} rows"


def stored_rows(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT count(*) FROM records").fetchone()[0])


def sequences(store: AuditStore) -> list[int]:
    return [record.sequence for record in store.records()]


# ---------------------------------------------------------------------------- chain


def test_append_chains_each_record_to_the_one_before(store: AuditStore) -> None:
    written = fill(store, 5)

    assert store.records() == written
    assert sequences(store) == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(written):
        assert after.prev_hash == before.hash
    assert len({record.record_id for record in written}) == 5
    assert json.loads(written[2].payload) == decision(2)
    check = store.verify()
    assert check.ok and check.records_checked == 5, check
    assert store.backlog() == 5
    assert [record.record_id for record in store.undelivered(3)] == [r.record_id for r in written[:3]]


def test_an_empty_store_verifies(store: AuditStore) -> None:
    check = store.verify()
    assert check.ok and check.records_checked == 0


def test_records_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    first = AuditStore(path)
    written = fill(first, 3)
    first.close()
    second = AuditStore(path)
    try:
        assert second.records() == written
        more = second.append("screening_decision", decision(9))
        assert more.sequence == 4 and more.prev_hash == written[-1].hash
        assert second.verify().ok
    finally:
        second.close()


def test_wal_and_synchronous_full_are_in_effect(store: AuditStore) -> None:
    fill(store, 1)
    with closing(sqlite3.connect(store.path)) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # synchronous is per connection: it must be set on the connection that writes.
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_changed_payload_is_named(store: AuditStore) -> None:
    written = fill(store, 5)
    target = written[2]
    forged = json.dumps({**json.loads(target.payload), "decision": "allow"}, sort_keys=True)
    tamper(store.path, "UPDATE records SET payload = ? WHERE sequence = 3", forged)

    check = store.verify()

    assert not check.ok
    assert check.first_broken_sequence == 3
    assert check.first_broken_record_id == target.record_id
    assert check.records_checked == 2
    assert "changed" in check.problem


def test_a_changed_hash_breaks_the_next_record(store: AuditStore) -> None:
    written = fill(store, 5)
    # Re-hashing an edited record is not enough: its successor still holds the old hash.
    tamper(store.path, "UPDATE records SET hash = ? WHERE sequence = 2", "f" * 64)

    check = store.verify()

    assert not check.ok
    assert check.first_broken_sequence == 2  # its own hash no longer matches its content
    assert check.first_broken_record_id == written[1].record_id


def test_a_deleted_middle_record_is_named_as_a_gap(store: AuditStore) -> None:
    written = fill(store, 5)
    tamper(store.path, "DELETE FROM records WHERE sequence = 3")

    check = store.verify()

    assert not check.ok
    assert "record 3 is missing" in check.problem
    assert check.first_broken_sequence == 4  # the first record after the gap
    assert check.first_broken_record_id == written[3].record_id
    assert check.records_checked == 2


def test_a_deleted_first_record_is_a_gap(store: AuditStore) -> None:
    fill(store, 3)
    tamper(store.path, "DELETE FROM records WHERE sequence = 1")

    check = store.verify()

    assert not check.ok
    assert "record 1 is missing" in check.problem
    assert check.first_broken_sequence == 2


def test_a_changed_previous_hash_is_named(store: AuditStore) -> None:
    written = fill(store, 4)
    tamper(store.path, "UPDATE records SET prev_hash = ? WHERE sequence = 4", "a" * 64)

    check = store.verify()

    assert not check.ok
    assert check.first_broken_sequence == 4
    assert check.first_broken_record_id == written[3].record_id
    assert "previous hash" in check.problem


def test_a_resequenced_record_is_named(store: AuditStore) -> None:
    written = fill(store, 3)
    # Moving a record to fill a gap changes the hashed sequence number.
    tamper(store.path, "UPDATE records SET sequence = 7 WHERE sequence = 3")

    check = store.verify()

    assert not check.ok
    assert check.first_broken_record_id == written[2].record_id


def run_audit_verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", "audit", "verify"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "COUNTERGUARD_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_audit_verify_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "teller-data"
    audit = AuditStore(data_dir / "audit.db")
    written = fill(audit, 4)
    audit.close()

    good = run_audit_verify(data_dir)
    assert good.returncode == 0, good.stderr
    assert "intact" in good.stdout and "4 records" in good.stdout

    tamper(data_dir / "audit.db", "UPDATE records SET kind = 'override' WHERE sequence = 2")
    broken = run_audit_verify(data_dir)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "intact" not in broken.stdout
    assert "BROKEN" in broken.stderr
    assert "#2" in broken.stderr and written[1].record_id in broken.stderr


# ---------------------------------------------------------------------------- face data


@pytest.mark.parametrize(
    "payload",
    [
        {"face": b"\xff\xd8\xff\xe0 jpeg"},
        {"face": bytearray(b"\x00\x01")},
        {"face": memoryview(b"\x00\x01")},
        {"encoding_vector": np.zeros(128)},
        {"distance": np.float64(0.31)},
        {"image": "data:image/jpeg;base64,/9j/4AAQ"},
        {"Frame": "frame-0001"},
        {"encoding": [0.1, 0.2, 0.3]},
        {"face_verification": {"outcome": "match", "encoding": [0.1] * 128}},
        {"checks": [{"name": "liveness"}, {"frames": ["f1", "f2"]}]},
        {"nested": {"deeper": [[{"photo": "p.jpg"}]]}},
        {"list": [1, 2, b"raw"]},
    ],
    ids=lambda payload: next(iter(payload)),
)
def test_face_data_is_refused_and_nothing_is_written(store: AuditStore, payload: Mapping[str, Any]) -> None:
    before = fill(store, 2)

    with pytest.raises(AuditError):
        store.append("screening_decision", payload)

    assert store.records() == before
    assert stored_rows(store.path) == 2
    after = store.append("screening_decision", decision(3))
    assert after.sequence == 3 and after.prev_hash == before[-1].hash
    assert store.verify().ok


def test_a_plain_face_result_is_recorded(store: AuditStore) -> None:
    record = store.append(
        "screening_decision",
        decision(1, face_verification={"outcome": "match", "distance": 0.35, "liveness": "passed"}),
    )
    assert json.loads(record.payload)["face_verification"]["distance"] == 0.35


# ---------------------------------------------------------------------------- pruning


def test_prune_removes_only_old_delivered_records_from_the_start(store: AuditStore) -> None:
    written = fill(store, 6, now=OLD)
    for index in (0, 1, 3, 4):  # record 3 is still undelivered
        store.mark_delivered(written[index].record_id, now=OLD)

    assert store.prune(RETENTION_DAYS, now=NOW) == 2

    # Records 4 and 5 are old and delivered too, but they come after an undelivered one.
    assert sequences(store) == [3, 4, 5, 6]
    assert store.verify().ok

    store.mark_delivered(written[2].record_id, now=NOW)
    assert store.prune(RETENTION_DAYS, now=NOW) == 3
    assert sequences(store) == [6]  # never delivered: kept however old
    assert store.backlog() == 1
    check = store.verify()
    assert check.ok and check.records_checked == 1

    newer = store.append("screening_decision", decision(7), now=NOW)
    assert newer.sequence == 7 and newer.prev_hash == written[5].hash
    assert store.verify().ok


def test_prune_keeps_records_within_the_retention(store: AuditStore) -> None:
    recent = fill(store, 3, now=NOW - timedelta(days=RETENTION_DAYS - 1))
    for record in recent:
        store.mark_delivered(record.record_id, now=NOW)

    assert store.prune(RETENTION_DAYS, now=NOW) == 0
    assert store.records() == recent


def test_prune_never_removes_undelivered_records(store: AuditStore) -> None:
    fill(store, 4, now=OLD - timedelta(days=3650))

    assert store.prune(0, now=NOW) == 0
    assert sequences(store) == [1, 2, 3, 4]
    assert store.backlog() == 4


def test_after_pruning_everything_the_chain_continues_from_its_anchor(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    audit = AuditStore(path)
    written = fill(audit, 4, now=OLD)
    for record in written:
        audit.mark_delivered(record.record_id, now=OLD)
    assert audit.prune(RETENTION_DAYS, now=NOW) == 4
    assert audit.records() == []
    assert audit.verify().ok
    audit.close()

    audit = AuditStore(path)  # the anchor is on disk, not in memory
    try:
        following = fill(audit, 2, now=NOW)
        assert [record.sequence for record in following] == [5, 6]
        assert following[0].prev_hash == written[-1].hash
        assert audit.verify().ok

        # The anchor is part of the chain: changing it is detected at the first kept record.
        tamper(path, "UPDATE chain_anchor SET hash = ? WHERE id = 1", "b" * 64)
        check = audit.verify()
        assert not check.ok
        assert check.first_broken_sequence == 5
        assert check.first_broken_record_id == following[0].record_id
    finally:
        audit.close()


def test_deleting_the_first_record_after_the_anchor_is_detected(store: AuditStore) -> None:
    written = fill(store, 4, now=OLD)
    store.mark_delivered(written[0].record_id, now=OLD)
    assert store.prune(RETENTION_DAYS, now=NOW) == 1
    tamper(store.path, "DELETE FROM records WHERE sequence = 2")

    check = store.verify()

    assert not check.ok
    assert "record 2 is missing" in check.problem
    assert check.first_broken_record_id == written[2].record_id


# ---------------------------------------------------------------------------- delivery


@dataclass
class Service:
    database_url: str
    seed: DemoSeed
    log_dir: Path
    process: ServiceProcess | None = None
    clients: list[ServiceClient] = field(default_factory=list)

    def start(self) -> None:
        assert self.process is None
        self.process = start_service(self.database_url, self.log_dir)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def client(self) -> ServiceClient:
        assert self.process is not None
        client = ServiceClient(self.process.url, self.seed.counter_key, FAST_SETTINGS)
        self.clients.append(client)
        return client

    def stored(self) -> list[Any]:
        """The service's audit_records rows for this counter, as read from its database."""
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(
                    connection.execute(
                        select(audit_records).where(
                            audit_records.c.terminal_id == self.seed.counter_terminal_id
                        )
                    )
                )
        finally:
            engine.dispose()


def running_service(database_url: str, log_dir: Path) -> Iterator[Service]:
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Service(database_url, seeded(database_url), log_dir)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        for client in running.clients:
            client.close()


@pytest.fixture(scope="module")
def service(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service per database kind for the tests that leave it running (record IDs never collide)."""
    yield from running_service(module_database_url, tmp_path_factory.mktemp("service-logs"))


@pytest.fixture
def own_service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """A service on a fresh database, for tests that stop it or count everything it holds."""
    yield from running_service(database_url, tmp_path / "service-logs")


def assert_service_has_exactly(
    service: Service, records: list[AuditRecord], everything: bool = False
) -> None:
    """Each record is stored once, as written; with `everything`, the service holds nothing else."""
    expected = {record.record_id for record in records}
    rows = service.stored()
    ids = [row.record_id for row in rows if everything or row.record_id in expected]
    assert len(ids) == len(set(ids)), "a record is stored more than once"
    assert sorted(ids) == sorted(expected)
    by_id = {row.record_id: row for row in rows}
    for record in records:
        row = by_id[record.record_id]
        assert (row.sequence, row.kind, row.created_at) == (record.sequence, record.kind, record.created_at)
        assert (row.prev_hash, row.record_hash) == (record.prev_hash, record.hash)
        assert json.loads(row.payload_json) == json.loads(record.payload)


class Recorder:
    """Wraps a delivery function; counts what the service confirmed, and lets a test wait for it."""

    def __init__(self, deliver: Any) -> None:
        self._deliver = deliver
        self.confirmed: list[str] = []
        self.duplicates: list[str] = []
        self.condition = threading.Condition()

    def __call__(self, record: Mapping[str, Any]) -> object:
        outcome = self._deliver(record)
        if not isinstance(outcome, ServiceFailure):
            with self.condition:
                self.confirmed.append(str(record["record_id"]))
                if outcome.get("duplicate"):
                    self.duplicates.append(str(record["record_id"]))
                self.condition.notify_all()
        return outcome

    def wait_for(self, count: int) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: len(self.confirmed) >= count, timeout=WAIT_SECONDS)


def test_delivery_sends_every_record_once_in_order(
    store: AuditStore, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = fill(store, 7)
    client = service.client()
    idempotency_keys: list[str] = []
    send = client._http.request

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        idempotency_keys.append(kwargs["headers"]["Idempotency-Key"])
        return send(method, url, **kwargs)

    monkeypatch.setattr(client._http, "request", spy)
    recorder = Recorder(client.deliver_audit_record)
    worker = DeliveryWorker(store, recorder)

    report = worker.run_once()

    assert report.failure is None, report.failure
    assert (report.delivered, report.backlog) == (7, 0)
    assert recorder.confirmed == [record.record_id for record in written]  # in sequence order
    assert recorder.duplicates == []
    assert idempotency_keys == recorder.confirmed  # the record ID is the idempotency key
    assert store.undelivered() == []
    assert store.records() == written  # within the retention: kept
    assert_service_has_exactly(service, written)

    # Nothing left: a second round sends nothing.
    again = worker.run_once()
    assert (again.delivered, again.backlog, again.failure) == (0, 0, None)


def test_resending_delivered_records_does_not_duplicate_them(store: AuditStore, service: Service) -> None:
    written = fill(store, 5)
    client = service.client()
    assert DeliveryWorker(store, client.deliver_audit_record).run_once().delivered == 5

    # As after a crash between "sent" and "marked delivered": everything goes again.
    with closing(sqlite3.connect(store.path)) as db:
        db.execute("UPDATE records SET delivered_at = NULL")
        db.commit()
    assert store.backlog() == 5
    recorder = Recorder(client.deliver_audit_record)
    report = DeliveryWorker(store, recorder).run_once()

    assert report.failure is None and report.delivered == 5
    assert recorder.duplicates == [record.record_id for record in written]
    assert_service_has_exactly(service, written)


def test_a_second_copy_of_the_outbox_delivers_nothing_new(
    tmp_path: Path, store: AuditStore, service: Service
) -> None:
    written = fill(store, 4)
    copy_path = tmp_path / "copy" / "audit.db"
    copy_path.parent.mkdir()
    with closing(sqlite3.connect(copy_path)) as target, closing(sqlite3.connect(store.path)) as source:
        source.backup(target)  # taken before delivery: every record is undelivered in the copy
    assert DeliveryWorker(store, service.client().deliver_audit_record).run_once().delivered == 4

    copy = AuditStore(copy_path)
    try:
        recorder = Recorder(service.client().deliver_audit_record)
        report = DeliveryWorker(copy, recorder).run_once()
        assert report.failure is None and report.delivered == 4
        assert len(recorder.duplicates) == 4
    finally:
        copy.close()
    assert_service_has_exactly(service, written)


def test_the_same_record_id_with_other_content_is_refused(store: AuditStore, service: Service) -> None:
    written = fill(store, 2)
    client = service.client()
    assert DeliveryWorker(store, client.deliver_audit_record).run_once().delivered == 2

    forged = {**written[1].as_delivery(), "payload": {"decision": "allow"}, "hash": "c" * 64}
    outcome = client.deliver_audit_record(forged)

    assert isinstance(outcome, ServiceFailure)
    assert outcome.status == 409
    assert_service_has_exactly(service, written)


def test_delivery_pauses_while_the_service_is_down_and_resumes_after_restart(
    store: AuditStore, own_service: Service
) -> None:
    first = fill(store, 3)
    assert DeliveryWorker(store, own_service.client().deliver_audit_record).run_once().delivered == 3

    down_client = own_service.client()
    own_service.stop()
    later = fill(store, 4)
    report = DeliveryWorker(store, down_client.deliver_audit_record).run_once()

    assert report.failure is not None
    assert report.delivered == 0
    assert report.backlog == 4
    assert [record.record_id for record in store.undelivered()] == [r.record_id for r in later]
    assert store.verify().ok

    own_service.start()  # the same database, a new process
    resumed = DeliveryWorker(store, own_service.client().deliver_audit_record).run_once()

    assert resumed.failure is None
    assert (resumed.delivered, resumed.backlog) == (4, 0)
    assert_service_has_exactly(own_service, first + later, everything=True)


def test_the_background_sender_delivers_when_woken(store: AuditStore, service: Service) -> None:
    recorder = Recorder(service.client().deliver_audit_record)
    # A long interval: only wake() can explain a prompt delivery.
    worker = DeliveryWorker(store, recorder, interval_seconds=3600)
    worker.start()
    try:
        first = fill(store, 3)
        worker.wake()
        assert recorder.wait_for(3), f"delivered {recorder.confirmed}"

        second = fill(store, 2)
        worker.wake()
        assert recorder.wait_for(5), f"delivered {recorder.confirmed}"
    finally:
        worker.stop()
    assert not any(thread.name == "audit-delivery" for thread in threading.enumerate())
    assert store.backlog() == 0
    assert recorder.confirmed == [record.record_id for record in first + second]
    assert_service_has_exactly(service, first + second)


# ---------------------------------------------------------------------------- crash test

KILLS = 25
MAX_RECORDS_BEFORE_KILL = 12
DELIVERING_SHARE = 0.7  # the other runs only append, so kills also land inside append's commit


@dataclass
class WriterRun:
    appended: list[str]  # record IDs the writer printed: append had returned, so committed
    confirmed: list[str]  # deliveries the service confirmed to the writer
    redelivered: list[str]  # of those, ones the service already had (sent before an earlier kill)


def run_writer_and_kill(
    path: Path, log: Path, service_url: str, terminal_key: str, kill_after: int, trigger: str = "A"
) -> WriterRun:
    """Start a writer, SIGKILL it after its `kill_after`-th `trigger` line ("A": appended, "D": delivered).

    Killed after an "A" line it is delivering or appending; after a "D" line, marking a record
    delivered that the service already has. Returns everything it printed.
    """
    command = [sys.executable, "-m", "tests.client.audit_writer", str(path)]
    if service_url:
        command.append(service_url)
    lines: list[str] = []
    with log.open("a") as stderr:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, "COUNTERGUARD_TEST_TERMINAL_KEY": terminal_key},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert process.stdout is not None
        try:
            seen = 0
            while True:
                line = process.stdout.readline()
                assert line, f"writer exited before it was killed:\n{log.read_text()}"
                lines.append(line)
                seen += line.startswith(f"{trigger} ")
                if (line.startswith("R") and kill_after == 0) or (
                    line.startswith(f"{trigger} ") and seen >= kill_after
                ):
                    break
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL
            # What it printed between the last line read and the kill: complete lines only.
            lines.extend(
                line for line in process.stdout.read().splitlines(keepends=True) if line.endswith("\n")
            )
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
    words = [line.split() for line in lines]
    return WriterRun(
        appended=[word[1] for word in words if word[0] == "A"],
        confirmed=[word[1] for word in words if word[0] == "D"],
        redelivered=[word[1] for word in words if word[0] == "D" and word[2] == "1"],
    )


def test_killed_writers_lose_no_record_and_the_service_gets_each_once(
    tmp_path: Path, own_service: Service
) -> None:
    assert own_service.process is not None
    path = tmp_path / "outbox" / "audit.db"
    log = tmp_path / "writer-stderr.log"
    rng = random.Random(20270301)
    printed: list[str] = []
    confirmed_to_writers: set[str] = set()
    redelivered_by_writers = 0
    committed_unprinted = 0

    for _ in range(KILLS):
        delivering = rng.random() < DELIVERING_SHARE
        run = run_writer_and_kill(
            path,
            log,
            own_service.process.url if delivering else "",
            own_service.seed.counter_key,
            rng.randint(0, MAX_RECORDS_BEFORE_KILL),
            rng.choice("AD") if delivering else "A",
        )
        printed.extend(run.appended)
        confirmed_to_writers.update(run.confirmed)
        redelivered_by_writers += len(run.redelivered)

        store = AuditStore(path)  # "after restart"
        try:
            check = store.verify()
            assert check.ok, check
            ids = [record.record_id for record in store.records()]
        finally:
            store.close()
        assert len(ids) == len(set(ids))
        missing = set(printed) - set(ids)
        assert not missing, f"committed records lost: {sorted(missing)}"
        # Printed in commit order, and nothing but the last record of a run can be unprinted.
        assert [record_id for record_id in ids if record_id in set(printed)] == printed
        committed_unprinted = len(ids) - len(printed)
        assert 0 <= committed_unprinted <= KILLS

    assert len(printed) >= KILLS  # the writers did write: the checks above were not vacuous
    assert confirmed_to_writers <= set(ids)

    store = AuditStore(path)
    try:
        recorder = Recorder(own_service.client().deliver_audit_record)
        report = DeliveryWorker(store, recorder).run_once()
        assert report.failure is None, report.failure
        assert report.backlog == 0
        records = store.records()
        assert store.verify().ok
    finally:
        store.close()

    assert_service_has_exactly(own_service, records, everything=True)
    # Records come back as duplicates only when a writer died after the service stored them and
    # before marking them: those it was told about, plus at most the one in flight at each kill.
    assert len(set(recorder.duplicates) - confirmed_to_writers) <= KILLS
    print(
        f"\ncrash test: {KILLS} kills, {len(records)} records ({committed_unprinted} committed but not yet"
        f" printed when killed), {len(confirmed_to_writers)} delivered by writers, {redelivered_by_writers}"
        f" re-sent by writers after a kill, {len(recorder.duplicates)} re-sent at the end; the service"
        f" holds {len(own_service.stored())} rows, each once"
    )
