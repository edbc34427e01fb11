"""`main.py --screenshot DIR`: renders every screen and dialog state to PNG, in zh-CN and en, offscreen.

It drives the real window against the embedded demo service, the way a teller would, so the
pictures show what a bank sees first.
"""

import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QDialog, QLineEdit, QWidget

from teller_client.desk import Desk
from teller_client.runtime import open_runtime
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.settings import Settings
from teller_client.validation import resident_id_check_char
from ui import tasks
from ui.app import create_application
from ui.i18n import Translations
from ui.kiosk_window import KioskWindow
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow
from ui.unavailable_dialog import UnavailableDialog

log = logging.getLogger("counterguard.ui.screenshots")
# The shared sample faces beside the repository (see its README); face scenes need them.
FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"

POLICE_LISTED = ("6222000011112222337", "刘洋")
PEER_LISTED = ("6214830012341234120", "周杰")
CLEAN = ("6212260200001234562", "王小明")


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def _type(widget: QWidget, text: str) -> None:
    assert isinstance(widget, QLineEdit)
    widget.setText(text)
    widget.editingFinished.emit()


# One demo customer per scene: screening history would otherwise carry over between scenes.
CUSTOMERS = iter(
    f"110105{year}0315{serial:03d}" for year, serial in zip(range(1975, 2000), range(101, 150), strict=False)
)


def _next_id() -> str:
    first17 = next(CUSTOMERS)
    return first17 + resident_id_check_char(first17)


def _fill_customer(window: TellerWindow) -> None:
    panel = window.customer_panel
    number = _next_id()
    _type(panel.id_number.editor, number)
    _type(panel.customer_name.editor, "张建国")
    panel._id_number_edited(number)
    panel.confirm()
    wait_until(panel.face_box.isEnabled)
    _type(panel.alternative.editor, "联网核查身份证，人证一致")
    panel.alternative_button.click()
    wait_until(window.form.submit_button.isEnabled)


def _fill_remittance(
    window: TellerWindow, payee: tuple[str, str], purpose: str, amount: str = "8000"
) -> None:
    form = window.form
    _type(form.payer.editor, "6222020200112233446")
    _type(form.payee.editor, payee[0])
    _type(form.payee_name.editor, payee[1])
    _type(form.payee_bank.editor, "中国工商银行")
    _type(form.amount.editor, amount)
    _type(form.purpose.editor, purpose)


def _screen(window: TellerWindow, payee: tuple[str, str], purpose: str) -> QDialog:
    window.new_customer()
    _fill_customer(window)
    _fill_remittance(window, payee, purpose)
    window.form.submit()
    wait_until(lambda: window.current_dialog is not None)
    dialog = window.current_dialog
    assert dialog is not None
    return dialog


def _save(widget: QWidget, folder: Path, name: str, written: list[Path]) -> None:
    QCoreApplication.processEvents()
    path = folder / f"{name}.png"
    widget.grab().save(str(path))
    written.append(path)


def _finish(window: TellerWindow, dialog: QDialog) -> None:
    if isinstance(dialog, RiskWarningDialog):
        dialog.cancel_button.click()
    wait_until(lambda: window.current_dialog is None)


def _face_scenes(window: TellerWindow, folder: Path, suffix: str, written: list[Path]) -> None:
    """The face panel: consent, the live check with its instruction, and a finished attempt."""
    window.new_customer()
    panel = window.customer_panel
    number = _next_id()
    _type(panel.id_number.editor, number)
    _type(panel.customer_name.editor, "张建国")
    panel._id_number_edited(number)
    panel.confirm()
    face = panel.face
    wait_until(face.isEnabled)
    _save(window, folder, f"10-face-consent-{suffix}", written)
    face.consent_yes.click()
    face.load_reference_file(str(FACES / "people" / "obama" / "obama1.jpg"))
    wait_until(face.start_button.isEnabled, timeout=60)
    face.start_button.click()
    wait_until(lambda: face.preview.pixmap() is not None and not face.preview.pixmap().isNull(), timeout=60)
    wait_until(lambda: bool(face.instruction.text()), timeout=60)
    _save(window, folder, f"11-face-check-{suffix}", written)
    wait_until(lambda: bool(face.result.text()), timeout=60)
    _save(window, folder, f"12-face-result-{suffix}", written)
    face.reset()


