"""Fail-closed: screening could not be completed, and the teller must choose what happens next.

Retry, the supervisor-approved offline procedure (queued for screening, delayed arrival), or
cancel. Like the risk warning it cannot be dismissed, and nothing on it looks like an approval.
"""

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from teller_client.service_client import FailureReason, ServiceFailure
from ui.widgets import BlockingDialog, decision_banner_style


class UnavailableDialog(BlockingDialog):
    sig_retry = Signal()
    """Try the same screening again (same idempotency key)."""
    sig_offline = Signal(str, str, str)
    """Offline procedure approved: (supervisor ID, note, arrival mode)."""
    sig_cancel = Signal(str)
    """Cancel the remittance, with the reason."""

    def __init__(self, failure: ServiceFailure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.failure = failure
        self.setObjectName("screeningUnavailable")
        self.banner = QLabel()
        self.banner.setObjectName("unavailableBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(decision_banner_style("unavailable"))
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.retry_button = QPushButton()
        self.retry_button.setObjectName("retry")
        self.retry_button.setDefault(True)

        self.offline_box = QGroupBox()
        self.offline_box.setObjectName("offlineProcedure")
        self.supervisor_id = QLineEdit()
        self.supervisor_id.setObjectName("offlineSupervisorId")
        self.offline_note = QLineEdit()
        self.offline_note.setObjectName("offlineNote")
        self.arrival = QComboBox()
        self.arrival.setObjectName("offlineArrival")
        self.offline_button = QPushButton()
        self.offline_button.setObjectName("offlineProceed")
        self.offline_form = QFormLayout(self.offline_box)
        self.supervisor_label = QLabel()
        self.note_label = QLabel()
        self.arrival_label = QLabel()
        self.offline_form.addRow(self.supervisor_label, self.supervisor_id)
        self.offline_form.addRow(self.note_label, self.offline_note)
        self.offline_form.addRow(self.arrival_label, self.arrival)
        self.offline_form.addRow(self.offline_button)

        self.cancel_reason = QLineEdit()
        self.cancel_reason.setObjectName("cancelReason")
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelUnscreened")
        cancel_row = QHBoxLayout()
        cancel_row.addWidget(self.cancel_reason, 1)
        cancel_row.addWidget(self.cancel_button)

        self.error = QLabel()
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.explanation)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.offline_box)
        layout.addLayout(cancel_row)
        layout.addWidget(self.error)
        self.resize(640, 460)

        self.retry_button.clicked.connect(self.sig_retry.emit)
        self.offline_button.clicked.connect(self._offline)
        self.cancel_button.clicked.connect(self._cancel)
        self.retranslate()

    def _offline(self) -> None:
        if not self.supervisor_id.text().strip() or len(self.offline_note.text().strip()) < 4:
            self.error.setText(self.tr("The offline procedure needs the supervisor's ID and a note."))
            return
        self.sig_offline.emit(
            self.supervisor_id.text().strip(),
            self.offline_note.text().strip(),
            str(self.arrival.currentData()),
        )

    def _cancel(self) -> None:
        reason = self.cancel_reason.text().strip() or self.tr("screening unavailable")
        self.sig_cancel.emit(reason)

    def set_busy(self, busy: bool) -> None:
        for button in (self.retry_button, self.offline_button, self.cancel_button):
            button.setEnabled(not busy)

    def show_failure(self, failure: ServiceFailure) -> None:
        self.failure = failure
        self.retranslate()

    def show_error(self, message: str) -> None:
        self.error.setText(message)

    def plain_reason(self) -> str:
        reasons = {
            FailureReason.REFUSED: self.tr("the screening service cannot be reached"),
            FailureReason.TIMEOUT: self.tr("the screening service did not answer in time"),
            FailureReason.TLS: self.tr("the secure connection to the screening service failed"),
            FailureReason.SERVER_ERROR: self.tr("the screening service reported an internal error"),
            FailureReason.BUSY: self.tr("the screening service is overloaded"),
            FailureReason.BAD_RESPONSE: self.tr(
                "the screening service sent an answer that could not be read"
            ),
            FailureReason.UNAUTHORIZED: self.tr("this terminal or your session was not accepted"),
            FailureReason.REJECTED: self.tr("the screening service refused the request"),
        }
        return reasons.get(self.failure.reason, self.failure.reason.value)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Screening unavailable"))
        self.banner.setText(self.tr("SCREENING UNAVAILABLE — this remittance has NOT been screened"))
        self.explanation.setText(
            self.tr(
                "The fraud screening could not be completed because {reason}. Do not process the "
                "remittance as normal. Try again, use the offline procedure with a supervisor's "
                "approval, or cancel."
            ).format(reason=self.plain_reason())
        )
        self.retry_button.setText(self.tr("&Retry screening"))
        self.offline_box.setTitle(
            self.tr("Offline procedure (supervisor approval; screened as soon as the service is back)")
        )
        self.supervisor_label.setText(self.tr("Supervisor ID"))
        self.note_label.setText(self.tr("Note"))
        self.arrival_label.setText(self.tr("Arrival"))
        self.supervisor_id.setAccessibleName(self.tr("Supervisor ID"))
        self.offline_note.setAccessibleName(self.tr("Note"))
        current = self.arrival.currentIndex()
        self.arrival.clear()
        self.arrival.addItem(self.tr("Next day"), "next_day")
        self.arrival.addItem(self.tr("2-hour delay"), "delay_2h")
        self.arrival.setCurrentIndex(max(0, current))
        self.arrival.setAccessibleName(self.tr("Arrival"))
        self.offline_button.setText(self.tr("Use the &offline procedure"))
        self.cancel_reason.setPlaceholderText(self.tr("Reason for cancelling (optional)"))
        self.cancel_reason.setAccessibleName(self.tr("Reason for cancelling"))
        self.cancel_button.setText(self.tr("&Cancel remittance"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
