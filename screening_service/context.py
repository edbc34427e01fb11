"""What every request handler needs: settings, the database engine, the rules and a short-lived auth cache."""

import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Engine

from screening_service.database import make_engine, read_setting, require_current_schema
from screening_service.driver_sql import AsyncHotConnections, HotConnections
from screening_service.rules import RuleSet, load_rules
from screening_service.settings import ServiceSettings

T = TypeVar("T")
# Statements of screenings on the event loop in flight at once, per process: beyond the round trips
# that overlap, more would only queue in PostgreSQL for the same two cores.
ASYNC_CONNECTIONS = 4


class TtlCache(Generic[T]):
    """A small expiring cache; only ever a shortcut in front of the database, never the truth."""

    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self._seconds = seconds
        self._max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            return entry[1]

    def put(self, key: Hashable, value: T) -> None:
        if self._seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._seconds, value)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)


@dataclass
class ServiceContext:
    settings: ServiceSettings
    engine: Engine
    rules: RuleSet
    customer_pepper: str
    auth_cache: TtlCache[object] = field(init=False)
    hot_connections: HotConnections = field(init=False)
    # PostgreSQL only: the connections screenings use on the event loop (see fast_path).
    async_connections: AsyncHotConnections | None = field(init=False)

    def __post_init__(self) -> None:
        self.auth_cache = TtlCache(self.settings.auth_cache_seconds)
        self.hot_connections = HotConnections(self.engine)
        self.async_connections = (
            AsyncHotConnections(self.engine, ASYNC_CONNECTIONS)
            if self.engine.dialect.name == "postgresql"
            else None
        )

    def close(self) -> None:
        self.hot_connections.close()
        if self.async_connections is not None:
            self.async_connections.close()
        self.engine.dispose()

    @classmethod
    def open(cls, settings: ServiceSettings) -> "ServiceContext":
        rules = load_rules(settings.rules_path)
        engine = make_engine(settings.database_url, background_checkpoints=True)
        require_current_schema(engine)
        return cls(settings, engine, rules, read_setting(engine, "customer_key_pepper"))
