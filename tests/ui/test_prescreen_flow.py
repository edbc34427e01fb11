"""The lobby pre-screen at the counter: the code from the kiosk is checked, shown, screened and warned on."""

from typing import Any

import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from screening_service.database import make_engine
from screening_service.schema import prescreens, screenings
from tests.service.conftest import RunningService
from tests.ui.test_teller_flow import (
    CLEAN,
    TIMEOUT_MS,
    identify,
    key_remittance,
    screen_until_dialog,
    sign_in,
    type_into,
)
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow

ANSWERS: dict[str, Any] = {
    "purpose": "tax_or_fine",
    "purpose_text": "说是交罚款",
    "who_asked": "caller_claiming_authority",
    "relationship_to_payee": "unknown",
    "urgency": "immediately_or_threatened",
    "on_phone_now": True,
    "told_to_keep_secret": False,
    "first_time_payee": True,
    "amount_band": "under_10k",
    "remarks": "客户边走边打电话",
}


def questionnaire(service: RunningService, **changes: Any) -> str:
    """What the lobby manager submits on the kiosk; returns the code the customer brings."""
    response = requests.post(
        f"{service.url}/v1/prescreens",
        json={**ANSWERS, **changes},
        headers={"X-Terminal-Key": service.seed.kiosk_key},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def check_code(window: TellerWindow, qtbot: QtBot, code: str) -> None:
    form = window.form
    type_into(form.prescreen_code.editor, code)
    with qtbot.waitSignal(form.sig_prescreen_code_entered, timeout=TIMEOUT_MS):
        qtbot.mouseClick(form.prescreen_check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(form.prescreen_check_button.isEnabled, timeout=TIMEOUT_MS)


def test_code_from_the_lobby_is_shown_screened_and_warned_on(
    window: TellerWindow, qtbot: QtBot, service: RunningService
) -> None:
    code = questionnaire(service)
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN)
    check_code(window, qtbot, code.lower().replace("-", ""))
    shown = window.form.prescreen_answers
    assert shown.isVisible() and not window.form.prescreen_code.error.isVisible()
    assert f"Lobby pre-screen {code}" in shown.text()
    assert "⚠ Who asked for the transfer: A caller claiming to be the police" in shown.text()
    assert "⚠ On the phone with someone now: Yes" in shown.text()
    assert "Told to keep it secret: No" in shown.text()
    assert "In the customer's words: 说是交罚款" in shown.text()

    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, RiskWarningDialog)
    assert dialog.screening.decision == "hold"
    reason = dialog.findChild(type(shown), "reason_PRESCREEN_AUTHORITY_CALLER")
    assert reason is not None and "claiming to be the police" in reason.text()
    assert dialog.findChild(type(shown), "reason_PRESCREEN_ON_PHONE") is not None
    assert dialog.prescreen_box.isVisible()
    assert dialog.prescreen_box.title() == f"Lobby pre-screen {code}"
    assert "Urgency: Immediately, or under threat" in dialog.prescreen_answers.text()
    assert "Lobby manager's remarks: 客户边走边打电话" in dialog.prescreen_answers.text()
    assert "called_by_authority" in dialog.question_checks

    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        linked = connection.execute(
            select(prescreens.c.code)
            .join(screenings, screenings.c.prescreen_id == prescreens.c.prescreen_id)
            .where(screenings.c.screening_id == dialog.screening.screening_id)
        ).scalar_one()
    engine.dispose()
    assert linked == code.replace("-", "")

    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["cancel"]
    # The next customer starts with an empty code.
    assert window.form.prescreen_code.editor.text() == "" and not window.form.prescreen_answers.isVisible()


def test_unknown_code_is_refused_and_never_screened(
    window: TellerWindow, qtbot: QtBot, service: RunningService
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN)
    check_code(window, qtbot, "ZZZ-ZZZ")
    error = window.form.prescreen_code.error
    assert error.isVisible() and "No pre-screen has this code" in error.text()
    assert not window.form.prescreen_answers.isVisible()
    qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    assert "Check the pre-screen code first" in error.text()
    assert window.current_dialog is None and window.session is not None
    assert window.session.remittance is None  # nothing was submitted

    # A checked code that is then changed must be checked again.
    code = questionnaire(service, who_asked="self", on_phone_now=False, urgency="none")
    check_code(window, qtbot, code)
    assert window.form.prescreen_answers.isVisible()
    type_into(window.form.prescreen_code.editor, code[:-1])
    window.form.prescreen_code.editor.textEdited.emit(code[:-1])
    assert not window.form.prescreen_answers.isVisible()
    qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    assert "Check the pre-screen code first" in error.text()
    assert window.current_dialog is None

    # Cleared, the remittance is screened without a pre-screen.
    type_into(window.form.prescreen_code.editor, "")
    window.form.prescreen_code.editor.textEdited.emit("")
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    assert recorded.args == ["proceed"]
