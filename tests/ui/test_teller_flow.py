"""The whole counter flow, driven through the window against the real service process."""

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from screening_service.database import make_engine
from screening_service.schema import acknowledgements, reports
from teller_client.contract import parse_screening
from teller_client.runtime import Runtime
from tests.service.conftest import RunningService, new_resident_id
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow
from ui.unavailable_dialog import UnavailableDialog

POLICE_LISTED = ("6222000011112222337", "刘洋")
PEER_LISTED = ("6214830012341234120", "周杰")
CLEAN = ("6212260200001234562", "王小明")
TIMEOUT_MS = 15_000


def type_into(editor: QWidget, text: str) -> None:
    assert isinstance(editor, QLineEdit)
    editor.setText(text)
    editor.editingFinished.emit()


def sign_in(
    window: TellerWindow, qtbot: QtBot, teller: str = "T1001", password: str = "teller-demo-1"
) -> None:
    window.sign_in_page.teller_id.setText(teller)
    window.sign_in_page.password.setText(password)
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.sign_in_page.password, Qt.Key.Key_Return)
    assert window.page == "work"


def identify(window: TellerWindow, qtbot: QtBot, year: int = 1985) -> str:
    panel = window.customer_panel
    number = new_resident_id(year, 6, 1)
    type_into(panel.id_number.editor, number)
    panel._id_number_edited(number)
    type_into(panel.customer_name.editor, "赵敏")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.face_box.isEnabled, timeout=TIMEOUT_MS)
    type_into(panel.alternative.editor, "联网核查身份证，人证一致")
    qtbot.mouseClick(panel.alternative_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.form.submit_button.isEnabled, timeout=TIMEOUT_MS)
    return number


def key_remittance(
    window: TellerWindow, payee: tuple[str, str], purpose: str = "房租", amount: str = "3000"
) -> None:
    form = window.form
    type_into(form.payer.editor, "6222020200112233446")
    type_into(form.payee.editor, payee[0])
    type_into(form.payee_name.editor, payee[1])
    type_into(form.payee_bank.editor, "中国工商银行")
    type_into(form.amount.editor, amount)
    type_into(form.purpose.editor, purpose)


def screen_until_dialog(window: TellerWindow, qtbot: QtBot) -> Any:
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    return opened.args[0]


def service_acks(service: RunningService, screening_id: str) -> list[Any]:
    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        rows = list(
            connection.execute(
                select(acknowledgements).where(acknowledgements.c.screening_id == screening_id)
            )
        )
    engine.dispose()
    return rows


def audit_kinds(runtime: Runtime) -> list[str]:
    return [record.kind for record in runtime.audit.records()]


def test_wrong_then_right_password(window: TellerWindow, qtbot: QtBot) -> None:
    page = window.sign_in_page
    page.teller_id.setText("T1001")
    page.password.setText("not-my-password")
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrong" in page.error.text(), timeout=TIMEOUT_MS)
    assert window.page == "sign_in"
    assert page.password.text() == ""  # never left on screen
    sign_in(window, qtbot)
    assert "T1001" in window.teller_label.text()


def test_clean_remittance_is_completed(window: TellerWindow, qtbot: QtBot, runtime: Runtime) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN)
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.keyClick(window.form.amount.editor, Qt.Key.Key_Return)
    assert recorded.args == ["proceed"]
    assert window.current_dialog is None
    assert window.transactions.rowCount() == 1
    assert window.transactions.item(0, 3).text() == "allow"
    assert window.transactions.item(0, 1).text() == "6212 **** **** 4562"
    assert audit_kinds(runtime)[-3:] == ["screening_result", "acknowledgement_requested", "acknowledgement"]


def test_police_listed_payee_is_blocked_and_the_dialog_cannot_be_dismissed(
    window: TellerWindow, qtbot: QtBot, runtime: Runtime, service: RunningService
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, POLICE_LISTED, "转到安全账户")
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, RiskWarningDialog)
    assert dialog.screening.decision == "block"
    assert dialog.proceed_button is None
    assert dialog.findChild(QWidget, "proceed") is None
    assert not dialog.delay_2h_button.isVisible()
    assert "police list" in dialog.findChild(QWidget, "reason_PAYEE_POLICE_LIST").text()
    assert not (dialog.windowFlags() & Qt.WindowType.WindowCloseButtonHint)

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    assert not dialog.close()
    assert dialog.isVisible() and window.current_dialog is dialog

    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["cancel"]
    assert window.current_dialog is None
    acks = service_acks(service, dialog.screening.screening_id)
    assert [row.action for row in acks] == ["cancel"]
    last = runtime.audit.records()[-1]
    assert last.kind == "acknowledgement" and json.loads(last.payload)["action"] == "cancel"


