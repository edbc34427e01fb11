"""The blocking risk warning: the teller must read it, ask the questions and choose an action.

It cannot be dismissed: Esc, the close button and Alt+F4 do nothing. "Proceed" waits for the
minimum reading time, needs every question answered and a note (warn, hold), a supervisor's
ID and password (hold), and does not exist for a block. The window records the choice through
the audit outbox before the dialog is allowed to close.
"""

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from teller_client.contract import ScreeningResult
from teller_client.workflow import ANSWER_MAX_CHARACTERS, NOTE_MAX_CHARACTERS
from ui.prescreen_text import PrescreenWording
from ui.widgets import DECISION_COLOURS, BlockingDialog, decision_banner_style

SOURCE_NAMES = ("police_list", "peer_bank", "internal_report", "rule", "history")


class RiskWarningDialog(BlockingDialog):
    sig_action_chosen = Signal(dict)
    """The teller chose an action: {action, answers, note, delay, supervisor_id, supervisor_password}."""

    def __init__(
        self,
        result: ScreeningResult,
        language: str,
        minimum_reading_seconds: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.screening = result
        self.language = language
        self.setObjectName("riskWarning")
        self._seconds_left = minimum_reading_seconds

        self.banner = QLabel()
        self.banner.setObjectName("decisionBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(decision_banner_style(result.decision))
        icon = QLabel()
        pixmap = (
            QStyle.StandardPixmap.SP_MessageBoxCritical
            if result.decision == "block"
            else (QStyle.StandardPixmap.SP_MessageBoxWarning)
        )
        icon.setPixmap(self.style().standardIcon(pixmap).pixmap(48, 48))
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addWidget(self.banner, 1)

        self.reasons_box = QGroupBox()
        self.reasons_layout = QVBoxLayout(self.reasons_box)
        self.name_check = QLabel()
        self.name_check.setObjectName("nameCheck")
        self.name_check.setWordWrap(True)
        self.name_check.setFrameShape(QFrame.Shape.StyledPanel)

        # What the customer told the lobby manager, when the screening linked a pre-screen.
        self.prescreen_box = QGroupBox()
        self.prescreen_box.setObjectName("prescreenBox")
        self.prescreen_answers = QLabel()
        self.prescreen_answers.setObjectName("prescreenAnswers")
        self.prescreen_answers.setTextFormat(Qt.TextFormat.PlainText)
        self.prescreen_answers.setWordWrap(True)
        QVBoxLayout(self.prescreen_box).addWidget(self.prescreen_answers)
        self.prescreen_box.setVisible(result.prescreen is not None)
        self._prescreen_wording = PrescreenWording(self)

        self.questions_box = QGroupBox()
        grid = QGridLayout(self.questions_box)
        self.question_checks: dict[str, QCheckBox] = {}
        self.question_answers: dict[str, QLineEdit] = {}
        for row, question in enumerate(result.questions):
            check = QCheckBox(question.text.text(language))
            check.setObjectName(f"asked_{question.id}")
            answer = QLineEdit()
            answer.setObjectName(f"answer_{question.id}")
            answer.setMaxLength(ANSWER_MAX_CHARACTERS)
            grid.addWidget(check, row * 2, 0)
            grid.addWidget(answer, row * 2 + 1, 0)
            check.toggled.connect(self._update_proceed)
            answer.textChanged.connect(self._update_proceed)
            self.question_checks[question.id] = check
            self.question_answers[question.id] = answer
        self.questions_box.setVisible(bool(result.questions))

        self.note = QPlainTextEdit()
        self.note.setObjectName("note")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(70)
        self.note.textChanged.connect(self._limit_note)
        self.note.textChanged.connect(self._update_proceed)
        self.note_label = QLabel()
        self.note_label.setBuddy(self.note)

        self.supervisor_box = QGroupBox()
        self.supervisor_box.setObjectName("supervisorApproval")
        self.supervisor_id = QLineEdit()
        self.supervisor_id.setObjectName("supervisorId")
        self.supervisor_password = QLineEdit()
        self.supervisor_password.setObjectName("supervisorPassword")
        self.supervisor_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.supervisor_id_label = QLabel()
        self.supervisor_password_label = QLabel()
        supervisor_layout = QGridLayout(self.supervisor_box)
        supervisor_layout.addWidget(self.supervisor_id_label, 0, 0)
        supervisor_layout.addWidget(self.supervisor_id, 0, 1)
        supervisor_layout.addWidget(self.supervisor_password_label, 1, 0)
        supervisor_layout.addWidget(self.supervisor_password, 1, 1)
        self.supervisor_box.setVisible(result.decision == "hold")
        self.supervisor_id.textChanged.connect(self._update_proceed)
        self.supervisor_password.textChanged.connect(self._update_proceed)

        self.police_panel = QLabel()
        self.police_panel.setObjectName("policeProcedure")
        self.police_panel.setWordWrap(True)
        self.police_panel.setStyleSheet("background: #eff6ff; border: 1px solid #1d4ed8; padding: 8px;")
        self.police_panel.hide()

        self.error = QLabel()
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c; font-weight: bold;")
        self.error.hide()

        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelRemittance")
        self.delay_2h_button = QPushButton()
        self.delay_2h_button.setObjectName("delay2h")
        self.delay_next_day_button = QPushButton()
        self.delay_next_day_button.setObjectName("delayNextDay")
        self.police_button = QPushButton()
        self.police_button.setObjectName("referPolice")
        self.proceed_button: QPushButton | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        allowed = set(result.allowed_actions)
        self.delay_2h_button.setVisible("delay_arrival" in allowed)
        self.delay_next_day_button.setVisible("delay_arrival" in allowed)
        self.police_button.setVisible("refer_police" in allowed)
        for button in (self.delay_2h_button, self.delay_next_day_button, self.police_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        if "proceed" in allowed and result.decision != "block":
            self.proceed_button = QPushButton()
            self.proceed_button.setObjectName("proceed")
            self.proceed_button.setEnabled(False)
            buttons.addWidget(self.proceed_button)
            self.proceed_button.clicked.connect(self._proceed)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(header)
        body_layout.addWidget(self.reasons_box)
        body_layout.addWidget(self.name_check)
        body_layout.addWidget(self.prescreen_box)
        body_layout.addWidget(self.questions_box)
        body_layout.addWidget(self.note_label)
        body_layout.addWidget(self.note)
        body_layout.addWidget(self.supervisor_box)
        body_layout.addWidget(self.police_panel)
        body_layout.addStretch(1)  # short warnings keep their natural height instead of spreading out
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.error)
        outer.addLayout(buttons)
        # Fits a 1366x768 counter screen with the task bar; the body scrolls if it must.
        self.resize(780, 700)

        self.cancel_button.clicked.connect(lambda: self._choose("cancel"))
        self.delay_2h_button.clicked.connect(lambda: self._choose("delay_arrival", delay="2h"))
        self.delay_next_day_button.clicked.connect(lambda: self._choose("delay_arrival", delay="next_day"))
        self.police_button.clicked.connect(lambda: self._choose("refer_police"))
        self.reading_timer = QTimer(self)
        self.reading_timer.setInterval(1000)
        self.reading_timer.timeout.connect(self._tick)
        if self._seconds_left > 0:
            self.reading_timer.start()
        self.retranslate()

    # ------------------------------------------------------------ cannot be dismissed

    # ------------------------------------------------------------ the choice

    def _tick(self) -> None:
        self._seconds_left -= 1
        if self._seconds_left <= 0:
            self.reading_timer.stop()
        self._update_proceed()

    def missing_for_proceed(self) -> list[str]:
        """What still stands between the teller and "proceed", in plain words."""
        missing = []
        if self._seconds_left > 0:
            missing.append(self.tr("read the warning ({seconds} s)").format(seconds=self._seconds_left))
        for question_id, check in self.question_checks.items():
            if not check.isChecked() or not self.question_answers[question_id].text().strip():
                missing.append(self.tr("ask every question and record the answer"))
                break
        if self.screening.decision in ("warn", "hold") and not self.note.toPlainText().strip():
            missing.append(self.tr("write a note"))
        if self.screening.decision == "hold" and (
            not self.supervisor_id.text().strip() or not self.supervisor_password.text()
        ):
            missing.append(self.tr("supervisor ID and password"))
        return missing

    def _limit_note(self) -> None:
        """QPlainTextEdit has no maximum length: cut the note at what the service accepts, as typed."""
        text = self.note.toPlainText()
        if len(text) > NOTE_MAX_CHARACTERS:
            self.note.setPlainText(text[:NOTE_MAX_CHARACTERS])
            self.note.moveCursor(QTextCursor.MoveOperation.End)

    def _update_proceed(self) -> None:
        if self.proceed_button is None:
            return
        missing = self.missing_for_proceed()
        self.proceed_button.setEnabled(not missing)
        if self._seconds_left > 0:
            self.proceed_button.setText(self.tr("Proceed ({seconds})").format(seconds=self._seconds_left))
        else:
            self.proceed_button.setText(self.tr("&Proceed"))
        self.proceed_button.setToolTip("; ".join(missing))
        self.proceed_button.setAccessibleDescription("; ".join(missing))

    def _answers(self) -> dict[str, str]:
        return {
            question_id: answer.text().strip()
            for question_id, answer in self.question_answers.items()
            if self.question_checks[question_id].isChecked() and answer.text().strip()
        }

    def _proceed(self) -> None:
        if not self.missing_for_proceed():
            self._choose("proceed")

    def _choose(self, action: str, delay: str | None = None) -> None:
        choice: dict[str, Any] = {
            "action": action,
            "answers": self._answers(),
            "note": self.note.toPlainText().strip(),
            "delay": delay,
            "supervisor_id": self.supervisor_id.text().strip(),
            "supervisor_password": self.supervisor_password.text(),
        }
        self.sig_action_chosen.emit(choice)

    def set_busy(self, busy: bool) -> None:
        for button in (
            self.cancel_button,
            self.delay_2h_button,
            self.delay_next_day_button,
            self.police_button,
        ):
            button.setEnabled(not busy)
        # A police referral is recorded once; its button stays off afterwards.
        self.police_button.setEnabled(not busy and not self.police_panel.isVisibleTo(self))
        if self.proceed_button is not None:
            self.proceed_button.setEnabled(not busy and not self.missing_for_proceed())
        if busy:
            self.error.hide()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.supervisor_password.clear()

    def show_police_procedure(self) -> None:
        self.police_panel.show()
        self.police_button.setEnabled(False)

    # ------------------------------------------------------------ texts

    def _source_name(self, source: str) -> str:
        return {
            "police_list": self.tr("police list"),
            "peer_bank": self.tr("peer bank report"),
            "internal_report": self.tr("our bank's report"),
            "rule": self.tr("screening rule"),
            "history": self.tr("customer history"),
        }.get(source, source)

    def retranslate(self) -> None:
        decision = self.screening.decision
        titles = {
            "warn": self.tr("WARNING — check this remittance with the customer"),
            "hold": self.tr("HOLD — a supervisor must approve before this remittance can proceed"),
            "block": self.tr("BLOCKED — this remittance must not be made"),
            "allow": self.tr("NO RISK FOUND — check the payee with the customer, then complete"),
        }
        self.setWindowTitle(self.tr("Fraud risk warning"))
        self.banner.setText(
            titles.get(decision, decision)
            + "\n"
            + self.tr("Risk score {score} of 100").format(score=self.screening.score)
        )
        self.banner.setAccessibleName(self.banner.text())
        self.reasons_box.setTitle(self.tr("Why"))
        while self.reasons_layout.count():
            item = self.reasons_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        colour = DECISION_COLOURS.get(decision, DECISION_COLOURS["warn"])[0]
        for reason in self.screening.reasons:
            label = QLabel(
                f"<b style='color:{colour}'>• {reason.message.text(self.language)}</b><br>"
                + self.tr("Scam type: {typology} · Source: {source}").format(
                    typology=reason.typology_label.text(self.language),
                    source=self._source_name(reason.source),
                )
            )
            label.setWordWrap(True)
            label.setObjectName(f"reason_{reason.code}")
            self.reasons_layout.addWidget(label)
        check = self.screening.payee_name_check
        name_texts = {
            "match": (self.tr("Payee name check: the name matches the account holder."), "#dcfce7"),
            "close_match": (
                self.tr(
                    "Payee name check: CLOSE MATCH. The account is held by {name}. "
                    "Ask the customer whether this is the person they mean."
                ).format(name=check.name_on_record or ""),
                "#fef3c7",
            ),
            "no_match": (
                self.tr(
                    "Payee name check: NO MATCH. The name given does not match the account holder: "
                    "the money may go to an account that is not held by the intended payee."
                ),
                "#fecaca",
            ),
            "unavailable": (
                self.tr(
                    "Payee name check unavailable: the name could not be checked. Confirm the payee "
                    "by other means, or try again later."
                ),
                "#e2e8f0",
            ),
        }
        text, background = name_texts.get(check.outcome, name_texts["unavailable"])
        self.name_check.setText(text)
        self.name_check.setStyleSheet(f"background: {background}; padding: 6px;")
        if self.screening.prescreen is not None:
            self.prescreen_box.setTitle(self._prescreen_wording.title(self.screening.prescreen))
            self.prescreen_answers.setText(self._prescreen_wording.text(self.screening.prescreen))
        self.questions_box.setTitle(self.tr("Ask the customer — tick each question and write the answer"))
        for question in self.screening.questions:
            self.question_checks[question.id].setText(question.text.text(self.language))
            self.question_answers[question.id].setPlaceholderText(self.tr("Customer's answer"))
            self.question_answers[question.id].setAccessibleName(
                self.tr("Answer: {question}").format(question=question.text.text(self.language))
            )
        self.note_label.setText(
            self.tr("&Note (required to proceed)") if decision in ("warn", "hold") else self.tr("&Note")
        )
        self.note.setAccessibleName(self.tr("Note"))
        self.supervisor_box.setTitle(self.tr("Supervisor approval (dual control)"))
        self.supervisor_id_label.setText(self.tr("Supervisor ID"))
        self.supervisor_password_label.setText(self.tr("Supervisor password"))
        self.supervisor_id.setAccessibleName(self.tr("Supervisor ID"))
        self.supervisor_password.setAccessibleName(self.tr("Supervisor password"))
        self.police_panel.setText(
            self.tr(
                "Police referral recorded. Branch procedure: keep the customer in a quiet, private area; "
                "inform the branch manager; call the police on 110 or the anti-fraud hotline 96110; do not "
                "hand over cash or complete the transfer until the police have spoken with the customer. "
                "Then cancel or delay the remittance here."
            )
        )
        self.cancel_button.setText(self.tr("&Cancel remittance"))
        self.delay_2h_button.setText(self.tr("Delay &2 hours"))
        self.delay_next_day_button.setText(self.tr("Delay to next &day"))
        self.police_button.setText(self.tr("Refer to p&olice"))
        self._update_proceed()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
