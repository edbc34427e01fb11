"""The remittance form, checked as the teller types; submitting hands a Remittance to the window."""

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
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
from ui.widgets import FieldRow

CURRENCIES = ("CNY", "USD", "EUR", "HKD", "GBP", "JPY")
ARRIVAL_MODES = ("realtime", "delay_2h", "next_day")


class RemittanceForm(QGroupBox):
    sig_submitted = Signal(object)
    """The teller submitted a valid remittance (a Remittance)."""

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
        grid.addWidget(self.submit_button, 4, 1)
        # Tab goes down the natural reading order of the paper slip.
        chain = [
            self.payer.editor, self.payee.editor, self.payee_name.editor, self.payee_bank.editor,
            self.amount.editor, self.currency_box, self.purpose.editor, self.arrival_box, self.submit_button,
        ]  # fmt: skip
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        for row in self._checks:
            editor = self._editor(row)
            editor.editingFinished.connect(lambda row=row: self._check(row))
            editor.textEdited.connect(lambda _text, row=row: row.has_error and self._check(row))
            editor.returnPressed.connect(self.submit)
        self.submit_button.clicked.connect(self.submit)
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

    def remittance(self) -> Remittance | None:
        """All fields checked; None (with the errors shown, the first one focused) if any is wrong."""
        results = {row: self._check(row) for row in self._checks}
        for row, checked in results.items():
            if isinstance(checked, FieldError):
                self._editor(row).setFocus()
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
        )

    def submit(self) -> None:
        if not self.submit_button.isEnabled():
            return
        remittance = self.remittance()
        if remittance is not None:
            self.sig_submitted.emit(remittance)

    def set_open(self, open_for_input: bool) -> None:
        for row in (*self._checks, self.currency, self.arrival):
            row.editor.setEnabled(open_for_input)
        self.submit_button.setEnabled(open_for_input)

    def clear(self) -> None:
        for row in self._checks:
            self._editor(row).clear()
            row.set_error(None)
        self.currency_box.setCurrentIndex(0)
        self.arrival_box.setCurrentIndex(0)

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

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
