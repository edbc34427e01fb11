"""The window's guards: a locked screen hides late answers, nothing leaves a remittance in flight,
and an allow whose payee name needs a look is not completed blindly."""

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.test_teller_flow import (
    CLEAN,
    POLICE_LISTED,
    TIMEOUT_MS,
    identify,
    key_remittance,
    screen_until_dialog,
    sign_in,
)
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow


def test_an_answer_that_arrives_while_locked_waits_for_the_password(
    window: TellerWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, POLICE_LISTED)
    qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    window.lock()  # before the service has answered
    qtbot.waitUntil(lambda: window.current_dialog is not None, timeout=TIMEOUT_MS)
    dialog = window.current_dialog
    assert window.page == "lock"
    assert dialog is not None and not dialog.isVisible()  # nothing shows over the lock screen
    window.lock_page.password.setText("teller-demo-1")
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as reopened:
        qtbot.mouseClick(window.lock_page.unlock_button, Qt.MouseButton.LeftButton)
    assert reopened.args[0] is dialog and dialog.isVisible()
    assert window.page == "work"


def test_nothing_leaves_a_remittance_waiting_for_a_decision(window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, POLICE_LISTED)
    dialog = screen_until_dialog(window, qtbot)
    session = window.session
    window.new_customer()
    assert window.session is session  # still the same customer
    window.sign_out()
    assert window.page == "work"
    assert not window.close() and window.isVisible()
    assert "Finish the current remittance" in window.screening_state.text()
    assert isinstance(dialog, RiskWarningDialog)
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    window.new_customer()
    assert window.session is not session


def test_a_close_payee_name_is_shown_before_an_allow_completes(window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, (CLEAN[0], "王晓明"))  # the account is held by 王小明
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, RiskWarningDialog)
    assert dialog.screening.decision == "allow"
    assert "王小明" in dialog.name_check.text() and "CLOSE MATCH" in dialog.name_check.text()
    assert dialog.proceed_button is not None and dialog.proceed_button.isEnabled()
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.proceed_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["proceed"]
