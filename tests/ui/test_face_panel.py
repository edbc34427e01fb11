"""The face panel in the teller window: consent, reference file, camera check, exception paths."""

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from teller_client.desk import Desk
from teller_client.runtime import Runtime, open_runtime
from teller_client.settings import Settings
from tests.face.conftest import face_file
from tests.service.conftest import new_resident_id
from tests.ui.test_teller_flow import TIMEOUT_MS, sign_in, type_into
from ui import tasks
from ui.i18n import Translations
from ui.teller_window import TellerWindow


@pytest.fixture
def camera_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "camera"
    folder.mkdir()
    for name in ("obama4_480p.jpg", "obama6_small.jpg"):
        shutil.copy(face_file(f"people/obama/{name}"), folder / name)
    return folder


def window_with(qtbot: QtBot, settings: Settings, translations: Translations) -> Iterator[TellerWindow]:
    runtime: Runtime = open_runtime(settings, start_delivery=False)
    window = TellerWindow(Desk(runtime), translations)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    yield window
    window.customer_panel.face.reset()
    tasks.wait_for_all()
    window.session = None
    runtime.close()


@pytest.fixture
def face_window(
    qtbot: QtBot, settings: Settings, translations: Translations, camera_folder: Path
) -> Iterator[TellerWindow]:
    configured = dataclasses.replace(settings, camera_source=str(camera_folder), face_challenge_seconds=3.0)
    yield from window_with(qtbot, configured, translations)


def confirm_identity(window: TellerWindow, qtbot: QtBot) -> None:
    panel = window.customer_panel
    number = new_resident_id(1961, 8, 4)
    type_into(panel.id_number.editor, number)
    panel._id_number_edited(number)
    type_into(panel.customer_name.editor, "张建国")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.face.isEnabled, timeout=TIMEOUT_MS)


def kinds(window: TellerWindow) -> list[str]:
    return [record.kind for record in window.desk.runtime.audit.records()]


def test_a_still_photo_fails_liveness_and_is_recorded(face_window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(face_window, qtbot)
    confirm_identity(face_window, qtbot)
    face = face_window.customer_panel.face
    assert not face.start_button.isEnabled()
    qtbot.mouseClick(face.consent_yes, Qt.MouseButton.LeftButton)
    face.load_reference_file(str(face_file("people/obama/obama1.jpg")))
    qtbot.waitUntil(face.start_button.isEnabled, timeout=TIMEOUT_MS)
    assert face.reference_view.pixmap() is not None and not face.reference_view.pixmap().isNull()
    with qtbot.waitSignal(face.sig_result, timeout=60_000) as finished:
        qtbot.mouseClick(face.start_button, Qt.MouseButton.LeftButton)
    summary = finished.args[0]
    assert summary.liveness == "failed"
    assert "Liveness check failed" in face.result.text()
    qtbot.waitUntil(lambda: "face_attempt_failed" in kinds(face_window), timeout=TIMEOUT_MS)
    recorded = kinds(face_window)
    assert recorded.index("face_consent") < recorded.index("face_attempt_failed")
    assert face_window.customer_panel.face.start_button.isEnabled()  # another attempt is allowed
    assert not face_window.form.submit_button.isEnabled()  # no remittance without verified identity


def test_refused_consent_leads_to_the_alternative_check(face_window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(face_window, qtbot)
    confirm_identity(face_window, qtbot)
    face = face_window.customer_panel.face
    qtbot.mouseClick(face.consent_no, Qt.MouseButton.LeftButton)
    assert face.exception_reason.currentData() == "consent_refused"
    assert not face.load_reference_button.isEnabled()
    type_into(face.alternative.editor, "核对护照 E12345678，本人")
    qtbot.mouseClick(face.alternative_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(face_window.form.submit_button.isEnabled, timeout=TIMEOUT_MS)
    assert "face_exception" in kinds(face_window)
    assert kinds(face_window).index("face_consent") < kinds(face_window).index("face_exception")


@pytest.fixture
def window_without_camera(
    qtbot: QtBot, settings: Settings, translations: Translations
) -> Iterator[TellerWindow]:
    yield from window_with(qtbot, dataclasses.replace(settings, camera_source="7"), translations)


def test_no_camera_gives_a_clear_message_and_the_exception_path(
    window_without_camera: TellerWindow, qtbot: QtBot
) -> None:
    window = window_without_camera
    sign_in(window, qtbot)
    confirm_identity(window, qtbot)
    face = window.customer_panel.face
    qtbot.mouseClick(face.consent_yes, Qt.MouseButton.LeftButton)
    face.load_reference_file(str(face_file("people/obama/obama1.jpg")))
    qtbot.waitUntil(face.start_button.isEnabled, timeout=TIMEOUT_MS)
    qtbot.mouseClick(face.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "No usable camera" in face.result.text(), timeout=TIMEOUT_MS)
    assert face.exception_reason.currentData() == "no_camera"
    assert face.preview.text()  # the camera's own message, in plain words
