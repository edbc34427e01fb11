"""Fixtures for the teller window: the real service process, a runtime pointed at it, the window."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from teller_client import credentials
from teller_client.desk import Desk
from teller_client.runtime import Runtime, open_runtime
from teller_client.settings import Settings, load_settings
from tests.service.conftest import RunningService, seeded, start_service
from ui import tasks
from ui.i18n import Translations
from ui.teller_window import TellerWindow


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    folder = tmp_path_factory.mktemp("ui-service")
    database = f"sqlite:///{folder / 'screening.db'}"
    seed = seeded(database)
    process = start_service(database, folder)
    yield RunningService(process, seed)
    process.stop()


@pytest.fixture
def settings(service: RunningService, isolated_data_dir: Path) -> Settings:
    credentials.store_terminal_key(service.url, service.seed.counter_key)
    loaded = load_settings({"service_url": service.url, "language": "en"})
    # The reading time is tested on its own; elsewhere it would only slow the suite down.
    return dataclasses.replace(loaded, minimum_reading_seconds=0, retry_budget_seconds=2.0)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    opened = open_runtime(settings, start_delivery=False)
    yield opened
    tasks.wait_for_all()
    opened.close()


@pytest.fixture
def translations() -> Translations:
    applied = Translations()
    applied.apply("en")
    return applied


@pytest.fixture
def window(qtbot: QtBot, runtime: Runtime, translations: Translations) -> Iterator[TellerWindow]:
    created = TellerWindow(Desk(runtime), translations)
    qtbot.addWidget(created)
    created.resize(1366, 768)
    created.show()
    yield created
    tasks.wait_for_all()
    created.session = None  # lets closeEvent through whatever the test left open