def test_hold_needs_the_right_supervisor_password(
    window: TellerWindow, qtbot: QtBot, service: RunningService
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, PEER_LISTED, "还款")
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, RiskWarningDialog) and dialog.screening.decision == "hold"
    assert dialog.proceed_button is not None and not dialog.proceed_button.isEnabled()
    for check in dialog.question_checks.values():
        check.setChecked(True)
    for answer in dialog.question_answers.values():
        answer.setText("同事，借款周转")
    dialog.note.setPlainText("客户坚持办理，已提示风险")
    assert not dialog.proceed_button.isEnabled()  # still no supervisor
    dialog.supervisor_id.setText("S2001")
    dialog.supervisor_password.setText("wrong-password")
    assert dialog.proceed_button.isEnabled()
    qtbot.mouseClick(dialog.proceed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error.isVisible, timeout=TIMEOUT_MS)
    assert "Supervisor approval not given" in dialog.error.text()
    assert dialog.isVisible() and dialog.supervisor_password.text() == ""
    assert service_acks(service, dialog.screening.screening_id) == []

    dialog.supervisor_password.setText("super-demo-1")
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.proceed_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["proceed"]
    acks = service_acks(service, dialog.screening.screening_id)
    assert [(row.action, row.supervisor_id) for row in acks] == [("proceed", "S2001")]


def test_warn_proceeds_with_answers_and_a_note(
    window: TellerWindow, qtbot: QtBot, service: RunningService
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN, "刷单返利")
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, RiskWarningDialog) and dialog.screening.decision == "warn"
    assert not dialog.supervisor_box.isVisible()
    assert dialog.proceed_button is not None
    for check in dialog.question_checks.values():
        check.setChecked(True)
        assert not dialog.proceed_button.isEnabled()
    for answer in dialog.question_answers.values():
        answer.setText("网店正常货款")
    assert not dialog.proceed_button.isEnabled()  # the note is missing
    dialog.note.setPlainText("很" * 1500)  # pasted: cut at what the service accepts, never refused later
    assert len(dialog.note.toPlainText()) == 1000
    dialog.note.setPlainText("客户为网店店主，已核实订单")
    assert dialog.proceed_button.isEnabled()
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.proceed_button, Qt.MouseButton.LeftButton)
    (ack,) = service_acks(service, dialog.screening.screening_id)
    assert ack.action == "proceed" and ack.note == "客户为网店店主，已核实订单"
    assert {answer["question_id"] for answer in json.loads(ack.answers_json)} == set(dialog.question_checks)


def test_police_referral_shows_the_procedure_then_delay(
    window: TellerWindow, qtbot: QtBot, service: RunningService
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN, "保证金")
    dialog = screen_until_dialog(window, qtbot)
    qtbot.mouseClick(dialog.police_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.police_panel.isVisible, timeout=TIMEOUT_MS)
    assert "110" in dialog.police_panel.text() and "96110" in dialog.police_panel.text()
    assert dialog.isVisible()
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.delay_next_day_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["delay_arrival"]
    actions = [(row.action, row.delay) for row in service_acks(service, dialog.screening.screening_id)]
    assert actions == [("refer_police", None), ("delay_arrival", "next_day")]


def test_proceed_waits_for_the_minimum_reading_time(window: TellerWindow, qtbot: QtBot) -> None:
    screening = parse_screening(
        {
            "screening_id": "scr_x",
            "decision": "warn",
            "score": 40,
            "reasons": [
                {
                    "code": "R",
                    "typology": "brushing",
                    "typology_label": {"zh-CN": "刷单", "en": "Brushing"},
                    "severity": "medium",
                    "source": "rule",
                    "score": 40,
                    "message": {"zh-CN": "原因", "en": "Reason"},
                }
            ],
            "payee_name_check": {"outcome": "no_match", "name_on_record": None},
            "questions": [],
            "required_actions": [],
            "allowed_actions": ["cancel", "delay_arrival", "refer_police", "proceed"],
            "expires_at": "2026-11-27T10:00:00Z",
        }
    )
    dialog = RiskWarningDialog(screening, "en", 2, window)
    qtbot.addWidget(dialog)
    dialog.note.setPlainText("checked")
    assert dialog.proceed_button is not None
    assert not dialog.proceed_button.isEnabled()
    assert dialog.proceed_button.text() == "Proceed (2)"
    assert (
        "NO MATCH" in dialog.name_check.text()
        and "not held by the intended payee" in dialog.name_check.text()
    )
    qtbot.waitUntil(dialog.proceed_button.isEnabled, timeout=5_000)
    assert dialog.proceed_button.text() == "&Proceed"


def test_service_stopped_mid_session_fails_closed(
    qtbot: QtBot, runtime: Runtime, window: TellerWindow, tmp_path: Any
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN)
    # The service goes away: point the client at a port where nothing listens.
    runtime.client.base_url = "http://127.0.0.1:9"
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, UnavailableDialog)
    assert "NOT been screened" in dialog.banner.text()
    assert "cannot be reached" in dialog.explanation.text()
    assert window.transactions.rowCount() == 0  # nothing looks allowed
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.close() and dialog.isVisible()

    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.retry_button.isEnabled, timeout=TIMEOUT_MS)
    assert dialog.isVisible()

    dialog.cancel_reason.setText("服务中断，客户改日再来")
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["cancel"]
    assert window.transactions.item(0, 3).text() == "not screened"
    kinds = [record.kind for record in runtime.audit.records()]
    assert kinds.count("screening_unavailable") == 2 and kinds[-1] == "cancelled"


