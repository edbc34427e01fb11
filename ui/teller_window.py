"""The teller's main window: sign-in, the counter workflow, the dialogs, idle lock and status bar.

Every service call and audit write runs through ui.tasks.run_in_background, so the window
never freezes; results come back here on the GUI thread.
"""

import logging
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFrame,
    QGroupBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from teller_client.audit import AuditUnavailableError
from teller_client.contract import ScreeningResult, SessionGrant
from teller_client.desk import AckOutcome, Desk
from teller_client.face.id_reader import FolderDropReader, IdCardRead
from teller_client.masking import mask_account
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.validation import format_amount
from teller_client.workflow import (
    CounterSession,
    Customer,
    FaceException,
    FaceSummary,
    Remittance,
    State,
    WorkflowError,
)
from ui.customer_panel import CustomerPanel
from ui.i18n import Translations
from ui.pages import BRAND, LockPage, SignInPage
from ui.remittance_form import RemittanceForm
from ui.report_dialog import ReportDialog
from ui.risk_dialog import RiskWarningDialog
from ui.tasks import BusyIndicator, run_in_background
from ui.unavailable_dialog import UnavailableDialog
from ui.widgets import BlockingDialog, TlsWarningBanner, add_tls_warning, decision_banner_style

log = logging.getLogger("counterguard.ui")

