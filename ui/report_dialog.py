"""Report a suspicious account to the central risk database (POST /v1/reports)."""

from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from teller_client.validation import PAYEE_ACCOUNT, FieldError, check_account
from ui.widgets import FieldRow

TYPOLOGIES = (
    "safe_account",
    "police_impersonation",
    "investment",
    "brushing",
    "loan_fee",
    "refund",
    "romance",
    "impersonating_relative",
    "mule_account",
)


class ReportDialog(QDialog):
    sig_report = Signal(dict)
    """A valid report to send: the body of POST /v1/reports."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language
        self.setObjectName("reportAccount")
        self.account = FieldRow(QLineEdit())
        self.account.editor.setObjectName("reportAccountNumber")
        self.account_name = FieldRow(QLineEdit())
        self.bank = FieldRow(QLineEdit())
        self.typology_box = QComboBox()
        self.typology_box.setObjectName("reportTypology")
        self.typology = FieldRow(self.typology_box)
        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("reportDescription")
        self.description_edit.setTabChangesFocus(True)
        self.description = FieldRow(self.description_edit)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        for row in (self.account, self.account_name, self.bank, self.typology, self.description):
            layout.addWidget(row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.retranslate()

    def _text(self, row: FieldRow) -> str:
        editor = row.editor
        assert isinstance(editor, QLineEdit)
        return editor.text().strip()

    def _submit(self) -> None:
        checked = check_account(self._text(self.account), PAYEE_ACCOUNT)
        self.account.set_error(checked.text(self.language) if isinstance(checked, FieldError) else None)
        description = self.description_edit.toPlainText().strip()
        self.description.set_error(
            None if len(description) >= 5 else self.tr("Describe what happened (at least 5 characters).")
        )
        if isinstance(checked, FieldError) or len(description) < 5:
            return
        body: dict[str, Any] = {
            "account_number": checked.value,
            "account_name": self._text(self.account_name),
            "bank": self._text(self.bank),
            "typology": str(self.typology_box.currentData()),
            "description": description,
        }
        self.sig_report.emit(body)

    def set_busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)

    def show_status(self, message: str) -> None:
        self.status.setText(message)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Report a suspicious account"))
        self.account.set_caption(self.tr("Account number"))
        self.account_name.set_caption(self.tr("Account name (if known)"))
        self.bank.set_caption(self.tr("Bank (if known)"))
        self.typology.set_caption(self.tr("Scam type"))
        self.description.set_caption(self.tr("What happened"))
        labels = {
            "safe_account": self.tr('"Safe account" scam'),
            "police_impersonation": self.tr("Police / procuratorate impersonation"),
            "investment": self.tr("Investment or crypto scam"),
            "brushing": self.tr('Part-time "brushing" job scam'),
            "loan_fee": self.tr('Loan fee or "unfreezing" fee scam'),
            "refund": self.tr("Refund / customer service impersonation"),
            "romance": self.tr("Romance scam"),
            "impersonating_relative": self.tr("Impersonating a relative or boss"),
            "mule_account": self.tr("Account linked to fraud (other)"),
        }
        current = self.typology_box.currentIndex()
        self.typology_box.clear()
        for key in TYPOLOGIES:
            self.typology_box.addItem(labels[key], key)
        self.typology_box.setCurrentIndex(max(0, current))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
