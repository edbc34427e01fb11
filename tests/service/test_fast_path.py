"""POST /v1/screenings answered by the fast path (screening_service/fast_path.py) and by the FastAPI
route it hands everything else to: the same answers, the same stored record, one idempotency key
across both; and the driver-level hot path (driver_sql.py) surviving a dropped database connection
and leaving SQLite's log to the background checkpointer."""

import asyncio
import fcntl
import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Float, bindparam, func, select, text

from screening_service.api_models import ScreeningRequest, SessionRequest
from screening_service.auth import authenticate_terminal, sign_in
from screening_service.context import ServiceContext
from screening_service.database import _WalCheckpointer, make_engine, migrate
from screening_service.driver_sql import AsyncHotConnections, DriverStatement, Step, Steps
from screening_service.idempotency import request_fingerprint
from screening_service.problems import ProblemError
from screening_service.schema import idempotency_records, screenings
from screening_service.screening import screen
from screening_service.settings import ServiceSettings
from tests.conftest import _database
from tests.reliability.conftest import wait_until
from tests.service.conftest import Api, RunningService, customer, remittance, seeded, seeded_service

POLICE_LISTED = "6222000011112222337"
# Fields that differ between two screenings of the same remittance.
PER_SCREENING = {"screening_id", "created_at", "expires_at"}


@pytest.fixture(scope="module")
def teller(service: RunningService) -> Api:
    return service.teller()


