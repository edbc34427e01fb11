"""Core statements run on the database driver's own connections: the screening hot path.

SQLAlchemy spends 50-100 µs of Python per statement on an execution context, events and result
objects, and about as much again to open and commit a transaction; a screening runs four statements,
and on two cores that overhead was as large as the screening itself. A DriverStatement is compiled
once per dialect and then does only what SQLAlchemy did for it: fill in the statement's own constants,
convert each parameter and result column with the column type's processors (so values are stored and
read exactly as SQLAlchemy stores and reads them everywhere else), and turn driver errors into
SQLAlchemy's exception classes, which the API already maps to answers (IntegrityError for a repeated
key, DBAPIError for a database that is down). HotConnections holds the connections they run on.
"""

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from screening_service.database import writer_lock, writer_lock_if_free

Processor = Callable[[Any], Any]
log = logging.getLogger("screening_service.database")


def _raise_wrapped(
    dialect: Dialect, sql: str, parameters: Any, error: Exception, invalidated: bool
) -> NoReturn:
    # Parameters hidden: they carry personal data, and these errors are logged.
    raise DBAPIError.instance(
        sql,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=invalidated,
        dialect=dialect,
    ) from error


class DriverStatement:
    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._dialect = dialect
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        # (name, given by the caller?, the statement's own constant, processor) in the order the driver
        # wants them; qmark drivers (sqlite3) take a tuple in that order, pyformat ones (psycopg) a dict.
        self._names: list[str] = list(compiled.positiontup or ()) if compiled.positional else list(binds)
        self._slots: list[tuple[str, bool, Any, Processor | None]] = [
            (
                name,
                binds[name].required,
                None if binds[name].required else binds[name].effective_value,
                binds[name].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in self._names
        ]
        self._positional = compiled.positional
        self._result_types = (
            [column.type.dialect_impl(dialect) for column in statement.selected_columns]
            if isinstance(statement, Select)
            else []
        )
        # Built at the first execution: some drivers' processors depend on the column's type code
        # in the cursor's description (psycopg's numeric), which is the same on every execution.
        self._result_processors: list[Processor | None] | None = None
        self._converts_results = False
        # For psycopg's raw cursors, which send the statement as it is: no parsing of %(name)s
        # placeholders and no reordering of a dict on every execution.
        self.numbered_sql, self._numbered_order = (
            _numbered(self.sql, self._names) if dialect.paramstyle == "pyformat" else ("", [])
        )

    def _converted(self, values: Mapping[str, Any]) -> list[Any]:
        converted = []
        for name, given, constant, processor in self._slots:
            value = values[name] if given else constant
            converted.append(value if processor is None else processor(value))
        return converted

    def _parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        converted = self._converted(values)
        return tuple(converted) if self._positional else dict(zip(self._names, converted, strict=True))

    def _cursor(self, connection: DBAPIConnection, values: Mapping[str, Any]) -> Any:
        parameters = self._parameters(values)
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, parameters)
        except self._dialect.loaded_dbapi.Error as error:
            cursor.close()
            _raise_wrapped(self._dialect, self.sql, parameters, error, invalidated=False)
        return cursor

    def execute(self, connection: DBAPIConnection, values: Mapping[str, Any]) -> None:
        self._cursor(connection, values).close()

    def rows(self, connection: DBAPIConnection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        cursor = self._cursor(connection, values)
        try:
            fetched = cursor.fetchall()
            if self._result_processors is None:
                self._result_processors = self._processors(cursor.description)
        finally:
            cursor.close()
        return self._processed(fetched)

    async def run_async(
        self, cursor: Any, values: Mapping[str, Any], wants_rows: bool
    ) -> list[tuple[Any, ...]]:
        """On a psycopg AsyncRawCursor (reused: making one costs as much as filling in the statement):
        the rows, if `wants_rows`; [] otherwise."""
        converted = self._converted(values)
        parameters = [converted[index] for index in self._numbered_order]
        try:
            await cursor.execute(self.numbered_sql, parameters)
            if not wants_rows:
                return []
            fetched = await cursor.fetchall()
            if self._result_processors is None:
                self._result_processors = self._processors(cursor.description)
        except self._dialect.loaded_dbapi.Error as error:
            _raise_wrapped(self._dialect, self.numbered_sql, parameters, error, invalidated=False)
        return self._processed(fetched)

    def _processors(self, description: Sequence[Any]) -> list[Processor | None]:
        processors: list[Processor | None] = [
            kind.result_processor(self._dialect, column[1])
            for kind, column in zip(self._result_types, description, strict=True)
        ]
        self._converts_results = any(processors)
        return processors

    def _processed(self, fetched: Sequence[Any]) -> list[tuple[Any, ...]]:
        processors = self._result_processors
        assert processors is not None
        if not self._converts_results:
            return [tuple(row) for row in fetched]
        return [
            tuple(
                value if processor is None else processor(value)
                for processor, value in zip(processors, row, strict=True)
            )
            for row in fetched
        ]


def _numbered(sql: str, names: list[str]) -> tuple[str, list[int]]:
    """Pyformat `sql` with PostgreSQL's own $1, $2 ... for each %(name)s (a name used twice keeps its
    number), and for each number the index of its value in `names`' order."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"  # "%%" is a literal percent sign
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _PYFORMAT.sub(number, sql), [names.index(name) for name in order]


_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a unit of work; `wants_rows` is False for a write."""

    statement: DriverStatement
    values: Mapping[str, Any]
    wants_rows: bool = True


# A unit of work written once for both kinds of connection: a generator that yields each Step and is
# sent its rows, and returns the unit's result. run_steps drives it on a driver connection in this
# thread; run_steps_async on an asyncio one, on the event loop.
Steps = Generator[Step, list[tuple[Any, ...]], T]


def run_steps(steps: Steps[T], connection: DBAPIConnection) -> T:
    try:
        step = next(steps)
        while True:
            if step.wants_rows:
                rows = step.statement.rows(connection, step.values)
            else:
                step.statement.execute(connection, step.values)
                rows = []
            step = steps.send(rows)
    except StopIteration as finished:
        result: T = finished.value
        return result


async def run_steps_async(steps: Steps[T], cursor_for: Callable[[DriverStatement], Any]) -> T:
    """Drive `steps` on asyncio cursors, `cursor_for(statement)` running each statement."""
    try:
        step = next(steps)
        while True:
            cursor = cursor_for(step.statement)
            step = steps.send(await step.statement.run_async(cursor, step.values, step.wants_rows))
    except StopIteration as finished:
        result: T = finished.value
        return result


class WriterBusyError(Exception):
    """Another SQLite writer holds the lock, and the caller asked not to wait for it."""


class HotConnections:
    """The driver connections screenings run on: one per thread that screens, kept checked out of the
    engine's pool, since checking a connection out and in again (with PostgreSQL's pre-ping round
    trip) cost about as much as the screening's own statements.

    `run(work)` runs `work(connection)` as one unit that commits or leaves nothing:
    - on SQLite inside BEGIN IMMEDIATE ... COMMIT, holding the writer lock (database.writer_lock);
    - on PostgreSQL in autocommit mode, where `work` reads what it needs and then writes everything in
      ONE statement, which PostgreSQL applies whole or not at all: no BEGIN and COMMIT round trips.
    A connection the driver reports as broken (a restarted database) is dropped, and `work` runs once
    more on a new one: safe, because what a screening writes is keyed by its idempotency record.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._sqlite = engine.dialect.name == "sqlite"
        self._local = threading.local()
        self._held: list[PoolProxiedConnection] = []
        self._lock = threading.Lock()

    def run(self, work: Callable[[DBAPIConnection], T], wait: bool = True) -> T:
        """`work(connection)` as one unit that writes (see the class). With `wait` False it raises
        WriterBusyError at once, having done nothing, if another SQLite writer holds the lock."""
        return self._retried(work, writes=True, wait=wait)

    def read(self, work: Callable[[DBAPIConnection], T]) -> T:
        """`work(connection)` that only reads: without SQLite's writer lock, in a read transaction
        there (its statements see one snapshot); in autocommit on PostgreSQL."""
        return self._retried(work, writes=False, wait=True)

    def _retried(self, work: Callable[[DBAPIConnection], T], writes: bool, wait: bool) -> T:
        try:
            return self._run_once(work, writes, wait)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            return self._run_once(work, writes, wait)

    def _run_once(self, work: Callable[[DBAPIConnection], T], writes: bool, wait: bool) -> T:
        if not writes:
            return self._unit(work, "BEGIN")
        if wait:
            with writer_lock(self._engine):
                return self._unit(work, "BEGIN IMMEDIATE")
        with writer_lock_if_free(self._engine) as taken:
            if not taken:
                raise WriterBusyError
            return self._unit(work, "BEGIN IMMEDIATE")

    def _unit(self, work: Callable[[DBAPIConnection], T], begin: str) -> T:
        pooled = self._connection()
        driver = pooled.driver_connection
        step = begin
        try:
            if self._sqlite:
                driver.execute(begin)  # type: ignore[union-attr]
            step = "statements"
            result = work(pooled)
            if self._sqlite:
                step = "COMMIT"
                driver.commit()  # type: ignore[union-attr]
            return result
        except (self._dialect.loaded_dbapi.Error, DBAPIError) as error:
            original = error.orig if isinstance(error, DBAPIError) else error
            broken = self._dialect.is_disconnect(original, pooled, None)  # type: ignore[arg-type]
            self._undo(pooled, broken)
            if isinstance(error, DBAPIError):  # from a DriverStatement, already wrapped
                error.connection_invalidated = broken
                raise
            _raise_wrapped(self._dialect, step, (), error, invalidated=broken)
        except BaseException:
            self._undo(pooled, broken=False)
            raise

    def _connection(self) -> PoolProxiedConnection:
        pooled: PoolProxiedConnection | None = getattr(self._local, "connection", None)
        if pooled is None:
            try:
                pooled = self._engine.raw_connection()
            except self._dialect.loaded_dbapi.Error as error:  # raw_connection() does not wrap them
                _raise_wrapped(self._dialect, "connect", (), error, invalidated=False)
            if not self._sqlite:
                pooled.driver_connection.autocommit = True  # type: ignore[union-attr]
            self._local.connection = pooled
            with self._lock:
                self._held.append(pooled)
        return pooled

    def _undo(self, pooled: PoolProxiedConnection, broken: bool) -> None:
        """After a failed unit: roll SQLite's transaction back (PostgreSQL's autocommit statements
        leave nothing open); a connection that is broken, or cannot even roll back, is dropped."""
        if not broken and self._sqlite:
            try:
                pooled.rollback()
            except Exception as error:
                log.warning("dropping a database connection that could not roll back: %s", error)
                broken = True
        if broken:
            self._drop(pooled)

    def _drop(self, pooled: PoolProxiedConnection) -> None:
        self._local.connection = None
        with self._lock:
            if pooled in self._held:
                self._held.remove(pooled)
        pooled.invalidate()

    def close(self) -> None:
        """Give every held connection back to the pool (the service is stopping)."""
        with self._lock:
            held, self._held = self._held, []
        for pooled in held:
            if not self._sqlite:
                pooled.driver_connection.autocommit = False  # type: ignore[union-attr]
            pooled.close()


class AsyncHotConnections:
    """PostgreSQL's counterpart of HotConnections for screenings run on the event loop: a few psycopg
    asyncio connections in autocommit mode, each running one unit of Steps at a time.

    Handing a screening to a thread and back, and the threads' contention for the GIL while each
    waited on its round trips, cost about as much CPU as the statements themselves (measured in one
    run: 265 µs against 130 µs per three statements). A connection the database dropped is replaced and
    the unit runs once more, as in HotConnections. When a request is cancelled mid-statement, psycopg
    cancels the statement in the server; a connection left in any state but idle is closed, not reused.
    """

    def __init__(self, engine: Engine, size: int) -> None:
        assert engine.dialect.name == "postgresql"
        self._dialect = engine.dialect
        self._connect_args = engine.dialect.create_connect_args(engine.url)
        self._size = size
        self._idle: list[_HeldConnection] = []
        self._slots: asyncio.Semaphore | None = None  # made on the event loop that uses it

    async def run(self, steps: Callable[[], Steps[T]]) -> T:
        """The unit `steps()` makes, on a connection of its own; see HotConnections.run."""
        try:
            return await self._run_once(steps)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            return await self._run_once(steps)

    async def _run_once(self, steps: Callable[[], Steps[T]]) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        async with self._slots:
            held = self._idle.pop() if self._idle else await self._connect()
            connection = held.connection
            try:
                return await run_steps_async(steps(), held.cursor_for)
            except DBAPIError as error:
                broken = self._dialect.is_disconnect(error.orig, connection, None)  # type: ignore[arg-type]
                error.connection_invalidated = broken
                raise
            finally:
                if connection.info.transaction_status == self._idle_status:
                    self._idle.append(held)
                else:  # broken, closed, or cancelled in the middle of a statement
                    await connection.close()

    @property
    def _idle_status(self) -> Any:
        return self._dialect.loaded_dbapi.pq.TransactionStatus.IDLE

    async def _connect(self) -> "_HeldConnection":
        cargs, cparams = self._connect_args
        driver = self._dialect.loaded_dbapi
        try:
            connection = await driver.AsyncConnection.connect(*cargs, **cparams, autocommit=True)
        except driver.Error as error:
            _raise_wrapped(self._dialect, "connect", (), error, invalidated=False)
        return _HeldConnection(connection, driver.AsyncRawCursor)

    def close(self) -> None:
        """Close the idle connections (the service is stopping); closing needs no event loop."""
        idle, self._idle = self._idle, []
        for held in idle:
            held.connection.pgconn.finish()


class _HeldConnection:
    """An asyncio connection and a raw cursor for each statement run on it. A cursor keeps what it
    worked out to convert parameters and rows only while it runs the same statement again, so one
    cursor alternating between statements worked it all out anew every time."""

    def __init__(self, connection: Any, cursor_class: Callable[[Any], Any]) -> None:
        self.connection = connection
        self._cursor_class = cursor_class
        self._cursors: dict[DriverStatement, Any] = {}

    def cursor_for(self, statement: DriverStatement) -> Any:
        cursor = self._cursors.get(statement)
        if cursor is None:
            cursor = self._cursors[statement] = self._cursor_class(self.connection)
        return cursor
