"""Engine creation and schema migration for SQLite (embedded, pilots) and PostgreSQL (production)."""

import logging
import os
import secrets
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError

from screening_service.schema import service_settings

if sys.platform != "win32":
    import fcntl

log = logging.getLogger("screening_service.database")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# An arbitrary constant: every instance that migrates takes the same PostgreSQL advisory lock,
# so two instances started together do not both run the same migration.
_MIGRATION_LOCK_ID = 0x43475244
_WRITE_OPTION = "counterguard_write"


class _SqliteWriterLock:
    """Queues the writers of one SQLite file: threads on an RLock, processes on a lock file.

    SQLite has one writer at a time, and a writer that finds it taken waits in SQLite's busy
    handler, which polls with sleeps of up to 100 ms: under load unlucky writers starve for
    seconds. Here they wait in the kernel and are woken as soon as the writer is done. On
    Windows (and for in-memory databases) only the threads of one process queue here.
    """

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        usable = database and database != ":memory:" and not database.startswith("file:")
        # Never the database file itself: closing any descriptor of it would drop SQLite's locks.
        self._path = f"{database}.writer-lock" if usable and sys.platform != "win32" else None
        self._fd: int | None = None

    def acquire(self, wait: bool = True) -> bool:
        """Take the lock; with `wait` False, only if no other writer holds it (returns whether taken)."""
        if not self._threads.acquire(blocking=wait):
            return False
        if self._depth == 0 and self._path is not None and sys.platform != "win32":
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                    weakref.finalize(self, os.close, self._fd)
                fcntl.flock(self._fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process is writing
                self._threads.release()
                return False
            except OSError as error:  # a read-only folder: SQLite's busy handler still applies
                log.warning("no writer lock file %s (%s); using SQLite's own waiting", self._path, error)
                self._path = None
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None and sys.platform != "win32":
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


_sqlite_write_locks: "weakref.WeakKeyDictionary[Engine, _SqliteWriterLock]" = weakref.WeakKeyDictionary()


class _WalCheckpointer:
    """Copies SQLite's write-ahead log back into the database file once a second, off the request path.

    By default the commit that fills the log past 1,000 pages does this copy itself, while it holds the
    write lock: a few milliseconds for that request and for every writer queued behind it, and a
    tenth of each commit's cost on average. Here a PASSIVE checkpoint runs beside the writers instead
    (it never waits for them or blocks them), and with each page copied once a second rather than
    after every 1,000 written, a page that many screenings change is copied once.

    A PASSIVE checkpoint never lets the log start over, though: SQLite restarts it only when no
    reader is using it, which under steady load never happens. The log then grew by some 70 MB a
    second (3 GB in 40 s of load) and screenings slowed by a third. So once the log passes
    RESTART_BYTES, the thread catches up with PASSIVE checkpoints, flushes the database file, then
    takes the writer lock and runs a RESTART checkpoint, which copies the last pages and lets the log
    start over once the readers still on it are done. It asks again every fraction of a millisecond
    rather than through SQLite's busy handler (whose sleeps grow to 100 ms), and gives up after
    WRITERS_PAUSED_SECONDS, the longest it keeps the writers waiting; the next second tries again.
    The first writer after the restart cuts a file over FILE_LIMIT_BYTES back to that size (the
    service's connections set journal_size_limit).

    Each worker process has a checkpointer; a lock file lets one of them run at a time, since a
    checkpoint that finds another running gives up (it cost the writers a pause for nothing). The
    thread ends with the engine.
    """

    INTERVAL_SECONDS = 1.0
    RESTART_BYTES = 16 * 1024 * 1024
    FILE_LIMIT_BYTES = 256 * 1024 * 1024
    WRITERS_PAUSED_SECONDS = 0.01

    def __init__(self, database: str, writer: _SqliteWriterLock) -> None:
        self._database = database
        self._writer = writer
        self._stop = threading.Event()

    @classmethod
    def start_for(cls, engine: Engine) -> None:
        assert engine.url.database is not None
        checkpointer = cls(engine.url.database, _sqlite_write_locks[engine])
        weakref.finalize(engine, checkpointer._stop.set)
        threading.Thread(target=checkpointer._run, name="sqlite-checkpoint", daemon=True).start()

    def _run(self) -> None:
        turn = _ProcessTurn(f"{self._database}.checkpoint-lock")
        while not self._stop.wait(self.INTERVAL_SECONDS):
            try:
                with turn as mine:
                    if not mine:
                        continue  # another process's checkpointer is at work
                    connection = sqlite3.connect(self._database, timeout=0)
                    try:
                        self._checkpoint(connection)
                    finally:
                        connection.close()
            except (sqlite3.Error, OSError) as error:  # busy, gone, or a read-only folder
                log.debug("WAL checkpoint skipped: %s", error)

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        try:
            size = os.path.getsize(f"{self._database}-wal")
        except OSError:
            return
        if size <= self.RESTART_BYTES:
            return
        # Copy what was written during that checkpoint (a tenth of a second's worth under load), and
        # so on, so that the writers wait only while the last few pages are copied.
        for _ in range(3):
            started = time.monotonic()
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if time.monotonic() - started < self.WRITERS_PAUSED_SECONDS / 2:
                break
        # The RESTART checkpoint flushes the database file to disk, and flushing a second's worth of
        # copied pages took 30 ms; flushed here first, the writers wait for the last few pages only.
        _flush_to_disk(self._database)
        with self._writer:
            give_up = time.monotonic() + self.WRITERS_PAUSED_SECONDS
            while connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]:  # busy
                if time.monotonic() > give_up:
                    log.debug("WAL of %d bytes not restarted: readers held on to it", size)
                    return
                time.sleep(0.0002)