def post_chunked(api: Api, body: dict[str, Any], **headers: str) -> requests.Response:
    """The same request without a Content-Length (chunked): the fast path hands it to FastAPI."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    return api.session.post(
        api.url + "/v1/screenings",
        data=iter([payload]),
        headers=api.headers(**{"Content-Type": "application/json", **headers}),
        timeout=10,
    )


def without_ids(answer: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in answer.items() if name not in PER_SCREENING}


def stored_screenings(service: RunningService, screening_id: str) -> int:
    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(screenings).where(screenings.c.screening_id == screening_id)
        ).scalar_one()
    engine.dispose()
    return int(count)


@pytest.mark.parametrize("payee", ["6212260200001234562", POLICE_LISTED])
def test_both_paths_answer_a_screening_alike(teller: Api, payee: str) -> None:
    # Two customers of the same age: the second screening of one customer would see the first.
    fast = teller.screen(remittance(payee_account=payee, customer=customer()))
    framework = post_chunked(
        teller, remittance(payee_account=payee, customer=customer()), **{"Idempotency-Key": uuid.uuid4().hex}
    )
    assert fast.status_code == framework.status_code == 201, framework.text
    assert fast.headers["content-type"] == framework.headers["content-type"] == "application/json"
    assert without_ids(fast.json()) == without_ids(framework.json())


def test_one_idempotency_key_across_both_paths(service: RunningService, teller: Api) -> None:
    body = remittance(customer=customer())
    key = uuid.uuid4().hex
    first = teller.screen(body, key)
    assert first.status_code == 201, first.text
    # The retry arrives chunked, so FastAPI answers it: the stored answer, not a second screening.
    again = post_chunked(teller, body, **{"Idempotency-Key": key})
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert stored_screenings(service, first.json()["screening_id"]) == 1
    # And the other way round: stored by FastAPI, replayed by the fast path; another body is a 409.
    key = uuid.uuid4().hex
    first = post_chunked(teller, body, **{"Idempotency-Key": key})
    assert teller.screen(body, key).json() == first.json()
    conflict = teller.screen(remittance(customer=customer()), key)
    assert conflict.status_code == 409
    assert conflict.json()["type"] == "urn:counterguard:problem:idempotency-key-reused"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Idempotency-Key": None}, 400),
        ({"Idempotency-Key": "short"}, 400),
        ({"Authorization": "Bearer not-a-session"}, 401),
        ({"X-Terminal-Key": "cgk_unknown.secret"}, 401),
    ],
)
def test_refusals_read_the_same_on_both_paths(
    teller: Api, change: dict[str, str | None], status: int
) -> None:
    headers = teller.headers(**{"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
    for name, value in change.items():
        headers.pop(name, None)
        if value is not None:
            headers[name] = value
    payload = json.dumps(remittance(), ensure_ascii=False).encode()
    url = teller.url + "/v1/screenings"
    fast = requests.post(url, data=payload, headers=headers, timeout=10)
    framework = requests.post(url, data=iter([payload]), headers=headers, timeout=10)
    assert fast.status_code == framework.status_code == status, fast.text
    assert fast.headers["content-type"] == framework.headers["content-type"] == "application/problem+json"
    assert fast.json() == framework.json()
    assert fast.headers.get("www-authenticate") == framework.headers.get("www-authenticate")


def test_invalid_bodies_are_refused_by_the_framework_route(teller: Api) -> None:
    """The fast path hands bodies it cannot validate on; the answer names the field as before."""
    response = teller.screen(remittance(amount="12.345"))
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"amount"}
    broken = requests.post(
        teller.url + "/v1/screenings",
        data=b'{"payer_account": ',
        headers=teller.headers(**{"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}),
        timeout=10,
    )
    assert broken.status_code == 422
    assert broken.json()["errors"] == [{"field": "body", "message": "is not valid JSON"}]


def one_backend_service(kind: str, folder: Path) -> Iterator[RunningService]:
    """A service of its own on one kind of database, for what only that kind has."""
    for database_url in _database(kind, folder):
        yield from seeded_service(database_url, folder)


@pytest.fixture(scope="module")
def postgres_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from one_backend_service("postgres", tmp_path_factory.mktemp("postgres"))


@pytest.fixture(scope="module")
def sqlite_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from one_backend_service("sqlite", tmp_path_factory.mktemp("sqlite"))


@pytest.mark.postgres
def test_a_dropped_database_connection_is_replaced(postgres_service: RunningService) -> None:
    """A restarted or failed-over PostgreSQL leaves the service's held connections broken: the next
    screening on one is run again on a new connection, once, instead of failing."""
    teller = postgres_service.teller()
    # The first screening signs the terminal and teller into the auth cache; from the second on they
    # run on the event loop's connections, one of which is then held.
    for _ in range(2):
        assert teller.screen(remittance(customer=customer())).status_code == 201
    database = postgres_service.process.database_url
    engine = make_engine(database)
    with engine.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    assert cut >= 1  # the service's connections are gone
    key = uuid.uuid4().hex
    response = teller.screen(remittance(customer=customer()), key)
    assert response.status_code == 201, response.text
    assert stored_screenings(postgres_service, response.json()["screening_id"]) == 1
    engine = make_engine(database)
    with engine.connect() as connection:
        records = connection.execute(
            select(func.count())
            .select_from(idempotency_records)
            .where(idempotency_records.c.idempotency_key == key)
        ).scalar_one()
    engine.dispose()
    assert records == 1


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    yield from _database("postgres", tmp_path)


def one_statement(
    statement: DriverStatement, values: dict[str, Any], wants_rows: bool = True
) -> Callable[[], Steps[Any]]:
    def steps() -> Steps[Any]:
        return (yield Step(statement, values, wants_rows))

    return steps


@pytest.mark.postgres
def test_statements_on_the_event_loop_store_and_read_what_sqlalchemy_does(postgres_url: str) -> None:
    """The same on psycopg's asyncio connections, whose raw cursors take the statements with
    PostgreSQL's own numbered placeholders."""
    engine = make_engine(postgres_url)
    migrate(engine)
    connections = AsyncHotConnections(engine, size=1)
    by_driver = sample_screening("scr_async")
    by_core = sample_screening("scr_core", new_payee=False, amount=Decimal("0.01"))
    insert = DriverStatement(screenings.insert(), engine.dialect)
    read_back = DriverStatement(READ_BACK, engine.dialect)

    async def written_and_read() -> list[list[tuple[Any, ...]]]:
        await connections.run(one_statement(insert, by_driver, wants_rows=False))
        return [
            await connections.run(one_statement(read_back, {"id": written["screening_id"]}))
            for written in (by_driver, by_core)
        ]

    try:
        with engine.begin() as connection:
            connection.execute(screenings.insert(), by_core)
        through_driver = asyncio.run(written_and_read())
        with engine.connect() as connection:
            through_core = connection.execute(READ_BACK, {"id": "scr_async"}).one()._asdict()
        assert through_core == by_driver
        assert through_driver == [
            [tuple(written[column.name] for column in screenings.c)] for written in (by_driver, by_core)
        ]
    finally:
        connections.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_screening_cancelled_mid_statement_leaves_the_connections_usable(postgres_url: str) -> None:
    """A screening cancelled while its statement runs (the service stopping, say) gives its place
    back, and the next unit of work gets an idle connection: psycopg cancels the statement in the
    server, and a connection left in any other state would be closed, not reused."""
    engine = make_engine(postgres_url)
    connections = AsyncHotConnections(engine, size=1)
    sleep = DriverStatement(select(func.pg_sleep(bindparam("seconds", type_=Float))), engine.dialect)
    sleeping = text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'"
    )

    def statement_running() -> bool:
        # A new connection each time: pg_stat_activity stays as it was for one transaction.
        with engine.connect() as watcher:
            return bool(watcher.execute(sleeping).scalar_one())

    async def scenario() -> list[tuple[Any, ...]]:
        stuck = asyncio.create_task(connections.run(one_statement(sleep, {"seconds": 60})))
        while not statement_running():
            await asyncio.sleep(0.01)  # lets the task send its statement
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        return await asyncio.wait_for(connections.run(one_statement(sleep, {"seconds": 0})), 10)

    try:
        assert asyncio.run(scenario()) == [("",)]  # pg_sleep returns void
    finally:
        connections.close()
        engine.dispose()