STATUS_REFRESH_MS = 15_000
_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class TellerWindow(QMainWindow):
    sig_dialog_opened = Signal(object)
    """A blocking dialog (risk warning, screening unavailable) is now showing."""
    sig_transaction_recorded = Signal(str)
    """A remittance reached its end (the outcome shown in the transactions table)."""
    sig_page_changed = Signal(str)
    """sign_in, work or lock."""

    def __init__(self, desk: Desk, translations: Translations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.settings = desk.runtime.settings
        self.translations = translations
        self.session: CounterSession | None = None
        self.current_dialog: QDialog | None = None
        self._hidden_for_lock: list[QDialog] = []
        self.setObjectName("tellerWindow")
        self.setMinimumSize(1024, 640)

        self.sign_in_page = SignInPage(desk.runtime.demo_accounts if desk.runtime.demo else ())
        self.lock_page = LockPage()
        self.customer_panel = CustomerPanel(self.settings, translations.language)
        self.form = RemittanceForm(self.settings.amount_limit, translations.language)
        self.screening_state = QLabel()
        self.screening_state.setObjectName("screeningState")
        self.screening_state.setWordWrap(True)
        self.transactions_box = QGroupBox()
        self.transactions = QTableWidget(0, 5)
        self.transactions.setObjectName("transactions")
        self.transactions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.transactions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.transactions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.transactions.verticalHeader().hide()
        QVBoxLayout(self.transactions_box).addWidget(self.transactions)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.form)
        right_layout.addWidget(self.screening_state)
        right_layout.addWidget(self.transactions_box, 1)
        face_column = QScrollArea()
        face_column.setObjectName("faceColumn")
        face_column.setWidgetResizable(True)
        face_column.setFrameShape(QFrame.Shape.NoFrame)
        face_column.setWidget(self.customer_panel.face)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.customer_panel)
        splitter.addWidget(face_column)
        splitter.addWidget(right)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([300, 370, 690])
        self.work_page = splitter

        self.stack = QStackedWidget()
        for page in (self.sign_in_page, self.work_page, self.lock_page):
            self.stack.addWidget(page)
        self.tls_warning: TlsWarningBanner | None = None
        if self.settings.developer_insecure_tls:
            # Above the stack: the sign-in, work and lock pages all show it.
            central = QWidget()
            column = QVBoxLayout(central)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(self.stack)
            self.tls_warning = add_tls_warning(central)
            self.setCentralWidget(central)
        else:
            self.setCentralWidget(self.stack)

        self.demo_label = QLabel()
        self.demo_label.setObjectName("demoMarker")
        self.demo_label.setStyleSheet(
            "background: #b91c1c; color: white; font-weight: bold; padding: 2px 8px;"
        )
        self.demo_label.setVisible(desk.runtime.demo)
        self.teller_label = QLabel()
        self.service_label = QLabel()
        self.service_label.setObjectName("serviceStatus")
        self.backlog_label = QLabel()
        self.backlog_label.setObjectName("auditBacklog")
        status = self.statusBar()
        status.addWidget(self.demo_label)
        status.addWidget(self.teller_label)
        self.late_risk_label = QLabel()
        self.late_risk_label.setObjectName("lateRisk")
        self.late_risk_label.setStyleSheet(
            "background: #b91c1c; color: white; font-weight: bold; padding: 2px 8px;"
        )
        self.late_risk_label.hide()
        status.addWidget(self.late_risk_label)
        status.addPermanentWidget(self.service_label)
        status.addPermanentWidget(self.backlog_label)
        self._service_ok: bool | None = None
        self._backlog = 0

        self._build_actions()
        self.sign_in_page.sig_sign_in_requested.connect(self._sign_in)
        self.lock_page.sig_unlock_requested.connect(self._unlock)
        self.customer_panel.sig_identity_confirmed.connect(self._identity_confirmed)
        self.customer_panel.sig_alternative_check.connect(self._alternative_check)
        face = self.customer_panel.face
        face.sig_consent.connect(self._face_consent)
        face.sig_result.connect(self._face_result)
        face.sig_card_read.connect(self._card_read)
        self._card: IdCardRead | None = None
        self._card_reader: FolderDropReader | None = None
        self._submitting = False
        self._audit_error: AuditUnavailableError | None = None
        self.form.sig_submitted.connect(self._submit)
        self.form.sig_prescreen_code_entered.connect(self._check_prescreen)

        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(self.settings.idle_lock_minutes * 60_000)
        self.idle_timer.timeout.connect(self.lock)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_REFRESH_MS)
        self.status_timer.timeout.connect(self.refresh_status)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.retranslate()
        self._show_page("sign_in")
        self.refresh_status()
        self.status_timer.start()

    # ------------------------------------------------------------ actions and shortcuts

    def _build_actions(self) -> None:
        def action(name: str, shortcut: str | QKeySequence.StandardKey, slot: Any) -> QAction:
            created = QAction(self)
            created.setObjectName(name)
            created.setShortcut(QKeySequence(shortcut))
            created.triggered.connect(slot)
            self.addAction(created)
            return created

        self.new_customer_action = action("newCustomer", "Ctrl+N", self.new_customer)
        self.report_action = action("reportAccount", "Ctrl+R", self.open_report)
        self.lock_action = action("lockScreen", "Ctrl+L", self.lock)
        self.language_action = action("switchLanguage", "Ctrl+Shift+L", self.switch_language)
        self.sign_out_action = action("signOut", "Ctrl+Shift+Q", self.sign_out)
        self.menu = self.menuBar().addMenu("")
        for each in (self.new_customer_action, self.report_action, self.lock_action, self.language_action):
            self.menu.addAction(each)
        self.menu.addSeparator()
        self.menu.addAction(self.sign_out_action)

    def _signed_in_actions(self, enabled: bool) -> None:
        for each in (self.new_customer_action, self.report_action, self.lock_action, self.sign_out_action):
            each.setEnabled(enabled)

    # ------------------------------------------------------------ pages

    def _show_page(self, page: str) -> None:
        self.stack.setCurrentWidget(
            {"sign_in": self.sign_in_page, "work": self.work_page, "lock": self.lock_page}[page]
        )
        self._page = page
        self._signed_in_actions(page == "work")
        self.menuBar().setEnabled(page != "lock")
        if page == "sign_in":
            self.sign_in_page.reset()
        self.sig_page_changed.emit(page)

    @property
    def page(self) -> str:
        return self._page

    def _sign_in(self, teller_id: str, password: str) -> None:
        self.sign_in_page.set_busy(True)
        run_in_background(
            lambda: self.desk.sign_in(teller_id, password), self._signed_in, self._background_error
        )

    def _signed_in(self, outcome: SessionGrant | ServiceFailure) -> None:
        self.sign_in_page.set_busy(False)
        if isinstance(outcome, ServiceFailure):
            self.sign_in_page.show_error(self._failure_text(outcome))
            return
        self.teller_label.setText(f"{outcome.teller.display_name} ({outcome.teller.teller_id})")
        self.transactions.setRowCount(0)
        self._show_page("work")
        self.new_customer()
        self._start_card_reader()
        self.idle_timer.start()
        self.refresh_status()

    def sign_out(self) -> None:
        if self.remittance_open:
            self.screening_state.setText(self.tr("Finish the current remittance before signing out."))
            return
        run_in_background(self.desk.sign_out, lambda _none: None, self._background_error)
        self.session = None
        self.customer_panel.clear()
        self.form.clear()
        self.teller_label.clear()
        self.idle_timer.stop()
        self._stop_card_reader()
        self._show_page("sign_in")

    # ------------------------------------------------------------ idle lock

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _INPUT_EVENTS and self._page == "work":
            self.idle_timer.start()  # restarts the countdown
        return super().eventFilter(watched, event)

    def lock(self) -> None:
        """Hide every customer detail until the teller's password is given again."""
        if self._page != "work":
            return
        self.customer_panel.face.stop_capture()  # no camera running behind a locked screen
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.hide()
                self._hidden_for_lock.append(dialog)
        self.lock_page.show_for(self.teller_label.text())
        self._show_page("lock")
        run_in_background(
            lambda: self.desk.runtime.audit.append("screen_locked", {"teller": self.teller_label.text()}),
            lambda _record: None,
            self._background_error,
            pool_name="disk",
        )

    def _unlock(self, password: str) -> None:
        self.lock_page.unlock_button.setEnabled(False)
        run_in_background(lambda: self.desk.unlock(password), self._unlocked, self._background_error)

    def _unlocked(self, outcome: SessionGrant | ServiceFailure) -> None:
        self.lock_page.unlock_button.setEnabled(True)
        if isinstance(outcome, ServiceFailure):
            self.lock_page.show_error(self._failure_text(outcome))
            return
        self._show_page("work")
        waiting, self._hidden_for_lock = self._hidden_for_lock, []
        for dialog in waiting:
            if shiboken6.isValid(dialog) and dialog.result() == 0 and not dialog.isVisible():
                dialog.open()
                self.sig_dialog_opened.emit(dialog)
        self.idle_timer.start()

    # ------------------------------------------------------------ one customer

    @property
    def remittance_open(self) -> bool:
        """A remittance is being screened or waits for the teller's decision: nothing may leave it."""
        session = self.session
        return self._submitting or (
            session is not None and session.state in (State.SCREENING, State.UNAVAILABLE, State.ACKNOWLEDGE)
        )

    def new_customer(self) -> None:
        if self.remittance_open:
            self.screening_state.setText(self.tr("Finish the current remittance first."))
            return
        previous = self.session
        self.session = self.desk.new_customer()
        if previous is not None and not previous.finished and previous.state.value in (
            "identify", "verify_face", "enter_remittance"
        ):  # fmt: skip
            started = previous
            run_in_background(
                lambda: started.cancel("teller started a new customer"),
                lambda _none: None,
                self._background_error,
                pool_name="session",
            )
        self._card = None
        self.customer_panel.clear()
        self.form.clear()
        self.form.set_open(False)
        self._set_state_text("ready")

    def _identity_confirmed(self, customer: Customer) -> None:
        session = self.session
        assert session is not None

        def identified(_none: None) -> None:
            self.customer_panel.set_stage("verify")
            card, self._card = self._card, None
            if card is not None and card.id_number.upper() == customer.id_number.upper():
                self.customer_panel.face.set_reference(card.photo, "card_reader")

        run_in_background(
            lambda: session.identify(customer),
            identified,
            self._step_failed,
            pool_name="session",
        )

    def _card_read(self, card: IdCardRead) -> None:
        """A card on the reader: its fields fill the form; its photo is used only for that customer."""
        session = self.session
        if session is None:
            return
        if session.customer is None:
            self._card = card
            self.customer_panel.fill_from_card(card.name, card.id_number)
        elif card.id_number.upper() == session.customer.id_number.upper():
            self.customer_panel.face.set_reference(card.photo, "card_reader")
        else:
            self.customer_panel.face.refuse_card()

    def _start_card_reader(self) -> None:
        folder = self.settings.id_reader_folder
        if not folder or self._card_reader is not None:
            return
        on_card, on_error = self.customer_panel.face.card_reader_callbacks()
        self._card_reader = FolderDropReader(Path(folder), on_card, on_error)
        self._card_reader.start()

    def _stop_card_reader(self) -> None:
        if self._card_reader is not None:
            self._card_reader.stop()
            self._card_reader = None

    def _face_consent(self, given: bool) -> None:
        session = self.session
        assert session is not None
        run_in_background(
            lambda: session.face_consent(given), lambda _none: None, self._step_failed, pool_name="session"
        )

    def _face_result(self, summary: FaceSummary) -> None:
        session = self.session
        assert session is not None
        face = self.customer_panel.face
        if summary.outcome == "match" and summary.liveness == "passed":

            def verified(_none: None) -> None:
                self.customer_panel.set_stage("done")
                self.form.set_open(True)
                self._set_state_text("keying")
                self.form.payer.editor.setFocus()

            run_in_background(
                lambda: session.face_verified(summary), verified, self._step_failed, pool_name="session"
            )
            return

        def recorded(_none: None) -> None:
            if session.face_attempts_left <= 0:
                face.start_button.setEnabled(False)
                self.screening_state.setText(
                    self.tr("No more face attempts: verify the identity by the alternative procedure.")
                )

        run_in_background(
            lambda: session.face_attempt_failed(summary), recorded, self._step_failed, pool_name="session"
        )

    def _alternative_check(self, reason: str, description: str) -> None:
        session = self.session
        assert session is not None

        def done(_none: None) -> None:
            self.customer_panel.set_stage("done")
            self.form.set_open(True)
            self._set_state_text("keying")
            self.form.payer.editor.setFocus()

        run_in_background(
            lambda: session.face_exception(FaceException(reason), description),
            done,
            self._step_failed,
            pool_name="session",
        )

    def _check_prescreen(self, code: str) -> None:
        """Resolve the customer's lobby pre-screen code off the GUI thread; the form shows the answers."""

        def done(outcome: dict[str, Any] | ServiceFailure) -> None:
            if not isinstance(outcome, ServiceFailure):
                self.form.show_prescreen(outcome)
            elif outcome.status == 404:
                self.form.show_prescreen_error(
                    self.tr(
                        "No pre-screen has this code, or it has expired. Check the code with the customer."
                    )
                )
            else:
                self.form.show_prescreen_error(self._failure_text(outcome))

        def failed(error: BaseException) -> None:
            self.form.show_prescreen_error(
                self.tr("That step could not be completed: {error}").format(error=error)
            )

        run_in_background(lambda: self.desk.prescreen(code), done, failed)

    def _submit(self, remittance: Remittance) -> None:
        session = self.session
        assert session is not None
        self.form.set_open(False)
        self._set_state_text("submitted")
        busy = BusyIndicator(self._show_busy, self._hide_busy)

        def operation() -> ScreeningResult | ServiceFailure:
            session.submit(remittance)
            return self.desk.screen(session)

        def failed(error: BaseException) -> None:
            self._submitting = False
            self.form.set_open(True)
            self._step_failed(error)

        self._submitting = True
        run_in_background(
            operation, lambda outcome: self._screened(outcome, session), failed, busy, pool_name="session"
        )

    def _show_busy(self) -> None:
        self._set_state_text("screening")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def _hide_busy(self) -> None:
        QApplication.restoreOverrideCursor()

    def _screened(self, outcome: ScreeningResult | ServiceFailure, session: CounterSession) -> None:
        self._submitting = False
        if isinstance(outcome, ServiceFailure):
            self._set_state_text("unavailable")
            self._open_unavailable(outcome, session)
            return
        self._set_state_text(outcome.decision)
        # An allow completes at once, unless the payee name needs the teller's eyes (Confirmation
        # of Payee: a close match shows the name on record; an unavailable check says so).
        if outcome.decision == "allow" and outcome.payee_name_check.outcome == "match":
            self._acknowledge({"action": "proceed"}, None, session)
            return
        self._open_risk_dialog(outcome, session)

    def _open_risk_dialog(self, outcome: ScreeningResult, session: CounterSession, error: str = "") -> None:
        reading = 0 if outcome.decision == "allow" else self.settings.minimum_reading_seconds
        dialog = RiskWarningDialog(outcome, self.translations.language, reading, self)
        dialog.sig_action_chosen.connect(lambda choice: self._acknowledge(choice, dialog, session))
        if error:
            dialog.show_error(error)
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: QDialog) -> None:
        if self.settings.developer_insecure_tls:
            add_tls_warning(dialog)
        self.current_dialog = dialog
        dialog.finished.connect(lambda _code: self._dialog_closed(dialog))
        if self._page == "lock":
            # Never over the lock screen: it waits, hidden, for the teller's password.
            self._hidden_for_lock.append(dialog)
            return
        dialog.open()
        self.sig_dialog_opened.emit(dialog)

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.current_dialog is dialog:
            self.current_dialog = None
        if dialog in self._hidden_for_lock:
            self._hidden_for_lock.remove(dialog)
        dialog.deleteLater()

    def _acknowledge(
        self, choice: dict[str, Any], dialog: RiskWarningDialog | None, session: CounterSession
    ) -> None:
        if dialog is not None:
            dialog.set_busy(True)

        def operation() -> AckOutcome | ServiceFailure:
            return self.desk.acknowledge(
                session,
                choice["action"],
                choice.get("answers"),
                choice.get("note", ""),
                choice.get("delay"),
                choice.get("supervisor_id", ""),
                choice.get("supervisor_password", ""),
            )

        def done(outcome: AckOutcome | ServiceFailure) -> None:
            if dialog is not None:
                dialog.set_busy(False)
            if isinstance(outcome, ServiceFailure):
                message = self._failure_text(outcome)
                if outcome.reason is FailureReason.UNAUTHORIZED and choice.get("supervisor_password"):
                    message = self.tr(
                        "Supervisor approval not given: the supervisor ID or password is wrong, "
                        "or that person is not a supervisor of this branch."
                    )
                if dialog is not None:
                    dialog.show_error(message)
                elif session.result is not None:
                    # The automatic completion of an allow failed: the teller retries or cancels.
                    self._open_risk_dialog(session.result, session, message)
                if outcome.status == 401 and not choice.get("supervisor_password"):
                    self.lock()  # the teller's session expired: their password renews it
                return
            if outcome.action == "refer_police":
                if dialog is not None:
                    dialog.show_police_procedure()
                return
            if dialog is not None:
                dialog.finish()
            self._finished_remittance(outcome.action, session)

        def failed(error: BaseException) -> None:
            if dialog is not None:
                dialog.set_busy(False)
            if isinstance(error, WorkflowError) and dialog is not None:
                dialog.show_error(str(error))
                return
            self._step_failed(error)

        run_in_background(operation, done, failed, pool_name="session")

    def _finished_remittance(self, action: str, session: CounterSession) -> None:
        outcomes = {
            "proceed": self.tr("Completed"),
            "delay_arrival": self.tr("Completed with delayed arrival"),
            "cancel": self.tr("Cancelled"),
            "offline": self.tr("Offline procedure — queued for screening"),
        }
        decision = session.result.decision if session.result else self.tr("not screened")
        remittance = session.remittance
        row = self.transactions.rowCount()
        self.transactions.insertRow(row)
        cells = [
            datetime.now().strftime("%H:%M:%S"),
            mask_account(remittance.payee_account) if remittance else "",
            f"{format_amount(remittance.amount)} {remittance.currency}" if remittance else "",
            decision,
            outcomes.get(action, action),
        ]
        for column, text in enumerate(cells):
            self.transactions.setItem(row, column, QTableWidgetItem(text))
        self._set_state_text("finished", outcomes.get(action, action))
        self.sig_transaction_recorded.emit(action)
        self.refresh_status()
        self.new_customer()

    # ------------------------------------------------------------ fail closed

    def _open_unavailable(self, failure: ServiceFailure, session: CounterSession) -> None:
        dialog = UnavailableDialog(failure, self)

        def retried(outcome: ScreeningResult | ServiceFailure) -> None:
            dialog.set_busy(False)
            if isinstance(outcome, ServiceFailure):
                dialog.show_failure(outcome)
                return
            dialog.finish()
            self._screened(outcome, session)

        def retry() -> None:
            dialog.set_busy(True)
            run_in_background(
                lambda: self.desk.retry(session), retried, self._step_failed, pool_name="session"
            )

        def offline(supervisor_id: str, note: str, arrival: str) -> None:
            dialog.set_busy(True)

            def done(_none: None) -> None:
                dialog.finish()
                self._finished_remittance("offline", session)

            def failed(error: BaseException) -> None:
                dialog.set_busy(False)
                if isinstance(error, AuditUnavailableError):
                    self._audit_unavailable(error)
                    return
                dialog.show_error(str(error))

            run_in_background(
                lambda: self.desk.offline_procedure(session, supervisor_id, note, arrival),
                done,
                failed,
                pool_name="session",
            )

        def cancel(reason: str) -> None:
            dialog.set_busy(True)

            def done(_none: None) -> None:
                dialog.finish()
                self._finished_remittance("cancel", session)

            run_in_background(lambda: session.cancel(reason), done, self._step_failed, pool_name="session")

        dialog.sig_retry.connect(retry)
        dialog.sig_offline.connect(offline)
        dialog.sig_cancel.connect(cancel)
        self._open_dialog(dialog)

    # ------------------------------------------------------------ report, status, language

    def open_report(self) -> None:
        dialog = ReportDialog(self.translations.language, self)
        if self.settings.developer_insecure_tls:
            add_tls_warning(dialog)

        def send(body: dict[str, Any]) -> None:
            dialog.set_busy(True)

            def done(outcome: dict[str, Any] | ServiceFailure) -> None:
                dialog.set_busy(False)
                if isinstance(outcome, ServiceFailure):
                    dialog.show_status(self._failure_text(outcome))
                    return
                self.screening_state.setText(
                    self.tr("Account {account} reported (reference {report}).").format(
                        account=outcome.get("account", ""), report=outcome.get("report_id", "")
                    )
                )
                dialog.accept()

            run_in_background(lambda: self.desk.report(body), done, self._background_error)

        dialog.sig_report.connect(send)
        dialog.finished.connect(lambda _code: dialog.deleteLater())
        dialog.open()
        self.sig_dialog_opened.emit(dialog)

    def refresh_status(self) -> None:
        def done(status: tuple[bool, int]) -> None:
            self._service_ok, self._backlog = status
            self._update_status_labels()

        run_in_background(self.desk.status, done, lambda _error: None, pool_name="status")

    def _update_status_labels(self) -> None:
        if self._service_ok is None:
            self.service_label.setText(self.tr("Service: checking…"))
        elif self._service_ok:
            self.service_label.setText(self.tr("Service: connected"))
        else:
            self.service_label.setText(self.tr("Service: NOT reachable"))
        self.service_label.setStyleSheet("" if self._service_ok is not False else "color: #b91c1c;")
        self.backlog_label.setText(self.tr("Audit records waiting: {count}").format(count=self._backlog))
        late = list(self.desk.runtime.late_risks)
        if late:
            self.late_risk_label.setText(
                self.tr(
                    "{count} offline remittance(s) found risky after sending ({decisions}): "
                    "stop them before arrival and tell a supervisor"
                ).format(count=len(late), decisions=", ".join(sorted({risk.decision for risk in late})))
            )
        self.late_risk_label.setVisible(bool(late))

    def switch_language(self) -> None:
        language = "en" if self.translations.language == "zh-CN" else "zh-CN"
        self.translations.apply(language)
        for view in (self.customer_panel, self.form):
            view.language = language
        for dialog in self.findChildren(QDialog):
            if hasattr(dialog, "language"):
                dialog.language = language

    # ------------------------------------------------------------ texts and errors

    def _set_state_text(self, state: str, detail: str = "") -> None:
        texts = {
            "ready": self.tr("Confirm the customer's identity, then key the remittance."),
            "keying": self.tr("Key the remittance and press Enter to screen it."),
            "submitted": self.tr("Sending for screening…"),
            "screening": self.tr("Screening… please wait"),
            "allow": self.tr("Screening: no risk found — completing the remittance"),
            "warn": self.tr("Screening: WARNING — see the risk warning"),
            "hold": self.tr("Screening: HOLD — supervisor approval needed"),
            "block": self.tr("Screening: BLOCKED — this remittance must not be made"),
            "unavailable": self.tr("Screening UNAVAILABLE — the remittance has not been screened"),
            "finished": self.tr("Last remittance: {outcome}").format(outcome=detail),
        }
        if state == "audit_unavailable" and self._audit_error is not None:
            texts[state] = self._audit_text(self._audit_error)
        self._state = (state, detail)
        self.screening_state.setText(texts[state])
        style_key = {"audit_unavailable": "block"}.get(state, state)
        style_key = style_key if style_key in ("allow", "warn", "hold", "block", "unavailable") else "none"
        self.screening_state.setStyleSheet(decision_banner_style(style_key) if style_key != "none" else "")

    def _failure_text(self, failure: ServiceFailure) -> str:
        if failure.status == 423:
            return self.tr("This teller ID is locked after too many wrong passwords. Ask a supervisor or IT.")
        if failure.problem_type.endswith("sign-in-throttled"):
            minutes = max(1, math.ceil((failure.retry_after_seconds or 60) / 60))
            return self.tr(
                "Too many failed sign-ins at this terminal. Wait {minutes} minute(s) before trying again, "
                "or ask a supervisor."
            ).format(minutes=minutes)
        if failure.reason is FailureReason.UNAUTHORIZED:
            if failure.status == 403:
                return self.tr("Not allowed: {detail}").format(detail=failure.detail.split(": ", 1)[-1])
            return self.tr("Teller ID or password is wrong.")
        if failure.reason is FailureReason.REJECTED:
            detail = str((failure.problem or {}).get("detail", failure.detail))
            return self.tr("The service refused this: {detail}").format(detail=detail)
        return self.tr("The screening service cannot be used right now ({reason}). Try again.").format(
            reason=failure.reason.value
        )

    def _step_failed(self, error: BaseException) -> None:
        if isinstance(error, AuditUnavailableError):
            self._audit_unavailable(error)
            return
        log.error("step failed: %s", error)
        self.screening_state.setText(self.tr("That step could not be completed: {error}").format(error=error))

    def _audit_text(self, error: AuditUnavailableError) -> str:
        problem = {
            "disk_full": self.tr("the disk is full"),
            "read_only": self.tr("the disk is read-only"),
        }.get(error.problem, self.tr("a disk error"))
        return self.tr(
            "The audit log cannot be written ({problem}). Nothing may be done unrecorded: this "
            "remittance has stopped and must not be carried out. Call IT and give them the audit log "
            "file: {path}"
        ).format(problem=problem, path=error.path)

    def _audit_unavailable(self, error: AuditUnavailableError) -> None:
        """The audit log refused a record: the remittance stops here, and the teller is told to call IT."""
        log.critical("audit log unavailable, the counter stops: %s", error)
        self._audit_error = error
        message = self._audit_text(error)
        if self._page == "sign_in":
            self.sign_in_page.set_busy(False)
            self.sign_in_page.show_error(message)
            return
        if self._page == "lock":
            self.lock_page.unlock_button.setEnabled(True)  # to try again once IT has fixed the disk
            self.lock_page.show_error(message)
            return
        self._submitting = False
        dialog = self.current_dialog
        if isinstance(dialog, BlockingDialog):
            dialog.finish()  # its choice can never be recorded; the message below says what happened
        session, self.session = self.session, None  # nothing more can be recorded for it: it ends here
        if session is not None and session.remittance is not None and not session.finished:
            log.critical("remittance of session %s stopped unrecorded", session.session_id)
        self.form.set_open(False)
        self._set_state_text("audit_unavailable")
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            self.tr("Audit log unavailable"),
            message,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("auditUnavailable")
        box.finished.connect(lambda _code: box.deleteLater())
        box.open()
        self.sig_dialog_opened.emit(box)

    def _background_error(self, error: BaseException) -> None:
        if isinstance(error, AuditUnavailableError):
            self._audit_unavailable(error)
            return
        log.error("background call failed: %s", error)
        self.sign_in_page.set_busy(False)
        self.sign_in_page.show_error(self.tr("Something went wrong: {error}").format(error=error))

    def retranslate(self) -> None:
        self.setWindowTitle(BRAND + (self.tr(" — DEMO") if self.desk.runtime.demo else ""))
        self.demo_label.setText(self.tr("DEMO — not connected to a real screening service"))
        self.menu.setTitle(self.tr("&Counter"))
        self.new_customer_action.setText(self.tr("&New customer"))
        self.report_action.setText(self.tr("&Report suspicious account…"))
        self.lock_action.setText(self.tr("&Lock screen"))
        self.language_action.setText(
            self.tr("Switch to English")
            if self.translations.language == "zh-CN"
            else self.tr("Switch to Chinese")
        )
        self.sign_out_action.setText(self.tr("Sign &out"))
        self.transactions_box.setTitle(self.tr("This session's remittances"))
        self.transactions.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Payee"), self.tr("Amount"), self.tr("Decision"), self.tr("Outcome")]
        )
        self._update_status_labels()
        if hasattr(self, "_state"):
            self._set_state_text(*self._state)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.remittance_open:
            self.screening_state.setText(self.tr("Finish the current remittance before closing."))
            event.ignore()
            return
        self.status_timer.stop()
        self.idle_timer.stop()
        self._stop_card_reader()
        self.customer_panel.face.reset()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        event.accept()