def _flush_to_disk(path: str) -> None:
    descriptor = os.open(path, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _ProcessTurn:
    """A lock file taken without waiting: `with turn as mine` tells whether this process has it.
    Elsewhere than POSIX, every process takes its turn."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None
        self._held = False

    def __enter__(self) -> bool:
        if sys.platform == "win32":
            return True
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._fd)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._held = True
        return True

    def __exit__(self, *_exc: object) -> None:
        if self._held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._held = False


def data_dir() -> Path:
    """The folder for the embedded database; `COUNTERGUARD_DATA_DIR` moves it (tests, portable installs)."""
    override = os.environ.get("COUNTERGUARD_DATA_DIR")
    folder = Path(override) if override else Path(platformdirs.user_data_dir("CounterGuard", False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'screening.db'}"


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form IT will type and use the psycopg 3 driver for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, background_checkpoints: bool = False) -> Engine:
    """An engine for `url`. With `background_checkpoints` (the serving processes), SQLite's WAL is
    copied back into the database by a background thread (see _WalCheckpointer) instead of by
    whichever commit happens to fill it."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # hide_parameters: database errors are logged, and their parameters carry personal data.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside the single writer; NORMAL is durable across
            # application crashes, which is what a counter-side pilot needs.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if background_checkpoints:
                cursor.execute("PRAGMA wal_autocheckpoint=0")
                # The writer that starts the log over after _WalCheckpointer's RESTART cuts the file.
                cursor.execute(f"PRAGMA journal_size_limit={_WalCheckpointer.FILE_LIMIT_BYTES}")
            cursor.close()
            # We issue BEGIN ourselves (below) instead of the sqlite3 module's implicit one.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # A deferred transaction that reads and then writes fails at once with
            # SQLITE_BUSY when another writer got in between; IMMEDIATE waits its turn.
            immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        _sqlite_write_locks[engine] = _SqliteWriterLock(engine.url.database)
        database = engine.url.database or ""
        if background_checkpoints and database not in ("", ":memory:") and not database.startswith("file:"):
            _WalCheckpointer.start_for(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


def writer_lock(engine: Engine) -> AbstractContextManager[None]:
    """What a writer holds for its whole transaction: SQLite's queue of writers; nothing on PostgreSQL."""
    lock = _sqlite_write_locks.get(engine)
    return lock if lock is not None else nullcontext()


@contextmanager
def writer_lock_if_free(engine: Engine) -> Iterator[bool]:
    """writer_lock without waiting: yields whether it was taken (always True on PostgreSQL)."""
    lock = _sqlite_write_locks.get(engine)
    taken = lock.acquire(wait=False) if lock is not None else True
    try:
        yield taken
    finally:
        if taken and lock is not None:
            lock.release()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock up front."""
    with writer_lock(engine), engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


def insert_for(engine: Engine) -> Callable[..., Any]:
    """The dialect's INSERT, which has on_conflict_do_update/do_nothing on both SQLite and PostgreSQL."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run from several instances at once."""
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        command.upgrade(_alembic_config(connection), "head")
    _ensure_setting(engine, "customer_key_pepper", secrets.token_hex(32))
    log.info("database schema at revision %s", head_revision())


def _ensure_setting(engine: Engine, name: str, value: str) -> None:
    try:
        with write_transaction(engine) as connection:
            found = connection.execute(
                select(service_settings.c.value).where(service_settings.c.name == name)
            ).first()
            if found is None:
                connection.execute(service_settings.insert().values(name=name, value=value))
    except IntegrityError:
        pass  # another instance wrote it first; theirs is the one every instance uses


def read_setting(engine: Engine, name: str) -> str:
    with engine.connect() as connection:
        value = connection.execute(
            select(service_settings.c.value).where(service_settings.c.name == name)
        ).scalar_one()
    return str(value)


class SchemaOutdatedError(RuntimeError):
    """The database is not at the schema revision this code needs."""


def require_current_schema(engine: Engine) -> None:
    current = current_revision(engine)
    if current != head_revision():
        raise SchemaOutdatedError(
            f"database schema is at revision {current or 'none'}, this service needs "
            f"{head_revision()}: run `python -m screening_service migrate --database URL` first"
        )