def rows_in_database_file(path: str) -> int:
    """Screenings in the database file itself, not counting what is still only in the write-ahead
    log (`immutable` makes SQLite read the file alone)."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as connection:
        return int(connection.execute("SELECT count(*) FROM screenings").fetchone()[0])


def test_the_log_is_copied_into_the_database_in_the_background(sqlite_service: RunningService) -> None:
    """The service turns SQLite's commit-time checkpoints off; its checkpointer thread must then copy
    new screenings into the database file within seconds, or the log would grow without end."""
    teller = sqlite_service.teller()
    path = sqlite_service.process.database_url.removeprefix("sqlite:///")
    answers = [teller.screen(remittance(customer=customer())) for _ in range(20)]
    assert all(answer.status_code == 201 for answer in answers)
    engine = make_engine(sqlite_service.process.database_url)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(screenings)).scalar_one()
    engine.dispose()
    wait_until(
        lambda: rows_in_database_file(path) == total, "the screenings copied into the database file", 10
    )


READ_AND_WRITE = """
import fcntl, sqlite3, sys, threading, time
path, limit = sys.argv[1], sys.argv[2]

def keep_reading():
    snapshots = [sqlite3.connect(path, isolation_level=None) for _ in range(2)]
    def take(connection):
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM filler").fetchall()
    take(snapshots[0])
    while True:
        take(snapshots[1])  # a new snapshot before the old one is let go
        snapshots[0].execute("COMMIT")
        snapshots.reverse()

def keep_writing():
    writer = sqlite3.connect(path, isolation_level=None, timeout=10)
    writer.execute("PRAGMA journal_size_limit=" + limit)  # as the service's connections do
    with open(path + ".writer-lock", "a+") as lock:  # and they queue on the service's writer lock
        while True:
            fcntl.flock(lock, fcntl.LOCK_EX)
            writer.execute("INSERT INTO filler VALUES (?)", ("x" * 4000,))
            fcntl.flock(lock, fcntl.LOCK_UN)
            time.sleep(0.001)  # about 4 MB a second: once cut back, the file stays small a while

