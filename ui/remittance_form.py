"""The remittance form, checked as the teller types; submitting hands a Remittance to the window."""

import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from teller_client.validation import (
    PAYEE_ACCOUNT,
    PAYEE_NAME,
    PAYER_ACCOUNT,
    FieldError,
    check_account,
    check_amount,
    check_bank_name,
    check_name,
    check_purpose,
)
from teller_client.workflow import Remittance
from ui.prescreen_text import PrescreenWording
from ui.widgets import FieldRow

CURRENCIES = ("CNY", "USD", "EUR", "HKD", "GBP", "JPY")
ARRIVAL_MODES = ("realtime", "delay_2h", "next_day")


class RemittanceForm(QGroupBox):
    sig_submitted = Signal(object)
    """The teller submitted a valid remittance (a Remittance)."""
    sig_prescreen_code_entered = Signal(str)
    """The teller asked to check a lobby pre-screen code; the window answers with show_prescreen*()."""

    def __init__(self, amount_limit: Decimal, language: str = "zh-CN", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language
        self.amount_limit = amount_limit
        self.payer = self._line("payerAccount")
        self.payee = self._line("payeeAccount")
        self.payee_name = self._line("payeeName")
        self.payee_bank = self._line("payeeBank")
        self.amount = self._line("amount")
        self.purpose = self._line("purpose")
        self.currency_box = QComboBox()
        self.currency_box.setObjectName("currency")
        self.currency_box.addItems(list(CURRENCIES))
        self.currency = FieldRow(self.currency_box)
        self.arrival_box = QComboBox()
        self.arrival_box.setObjectName("arrivalMode")
        self.arrival = FieldRow(self.arrival_box)
        self.submit_button = QPushButton()
        self.submit_button.setObjectName("submitRemittance")
        self.submit_button.setDefault(True)
        # Optional: the code of the customer's lobby pre-screen, resolved by the window.
        self.prescreen_code = self._line("prescreenCode")
        self._editor(self.prescreen_code).setMaxLength(20)
        self.prescreen_check_button = QPushButton()
        self.prescreen_check_button.setObjectName("checkPrescreen")
        self.prescreen_answers = QLabel()
        self.prescreen_answers.setObjectName("prescreenAnswers")
        self.prescreen_answers.setTextFormat(Qt.TextFormat.PlainText)
        self.prescreen_answers.setWordWrap(True)
        self.prescreen_answers.setStyleSheet("background: #fefce8; border: 1px solid #ca8a04; padding: 6px;")
        self.prescreen_answers.hide()
        self.prescreen: Mapping[str, object] | None = None
        self._prescreen_typed = ""
        self._wording = PrescreenWording(self)

        self._checks: dict[FieldRow, Callable[[str], Any]] = {
            self.payer: lambda text: check_account(text, PAYER_ACCOUNT, allow_iban=False),
            self.payee: lambda text: check_account(text, PAYEE_ACCOUNT),
            self.payee_name: lambda text: check_name(text, PAYEE_NAME),
            self.payee_bank: check_bank_name,
            self.amount: lambda text: check_amount(text, self.amount_limit),
            self.purpose: check_purpose,
        }
        grid = QGridLayout(self)
        order = [
            (self.payer, 0, 0), (self.payee, 0, 1),
            (self.payee_name, 1, 0), (self.payee_bank, 1, 1),
            (self.amount, 2, 0), (self.currency, 2, 1),
            (self.purpose, 3, 0), (self.arrival, 3, 1),
        ]  # fmt: skip
        for row, line, column in order:
            grid.addWidget(row, line, column)
        grid.addWidget(self.prescreen_code, 4, 0)
        grid.addWidget(
            self.prescreen_check_button, 4, 1, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft
        )
        grid.addWidget(self.prescreen_answers, 5, 0, 1, 2)
        grid.addWidget(self.submit_button, 6, 1)
        # Tab goes down the natural reading order of the paper slip.
        chain = [
            self.payer.editor, self.payee.editor, self.payee_name.editor, self.payee_bank.editor,
            self.amount.editor, self.currency_box, self.purpose.editor, self.arrival_box,
            self.prescreen_code.editor, self.prescreen_check_button, self.submit_button,
        ]  # fmt: skip
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        for row in self._checks:
            editor = self._editor(row)
            editor.editingFinished.connect(lambda row=row: self._check(row))
            editor.textEdited.connect(lambda _text, row=row: row.has_error and self._check(row))
            editor.returnPressed.connect(self.submit)
        self.submit_button.clicked.connect(self.submit)
        code_editor = self._editor(self.prescreen_code)
        code_editor.returnPressed.connect(self.check_prescreen)
        code_editor.textEdited.connect(self._prescreen_edited)
        self.prescreen_check_button.clicked.connect(self.check_prescreen)
        self.retranslate()

    def _line(self, name: str) -> FieldRow:
        editor = QLineEdit()
        editor.setObjectName(name)
        return FieldRow(editor)

    @staticmethod
    def _editor(row: FieldRow) -> QLineEdit:
        editor = row.editor
        assert isinstance(editor, QLineEdit)
        return editor

    def _check(self, row: FieldRow) -> Any:
        checked = self._checks[row](self._editor(row).text())
        row.set_error(checked.text(self.language) if isinstance(checked, FieldError) else None)
        return checked

    # ------------------------------------------------------------ lobby pre-screen

    def _typed_code(self) -> str:
        return "".join(self._editor(self.prescreen_code).text().split()).upper()

    def check_prescreen(self) -> None:
        code = self._typed_code()
        if not code:
            self._prescreen_edited("")
            return
        self.prescreen_code.set_error(None)
        self.prescreen_check_button.setEnabled(False)
        self.prescreen_answers.setText(self.tr("Checking the pre-screen code…"))
        self.prescreen_answers.show()
        self.sig_prescreen_code_entered.emit(code)

    def show_prescreen(self, prescreen: Mapping[str, object]) -> None:
        """The window resolved the code: show the answers; the code now goes with the screening."""
        self.prescreen = prescreen
        self._prescreen_typed = self._typed_code()
        self.prescreen_check_button.setEnabled(self.submit_button.isEnabled())
        self.prescreen_code.set_error(None)
        self._show_prescreen_answers()

    def show_prescreen_error(self, message: str) -> None:
        self.prescreen = None
        self._prescreen_typed = ""
        self.prescreen_check_button.setEnabled(self.submit_button.isEnabled())
        self.prescreen_answers.hide()
        self.prescreen_code.set_error(message)

    def _prescreen_edited(self, _text: str) -> None:
        if self.prescreen is not None and self._typed_code() == self._prescreen_typed:
            return
        self.prescreen = None
        self._prescreen_typed = ""
        self.prescreen_answers.hide()
        self.prescreen_code.set_error(None)

    def _show_prescreen_answers(self) -> None:
        if self.prescreen is None:
            return
        self.prescreen_answers.setText(
            self._wording.title(self.prescreen) + "\n" + self._wording.text(self.prescreen)
        )
        self.prescreen_answers.show()

    def _prescreen_code_for_screening(self) -> tuple[bool, str | None]:
        """(ok, code): a typed code must have been checked first, so a wrong one never reaches screening."""
        if not self._typed_code():
            return True, None
        if self.prescreen is None or self._typed_code() != self._prescreen_typed:
            self.prescreen_code.set_error(self.tr("Check the pre-screen code first, or clear it."))
            return False, None
        return True, str(self.prescreen.get("code") or self._prescreen_typed)

    # ------------------------------------------------------------ the remittance

    def remittance(self) -> Remittance | None:
        """All fields checked; None (with the errors shown, the first one focused) if any is wrong."""
        results = {row: self._check(row) for row in self._checks}
        for row, checked in results.items():
            if isinstance(checked, FieldError):
                self._editor(row).setFocus()
                return None
        code_ok, prescreen_code = self._prescreen_code_for_screening()
        if not code_ok:
            self._editor(self.prescreen_code).setFocus()
            return None
        return Remittance(
            payer_account=results[self.payer].value,
            payee_account=results[self.payee].value,
            payee_name=results[self.payee_name].value,
            payee_bank=results[self.payee_bank].value,
            amount=results[self.amount].value,
            currency=self.currency_box.currentText(),
            purpose=results[self.purpose].value,
            arrival_mode=str(self.arrival_box.currentData()),
            prescreen_code=prescreen_code,
        )

    def submit(self) -> None:
        if not self.submit_button.isEnabled():
            return
        remittance = self.remittance()
        if remittance is not None:
            self.sig_submitted.emit(remittance)

    def set_open(self, open_for_input: bool) -> None:
        for row in (*self._checks, self.currency, self.arrival, self.prescreen_code):
            row.editor.setEnabled(open_for_input)
        self.submit_button.setEnabled(open_for_input)
        self.prescreen_check_button.setEnabled(open_for_input)

    def clear(self) -> None:
        for row in self._checks:
            self._editor(row).clear()
            row.set_error(None)
        self.currency_box.setCurrentIndex(0)
        self.arrival_box.setCurrentIndex(0)
        self._editor(self.prescreen_code).clear()
        self._prescreen_edited("")

    def retranslate(self) -> None:
        self.setTitle(self.tr("Remittance"))
        captions = {
            self.payer: self.tr("Pa&yer account"),
            self.payee: self.tr("Pay&ee account"),
            self.payee_name: self.tr("Payee na&me"),
            self.payee_bank: self.tr("Payee &bank"),
            self.amount: self.tr("&Amount"),
            self.currency: self.tr("C&urrency"),
            self.purpose: self.tr("Pur&pose"),
            self.arrival: self.tr("Arri&val"),
            self.prescreen_code: self.tr("Pre-screen code (optional)"),
        }
        for row, caption in captions.items():
            row.set_caption(caption)
        current = self.arrival_box.currentIndex()
        self.arrival_box.clear()
        self.arrival_box.addItem(self.tr("Real time"), "realtime")
        self.arrival_box.addItem(self.tr("2-hour delay"), "delay_2h")
        self.arrival_box.addItem(self.tr("Next day"), "next_day")
        self.arrival_box.setCurrentIndex(max(0, current))
        self.submit_button.setText(self.tr("&Screen remittance (Enter)"))
        self.submit_button.setAccessibleName(self.tr("Screen remittance"))
        self._editor(self.prescreen_code).setPlaceholderText(self.tr("e.g. ABC-234, from the lobby"))
        self.prescreen_check_button.setText(self.tr("C&heck code"))
        self.prescreen_check_button.setAccessibleName(self.tr("Check pre-screen code"))
        self._show_prescreen_answers()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
