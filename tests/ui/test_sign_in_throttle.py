"""Password spraying at one terminal: the teller is told to wait, not that the service is down."""

import os
import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.service.conftest import RunningService, seeded, start_service
from ui.teller_window import TellerWindow

TIMEOUT_MS = 10_000
FAILURES_ALLOWED = 3


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """This module's own service, throttling after 3 failed sign-ins at one terminal (20 in production)."""
    folder = tmp_path_factory.mktemp("throttle-service")
    database = f"sqlite:///{folder / 'screening.db'}"
    seed = seeded(database)
    variable = "COUNTERGUARD_SERVICE_TERMINAL_SIGN_IN_FAILURES"
    os.environ[variable] = str(FAILURES_ALLOWED)
    try:
        process = start_service(database, folder)
    finally:
        del os.environ[variable]
    yield RunningService(process, seed)
    process.stop()


def test_a_throttled_terminal_says_how_long_to_wait(window: TellerWindow, qtbot: QtBot) -> None:
    page = window.sign_in_page
    for attempt in range(FAILURES_ALLOWED + 1):
        page.error.clear()
        page.teller_id.setText(f"T900{attempt}")  # a different teller ID each time: nobody gets locked
        page.password.setText("guess-123456")
        qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(page.error.text()), timeout=TIMEOUT_MS)
    message = page.error.text()
    assert "Too many failed sign-ins at this terminal" in message, message
    # Retry-After counts to the end of the service's 15-minute window, which began with the first failure.
    assert re.search(r"Wait (1[0-5]|[1-9]) minute\(s\)", message), message
    assert "cannot be used right now" not in message
    assert window.page == "sign_in"
