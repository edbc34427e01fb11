"""The reference service run inside the client's process on a loopback port, with demo data.

This is what the client uses when no service URL is configured: real HTTP, a SQLite file
in the CounterGuard data folder, and a visible demo marker on the client's side.
"""

import logging
import socket
import threading
from dataclasses import dataclass
from types import TracebackType

import uvicorn
from sqlalchemy import Engine, func, select

from screening_service.admin import issue_terminal_key
from screening_service.app import create_service
from screening_service.context import ServiceContext
from screening_service.database import default_database_url, make_engine, migrate
from screening_service.demo import DEMO_BRANCH, DEMO_TELLERS, DemoTeller, seed_demo
from screening_service.schema import tellers
from screening_service.settings import ServiceSettings

log = logging.getLogger("screening_service.embedded")

EMBEDDED_COUNTER = "LOCAL-C01"
EMBEDDED_KIOSK = "LOCAL-K01"


@dataclass(frozen=True)
class EmbeddedEndpoint:
    url: str
    counter_key: str
    kiosk_key: str
    branch_id: str
    demo_tellers: tuple[DemoTeller, ...]


def _prepare_demo(engine: Engine) -> tuple[str, str]:
    """Seed demo data into a new database; issue this run's terminal keys (kept only in memory)."""
    with engine.connect() as connection:
        has_tellers = connection.execute(select(func.count()).select_from(tellers)).scalar_one()
    if not has_tellers:
        seed_demo(engine)
    counter = issue_terminal_key(engine, EMBEDDED_COUNTER, DEMO_BRANCH, "counter")
    kiosk = issue_terminal_key(engine, EMBEDDED_KIOSK, DEMO_BRANCH, "kiosk")
    return counter.key, kiosk.key


class EmbeddedService:
    def __init__(self, database_url: str | None = None, host: str = "127.0.0.1") -> None:
        self._database_url = database_url or default_database_url()
        self._host = host
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._context: ServiceContext | None = None

    def start(self) -> EmbeddedEndpoint:
        engine = make_engine(self._database_url)
        migrate(engine)
        counter_key, kiosk_key = _prepare_demo(engine)
        engine.dispose()
        context = self._context = ServiceContext.open(ServiceSettings(database_url=self._database_url))
        # Binding here, before the server thread starts, means the port is known at once and
        # early connections wait in the listen backlog instead of being refused.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self._host, 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        config = uvicorn.Config(
            create_service(context), log_config=None, access_log=False, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name="embedded-service", daemon=True
        )
        self._thread.start()
        url = f"http://{self._host}:{port}"
        log.info("embedded screening service on %s (database %s)", url, self._database_url)
        return EmbeddedEndpoint(url, counter_key, kiosk_key, DEMO_BRANCH, DEMO_TELLERS)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None
            self._thread = None
        if self._context is not None:
            self._context.close()
            self._context = None

    def __enter__(self) -> EmbeddedEndpoint:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