def render_language(settings: Settings, language: str, folder: Path) -> list[Path]:
    written: list[Path] = []
    suffix = "zh" if language == "zh-CN" else "en"
    translations = Translations()
    translations.apply(language)
    runtime = open_runtime(
        dataclasses.replace(
            settings,
            language=language,
            # The demo camera: the shared sample photos, read where they are (never copied).
            camera_source=str(FACES / "people" / "obama"),
            face_challenge_seconds=4.0,
        ),
        start_delivery=False,
    )
    window = TellerWindow(Desk(runtime), translations)
    try:
        window.resize(1366, 768)
        window.show()
        _save(window, folder, f"01-sign-in-{suffix}", written)

        window.sign_in_page.teller_id.setText("T1001")
        window.sign_in_page.password.setText("teller-demo-1")
        window.sign_in_page.sign_in_button.click()
        wait_until(lambda: window.page == "work")
        wait_until(lambda: window.service_label.text() != "")
        _save(window, folder, f"02-main-empty-{suffix}", written)

        _fill_customer(window)
        _fill_remittance(window, ("6222 0202 0011 2233 445", "王小明3"), "x", "12.345")
        window.form.submit()
        _save(window, folder, f"03-main-errors-{suffix}", written)

        for name, payee, purpose in (
            ("04-warn", CLEAN, "刷单返利"),
            ("05-hold", PEER_LISTED, "还款"),
            ("06-block", POLICE_LISTED, "转到安全账户"),
        ):
            dialog = _screen(window, payee, purpose)
            _save(dialog, folder, f"{name}-{suffix}", written)
            if name == "05-hold":
                assert isinstance(dialog, RiskWarningDialog)
                for check in dialog.question_checks.values():
                    check.setChecked(True)
                for answer in dialog.question_answers.values():
                    answer.setText("客户称是同事介绍的借款")
                dialog.note.setPlainText("客户坚持办理，已提示风险")
                dialog.supervisor_id.setText("S2001")
                dialog.supervisor_password.setText("wrong-password")
                dialog._seconds_left = 0
                dialog._update_proceed()
                assert dialog.proceed_button is not None
                dialog.proceed_button.click()
                wait_until(dialog.error.isVisible)
                _save(dialog, folder, f"07-supervisor-approval-{suffix}", written)
            _finish(window, dialog)

        window.new_customer()
        _fill_customer(window)
        unavailable = UnavailableDialog(ServiceFailure(FailureReason.TIMEOUT, "timed out"), window)
        unavailable.show()
        _save(unavailable, folder, f"08-screening-unavailable-{suffix}", written)
        unavailable.finish()

        if FACES.exists():
            _face_scenes(window, folder, suffix, written)

        window.lock()
        _save(window, folder, f"09-idle-lock-{suffix}", written)
    finally:
        tasks.wait_for_all()
        window.session = None
        window.close()
        window.deleteLater()
        runtime.close()
    return written


def render_kiosk(settings: Settings, language: str, folder: Path) -> list[Path]:
    """The lobby kiosk at 1920x1080: start, keypad, results, questionnaire, code, outage, staff exit."""
    written: list[Path] = []
    suffix = "zh" if language == "zh-CN" else "en"
    translations = Translations()
    translations.apply(language)
    runtime = open_runtime(dataclasses.replace(settings, language=language, kiosk=True), start_delivery=False)
    kiosk = KioskWindow(runtime, translations)
    try:
        kiosk.resize(1920, 1080)
        kiosk.show()
        _save(kiosk, folder, f"20-kiosk-home-{suffix}", written)
        kiosk.lookup_button.click()
        for digit in "6222000011112222337":
            kiosk.keys[digit].click()
        _save(kiosk, folder, f"21-kiosk-keypad-{suffix}", written)
        kiosk.check_button.click()
        wait_until(lambda: kiosk.page == "result")
        _save(kiosk, folder, f"22-kiosk-police-listed-{suffix}", written)
        kiosk.result_again.click()
        kiosk.account.setText("6212260200001234562")
        kiosk.check_button.click()
        wait_until(lambda: kiosk.page == "result")
        _save(kiosk, folder, f"23-kiosk-no-record-{suffix}", written)
        kiosk.reset()
        kiosk.questionnaire_button.click()
        answers = {
            "purpose": "investment",
            "who_asked": "online_contact",
            "relationship_to_payee": "never_met",
            "urgency": "today",
            "amount_band": "50k_to_200k",
        }
        for key, value in answers.items():
            kiosk.choices[key].setCurrentIndex(kiosk.choices[key].findData(value))
        for key, yes in (("on_phone_now", True), ("told_to_keep_secret", False), ("first_time_payee", True)):
            kiosk.yes_buttons[key][0 if yes else 1].click()
        _save(kiosk, folder, f"24-kiosk-questionnaire-{suffix}", written)
        kiosk.submit_questionnaire.click()
        wait_until(lambda: kiosk.page in ("code", "unavailable"))
        _save(kiosk, folder, f"25-kiosk-code-{suffix}", written)
        kiosk.reset()
        kiosk.show_page("unavailable")
        _save(kiosk, folder, f"26-kiosk-unavailable-{suffix}", written)
        kiosk.show_page("home")
        kiosk.open_staff_exit()
        _save(kiosk.staff_dialog, folder, f"27-kiosk-staff-exit-{suffix}", written)
        kiosk.staff_dialog.reject()
    finally:
        tasks.wait_for_all()
        kiosk._exit_allowed = True
        kiosk.close()
        kiosk.deleteLater()
        runtime.close()
    return written


def render_all(settings: Settings, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    previous = os.environ.get("COUNTERGUARD_DATA_DIR")
    create_application()
    written: list[Path] = []
    try:
        for language in ("zh-CN", "en"):
            # A fresh demo database each time, so the pictures never show earlier history.
            with tempfile.TemporaryDirectory() as scratch:
                os.environ["COUNTERGUARD_DATA_DIR"] = scratch
                written += render_language(settings, language, folder)
            with tempfile.TemporaryDirectory() as scratch:
                os.environ["COUNTERGUARD_DATA_DIR"] = scratch
                written += render_kiosk(settings, language, folder)
    finally:
        if previous is None:
            os.environ.pop("COUNTERGUARD_DATA_DIR", None)
        else:
            os.environ["COUNTERGUARD_DATA_DIR"] = previous
    return written
