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

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
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

    def _parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        converted = []
        for name, given, constant, processor in self._slots:
            value = values[name] if given else constant
            converted.append(value if processor is None else processor(value))
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
            processors = self._result_processors
            if processors is None:
                processors = self._result_processors = [
                    kind.result_processor(self._dialect, description[1])
                    for kind, description in zip(self._result_types, cursor.description, strict=True)
                ]
        finally:
            cursor.close()
        if not any(processors):
            return [tuple(row) for row in fetched]
        return [
            tuple(
                value if processor is None else processor(value)
                for processor, value in zip(processors, row, strict=True)
            )
            for row in fetched
        ]


T = TypeVar("T")


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