def test_service_back_after_retry(
    window: TellerWindow, qtbot: QtBot, runtime: Runtime, service: RunningService
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, POLICE_LISTED)
    runtime.client.base_url = "http://127.0.0.1:9"
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, UnavailableDialog)
    runtime.client.base_url = service.url
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    warning = opened.args[0]
    assert isinstance(warning, RiskWarningDialog) and warning.screening.decision == "block"


def test_offline_procedure_queues_the_remittance(
    window: TellerWindow, qtbot: QtBot, runtime: Runtime
) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN)
    runtime.client.base_url = "http://127.0.0.1:9"
    dialog = screen_until_dialog(window, qtbot)
    qtbot.mouseClick(dialog.offline_button, Qt.MouseButton.LeftButton)
    assert "supervisor's ID and a note" in dialog.error.text() and dialog.isVisible()
    dialog.supervisor_id.setText("S2001")
    dialog.offline_note.setText("中心服务中断，主管批准")
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.offline_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["offline"]
    (pending,) = runtime.offline_queue.pending()
    assert pending.request["arrival_mode"] == "next_day"


def test_inline_validation_names_the_field(window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, ("6222020200112233445", "王小明"), "x", "12.345")
    qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    assert (
        "Payee account" in window.form.payee.error.text() and "check digit" in window.form.payee.error.text()
    )
    assert "Amount" in window.form.amount.error.text()
    assert "Purpose" in window.form.purpose.error.text()
    assert window.form.payee.editor.hasFocus()  # the first wrong field
    assert window.current_dialog is None
    # Full-width digits typed through an input method are accepted, not refused.
    type_into(window.form.amount.editor, "１２００")
    assert not window.form.amount.error.isVisible()


def test_idle_lock_hides_customer_data(window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot)
    identify(window, qtbot)
    window.idle_timer.setInterval(200)
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS) as changed:
        window.idle_timer.start()
    assert changed.args == ["lock"]
    assert not window.customer_panel.isVisible() and not window.form.isVisible()
    assert not window.report_action.isEnabled()
    window.lock_page.password.setText("wrong")
    qtbot.mouseClick(window.lock_page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.lock_page.error.text() != "", timeout=TIMEOUT_MS)
    assert window.page == "lock"
    window.lock_page.password.setText("teller-demo-1")
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS) as unlocked:
        qtbot.keyClick(window.lock_page.password, Qt.Key.Key_Return)
    assert unlocked.args == ["work"] and window.customer_panel.isVisible()


def test_report_a_suspicious_account(window: TellerWindow, qtbot: QtBot, service: RunningService) -> None:
    sign_in(window, qtbot)
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        window.report_action.trigger()
    dialog = opened.args[0]
    type_into(dialog.account.editor, "6230 5800 0011 2233 445")
    dialog.description_edit.setPlainText("客户称对方自称客服，要求转账退款")
    dialog.typology_box.setCurrentIndex(dialog.typology_box.findData("refund"))
    with qtbot.waitSignal(dialog.finished, timeout=TIMEOUT_MS):
        dialog.buttons.accepted.emit()
    assert "reported" in window.screening_state.text()
    engine = make_engine(service.process.database_url)
    with engine.connect() as connection:
        typologies = [
            row.typology
            for row in connection.execute(
                select(reports).where(reports.c.account_number == "6230580000112233445")
            )
        ]
    engine.dispose()
    assert "refund" in typologies


def test_language_switches_at_run_time(window: TellerWindow, qtbot: QtBot) -> None:
    assert window.sign_in_page.sign_in_button.text() == "Sign in"
    window.switch_language()
    # Qt posts LanguageChange to every widget; wait for it to arrive.
    qtbot.waitUntil(lambda: window.sign_in_page.sign_in_button.text() == "登录", timeout=5_000)
    assert window.form.submit_button.text().startswith("提交风险筛查")
    assert window.language_action.text() == "Switch to English"
    assert window.customer_panel.id_type.currentText() == "居民身份证"
    window.switch_language()
    qtbot.waitUntil(lambda: window.sign_in_page.sign_in_button.text() == "Sign in", timeout=5_000)


def test_every_control_has_an_accessible_name(window: TellerWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot)
    unnamed = [
        widget.objectName()
        for kind in (QLineEdit, QPushButton, QComboBox, QDateEdit)
        for widget in window.findChildren(kind)
        if widget.isVisibleTo(window)
        and not widget.accessibleName()
        and not getattr(widget, "text", lambda: "")()
    ]
    assert unnamed == []