threading.Thread(target=keep_reading, daemon=True).start()
print("running", flush=True)
keep_writing()
"""


def test_the_log_starts_over_while_readers_and_writers_keep_coming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite starts its write-ahead log over only when a writer finds it all copied back and no
    reader on it, which under steady load never happens: it grew to gigabytes. Here another process
    keeps writing, and always holds a snapshot; the checkpointer must still restart the log once it
    passes RESTART_BYTES, so that the next writer cuts the file back to FILE_LIMIT_BYTES."""
    monkeypatch.setattr(_WalCheckpointer, "INTERVAL_SECONDS", 0.05)
    monkeypatch.setattr(_WalCheckpointer, "RESTART_BYTES", 256 * 1024)
    path = tmp_path / "log.db"
    engine = make_engine(f"sqlite:///{path}", background_checkpoints=True)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE filler (text TEXT)")
    log_file = Path(f"{path}-wal")
    limit = 256 * 1024
    other = subprocess.Popen(
        [sys.executable, "-c", READ_AND_WRITE, str(path), str(limit)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "running\n"

        def written() -> int:
            with engine.connect() as connection:
                return int(connection.exec_driver_sql("SELECT count(*) FROM filler").scalar_one())

        # Eight times the limit written, and the log no larger than the limit.
        wait_until(
            lambda: written() * 4000 > 8 * limit and log_file.stat().st_size <= limit,
            "the write-ahead log cut back to its limit",
        )
    finally:
        other.kill()
        other.communicate()
        engine.dispose()


def sample_screening(screening_id: str, **changes: Any) -> dict[str, Any]:
    """A screenings row with values whose types a driver could get wrong: aware UTC times with
    microseconds, a 15-digit amount, a boolean, Chinese text."""
    created = datetime(2026, 11, 27, 9, 30, 1, 250_000, tzinfo=UTC)
    return (
        {column.name: None for column in screenings.c}
        | {
            "screening_id": screening_id,
            "created_at": created,
            "expires_at": created + timedelta(minutes=30),
            "terminal_id": "T1",
            "branch_id": "BJ0101",
            "teller_id": "T1001",
            "customer_key": "c" * 64,
            "customer_id_masked": "**********002X",
            "payer_account": "6222020200112233446",
            "payee_account": "6212260200001234562",
            "payee_name": "王小明",
            "payee_bank": "中国工商银行",
            "amount": Decimal("1234567890123.45"),
            "currency": "CNY",
            "arrival_mode": "realtime",
            "decision": "warn",
            "score": 40,
            "new_payee": True,
            "face_outcome": "match",
            "response_json": '{"decision":"warn"}',
        }
        | changes
    )


READ_BACK = select(screenings).where(screenings.c.screening_id == bindparam("id"))


def test_driver_statements_store_and_read_what_sqlalchemy_does(database_url: str) -> None:
    """A row written on the driver's connection reads back through SQLAlchemy exactly like one
    SQLAlchemy wrote, and the other way round: aware UTC times, exact amounts, booleans."""
    engine = make_engine(database_url)
    migrate(engine)
    by_driver = sample_screening("scr_driver")
    by_core = sample_screening("scr_core", new_payee=False)
    read_back = READ_BACK
    with engine.connect() as connection:
        pooled = connection.connection
        DriverStatement(screenings.insert(), engine.dialect).execute(pooled, by_driver)
        connection.execute(screenings.insert(), by_core)
        for written in (by_driver, by_core):
            through_core = connection.execute(read_back, {"id": written["screening_id"]}).one()._asdict()
            through_driver = DriverStatement(read_back, engine.dialect).rows(
                pooled, {"id": written["screening_id"]}
            )
            assert through_core == written
            assert through_driver == [tuple(written[column.name] for column in screenings.c)]
            assert through_core["created_at"].tzinfo is not None
        connection.rollback()
    engine.dispose()


def test_a_customer_screened_meanwhile_is_decided_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the facts are read and the rules run outside the writer lock. If another counter
    stores a screening of the same customer in between, the screening is decided again under the
    lock, so it still sees the warning the other counter gave ("previously warned")."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    seed = seeded(url)
    ctx = ServiceContext.open(ServiceSettings(database_url=url))
    try:
        terminal = authenticate_terminal(ctx, seed.counter_key)
        teller = sign_in(ctx, terminal, SessionRequest(teller_id="T1001", password="teller-demo-1")).teller
        who = customer()
        blocked = ScreeningRequest.model_validate(remittance(payee_account=POLICE_LISTED, customer=who))
        clean = ScreeningRequest.model_validate(remittance(customer=who))
        read = ctx.hot_connections.read

        def read_while_another_counter_screens(work: Callable[[Any], Any]) -> Any:
            drafted = read(work)
            monkeypatch.setattr(ctx.hot_connections, "read", read)
            other = screen(ctx, terminal, teller, blocked, uuid.uuid4().hex)
            assert other.body["decision"] == "block"
            return drafted

        monkeypatch.setattr(ctx.hot_connections, "read", read_while_another_counter_screens)
        answer = screen(ctx, terminal, teller, clean, uuid.uuid4().hex).body
        assert "PREVIOUSLY_WARNED" in {reason["code"] for reason in answer["reasons"]}
        assert answer["decision"] == "hold"
    finally:
        ctx.close()


def test_a_retry_of_a_screening_stored_by_an_earlier_version_is_answered(database_url: str) -> None:
    """Screenings' idempotency records now hold model_fingerprint; ones an earlier version stored hold
    request_fingerprint. A retry of such a screening (its answer was lost while the service was
    upgraded) gets the stored answer, and another request under that key is still a 409."""
    seed = seeded(database_url)
    ctx = ServiceContext.open(ServiceSettings(database_url=database_url))
    try:
        terminal = authenticate_terminal(ctx, seed.counter_key)
        teller = sign_in(ctx, terminal, SessionRequest(teller_id="T1001", password="teller-demo-1")).teller
        request = ScreeningRequest.model_validate(remittance(customer=customer()))
        key = uuid.uuid4().hex
        first = screen(ctx, terminal, teller, request, key).body
        with ctx.engine.begin() as connection:  # as an earlier version stored it
            connection.execute(
                idempotency_records.update()
                .where(idempotency_records.c.idempotency_key == key)
                .values(request_hash=request_fingerprint(request.model_dump(mode="json")))
            )
        assert screen(ctx, terminal, teller, request, key).body == first
        other = ScreeningRequest.model_validate(remittance(customer=customer(), amount="99.00"))
        with pytest.raises(ProblemError) as refused:
            screen(ctx, terminal, teller, other, key)
        assert refused.value.status == 409
    finally:
        ctx.close()


def test_a_screening_waiting_for_the_writer_lock_does_not_stop_the_service(
    sqlite_service: RunningService,
) -> None:
    """SQLite screenings run on the event loop only while the writer lock is free. While another
    writer holds it (here this test, as a long import would), the screening waits in a thread and the
    same process goes on answering requests that do not write."""
    teller = sqlite_service.teller()
    database = sqlite_service.process.database_url.removeprefix("sqlite:///")
    with open(f"{database}.writer-lock", "a+") as lock_file, ThreadPoolExecutor(1) as pool:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            waiting = pool.submit(teller.screen, remittance(customer=customer()))
            # A request that only reads (a lookup would count towards its rate limit: a write).
            health = teller.get("/v1/health")
            assert health.status_code == 200, health.text
            assert not waiting.done()
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
        answer = waiting.result(timeout=30)
    assert answer.status_code == 201, answer.text
