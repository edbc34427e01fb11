"""The lobby kiosk: public payee-account check, the pre-screen questionnaire, scam cards; locked down.

Full screen and frameless; Esc, Alt+F4 and the window manager's close do nothing; only staff
credentials checked by the service end kiosk mode. After the idle time every field is cleared and
the start screen returns. A lost service shows a calm screen and recovers by itself.
"""

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from teller_client.contract import SessionGrant
from teller_client.runtime import Runtime
from teller_client.scam_cards import CARDS
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.validation import PAYEE_ACCOUNT, FieldError, check_account
from ui.i18n import Translations
from ui.pages import BRAND
from ui.tasks import run_in_background
from ui.widgets import DECISION_COLOURS, TlsWarningBanner, add_tls_warning

log = logging.getLogger("counterguard.ui.kiosk")

HEALTH_RETRY_MS = 5_000
CARD_ROTATION_MS = 8_000
# At 1920x1080 on a 24-inch screen a pixel is about 0.28 mm: 15 mm is about 54 px; 62 px is 17 mm.
TOUCH_HEIGHT = 62
_STYLE = f"""
QWidget {{ font-size: 20pt; }}
QPushButton {{ min-height: {TOUCH_HEIGHT}px; padding: 8px 20px; border-radius: 10px;
              background: #e0f2fe; border: 2px solid #0369a1; }}
QPushButton:pressed {{ background: #bae6fd; }}
QPushButton:disabled {{ color: #94a3b8; border-color: #cbd5e1; background: #f1f5f9; }}
QComboBox, QLineEdit {{ min-height: {TOUCH_HEIGHT}px; }}
QLabel#kioskTitle {{ font-size: 34pt; font-weight: bold; }}
"""
_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin}

QUESTIONS: dict[str, tuple[str, ...]] = {
    "purpose": (
        "family_support", "rent_or_bills", "purchase", "investment", "loan_or_fee",
        "tax_or_fine", "safe_account_request", "other",
    ),
    "who_asked": (
        "self", "family", "friend", "employer", "caller_claiming_authority",
        "online_contact", "customer_service", "other",
    ),
    "relationship_to_payee": ("self", "family", "friend", "business", "never_met", "unknown"),
    "urgency": ("none", "today", "immediately_or_threatened"),
    "amount_band": ("under_10k", "10k_to_50k", "50k_to_200k", "over_200k"),
}  # fmt: skip
YES_NO_QUESTIONS = ("on_phone_now", "told_to_keep_secret", "first_time_payee")


class KioskWindow(QWidget):
    sig_page_changed = Signal(str)
    """home, lookup, result, questionnaire, code, unavailable."""
    sig_exit_approved = Signal()
    """Staff credentials were accepted: kiosk mode ends."""

    def __init__(self, runtime: Runtime, translations: Translations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.client = runtime.client
        self.settings = runtime.settings
        self.translations = translations
        self._exit_allowed = False
        self.setObjectName("kioskWindow")
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setStyleSheet(_STYLE)

        self.title = QLabel()
        self.title.setObjectName("kioskTitle")
        self.language_button = QPushButton()
        self.language_button.setObjectName("kioskLanguage")
        self.staff_button = QPushButton()
        self.staff_button.setObjectName("staffExit")
        self.home_button = QPushButton()
        self.home_button.setObjectName("kioskHome")
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.home_button)
        header.addWidget(self.language_button)
        header.addWidget(self.staff_button)
        self.demo_label = QLabel()
        self.demo_label.setStyleSheet("background: #b91c1c; color: white; font-weight: bold; padding: 4px;")
        self.demo_label.setVisible(runtime.demo)

        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self._build_home()
        self._build_lookup()
        self._build_result()
        self._build_questionnaire()
        self._build_code()
        self._build_unavailable()
        outer = QVBoxLayout(self)
        outer.addWidget(self.demo_label)
        outer.addLayout(header)
        outer.addWidget(self.stack, 1)
        self.tls_warning: TlsWarningBanner | None = None
        if self.settings.developer_insecure_tls:
            self.tls_warning = add_tls_warning(self)

        self.language_button.clicked.connect(self.switch_language)
        self.staff_button.clicked.connect(self.open_staff_exit)
        self.home_button.clicked.connect(self.reset)
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(self.settings.kiosk_idle_seconds * 1000)
        self.idle_timer.timeout.connect(self.reset)
        self.card_timer = QTimer(self)
        self.card_timer.setInterval(CARD_ROTATION_MS)
        self.card_timer.timeout.connect(self._next_card)
        self.health_timer = QTimer(self)
        self.health_timer.setInterval(HEALTH_RETRY_MS)
        self.health_timer.timeout.connect(self._check_health)
        self._card_index = 0
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.retranslate()
        self.show_page("home")
        self.card_timer.start()

    # ------------------------------------------------------------ building the pages

    def _page(self, name: str) -> QVBoxLayout:
        page = QWidget()
        page.setObjectName(f"kiosk_{name}")
        self.pages[name] = page
        self.stack.addWidget(page)
        return QVBoxLayout(page)

    def _build_home(self) -> None:
        layout = self._page("home")
        self.lookup_button = QPushButton()
        self.lookup_button.setObjectName("startLookup")
        self.questionnaire_button = QPushButton()
        self.questionnaire_button.setObjectName("startQuestionnaire")
        for button in (self.lookup_button, self.questionnaire_button):
            button.setMinimumHeight(TOUCH_HEIGHT * 2)
            button.setStyleSheet("font-size: 26pt; font-weight: bold;")
        self.card_title = QLabel()
        self.card_title.setObjectName("scamCardTitle")
        self.card_title.setStyleSheet("font-size: 28pt; font-weight: bold; color: #7c2d12;")
        self.card_sign = QLabel()
        self.card_advice = QLabel()
        for label in (self.card_sign, self.card_advice):
            label.setWordWrap(True)
        self.card_advice.setStyleSheet("font-weight: bold; color: #14532d;")
        card = QWidget()
        card.setObjectName("scamCard")
        card.setStyleSheet(
            "#scamCard { background: #fff7ed; border: 2px solid #fdba74; border-radius: 14px; }"
        )
        card_layout = QVBoxLayout(card)
        self.card_heading = QLabel()
        card_layout.addWidget(self.card_heading)
        card_layout.addWidget(self.card_title)
        card_layout.addWidget(self.card_sign)
        card_layout.addWidget(self.card_advice)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lookup_button)
        buttons.addWidget(self.questionnaire_button)
        layout.addLayout(buttons)
        layout.addWidget(card, 1)
        self.lookup_button.clicked.connect(lambda: self.show_page("lookup"))
        self.questionnaire_button.clicked.connect(lambda: self.show_page("questionnaire"))

    def _build_lookup(self) -> None:
        layout = self._page("lookup")
        self.lookup_prompt = QLabel()
        self.lookup_prompt.setWordWrap(True)
        self.account = QLineEdit()
        self.account.setObjectName("kioskAccount")
        self.account.setStyleSheet("font-size: 32pt; letter-spacing: 3px;")
        self.account.setMaxLength(40)
        self.lookup_error = QLabel()
        self.lookup_error.setObjectName("lookupError")
        self.lookup_error.setWordWrap(True)
        self.lookup_error.setStyleSheet("color: #b91c1c;")
        keypad = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]):
            button = QPushButton(key if key.isdigit() else "")
            button.setObjectName(f"key_{key}")
            button.setMinimumHeight(TOUCH_HEIGHT + 28)
            button.setMinimumWidth(200)  # equal, wide keys: a finger, not a mouse
            button.setStyleSheet("font-size: 28pt;")
            button.clicked.connect(lambda _checked=False, key=key: self._press(key))
            keypad.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        self.check_button = QPushButton()
        self.check_button.setObjectName("checkAccount")
        self.check_button.setStyleSheet("font-size: 26pt; font-weight: bold; background: #bbf7d0;")
        layout.addWidget(self.lookup_prompt)
        layout.addWidget(self.account)
        layout.addWidget(self.lookup_error)
        row = QHBoxLayout()
        keypad_box = QWidget()
        keypad_box.setFixedWidth(680)
        for column in range(3):
            keypad.setColumnStretch(column, 1)
        keypad_box.setLayout(keypad)
        row.addWidget(keypad_box)
        row.addWidget(self.check_button, 1)
        layout.addLayout(row, 1)
        self.check_button.clicked.connect(self.check_account)
        self.account.returnPressed.connect(self.check_account)

    def _build_result(self) -> None:
        layout = self._page("result")
        self.result_headline = QLabel()
        self.result_headline.setObjectName("resultHeadline")
        self.result_headline.setWordWrap(True)
        self.result_advice = QLabel()
        self.result_advice.setObjectName("resultAdvice")
        self.result_advice.setWordWrap(True)
        self.result_again = QPushButton()
        self.result_again.setObjectName("checkAnother")
        layout.addWidget(self.result_headline)
        layout.addWidget(self.result_advice)
        layout.addStretch(1)
        layout.addWidget(self.result_again)
        self.result_again.clicked.connect(lambda: self.show_page("lookup"))
        self._last_result: dict[str, Any] | None = None

    def _build_questionnaire(self) -> None:
        layout = self._page("questionnaire")
        self.questionnaire_intro = QLabel()
        self.questionnaire_intro.setWordWrap(True)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        self.question_labels: dict[str, QLabel] = {}
        self.choices: dict[str, QComboBox] = {}
        for key in QUESTIONS:
            combo = QComboBox()
            combo.setObjectName(f"q_{key}")
            self.choices[key] = combo
            self.question_labels[key] = QLabel()
            form.addRow(self.question_labels[key], combo)
        self.yes_no: dict[str, QButtonGroup] = {}
        self.yes_buttons: dict[str, tuple[QPushButton, QPushButton]] = {}
        for key in YES_NO_QUESTIONS:
            group = QButtonGroup(self)
            yes, no = QPushButton(), QPushButton()
            yes.setObjectName(f"q_{key}_yes")
            no.setObjectName(f"q_{key}_no")
            for button in (yes, no):
                button.setCheckable(True)
                button.setStyleSheet("QPushButton:checked { background: #0369a1; color: white; }")
            group.addButton(yes, 1)
            group.addButton(no, 0)
            row = QHBoxLayout()
            row.addWidget(yes)
            row.addWidget(no)
            holder = QWidget()
            holder.setLayout(row)
            self.yes_no[key] = group
            self.yes_buttons[key] = (yes, no)
            self.question_labels[key] = QLabel()
            form.addRow(self.question_labels[key], holder)
        self.questionnaire_error = QLabel()
        self.questionnaire_error.setStyleSheet("color: #b91c1c;")
        self.questionnaire_error.setWordWrap(True)
        self.submit_questionnaire = QPushButton()
        self.submit_questionnaire.setObjectName("submitQuestionnaire")
        layout.addWidget(self.questionnaire_intro)
        layout.addLayout(form)
        layout.addWidget(self.questionnaire_error)
        layout.addWidget(self.submit_questionnaire)
        self.submit_questionnaire.clicked.connect(self.send_questionnaire)

    def _build_code(self) -> None:
        layout = self._page("code")
        self.code_intro = QLabel()
        self.code_intro.setWordWrap(True)
        self.code = QLabel()
        self.code.setObjectName("prescreenCode")
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code.setStyleSheet("font-size: 72pt; font-weight: bold; letter-spacing: 8px; color: #0c4a6e;")
        self.code_done = QPushButton()
        self.code_done.setObjectName("codeDone")
        layout.addWidget(self.code_intro)
        layout.addWidget(self.code, 1)
        layout.addWidget(self.code_done)
        self.code_done.clicked.connect(self.reset)

    def _build_unavailable(self) -> None:
        layout = self._page("unavailable")
        self.unavailable_text = QLabel()
        self.unavailable_text.setObjectName("unavailableText")
        self.unavailable_text.setWordWrap(True)
        self.unavailable_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unavailable_text.setStyleSheet("font-size: 30pt; color: #334155;")
        layout.addStretch(1)
        layout.addWidget(self.unavailable_text)
        layout.addStretch(1)

    # ------------------------------------------------------------ lock-down

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._exit_allowed:
            self._shutdown()
            event.accept()
        else:
            event.ignore()  # Alt+F4 and the window manager's close land here

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _INPUT_EVENTS:
            self.idle_timer.start()
        return super().eventFilter(watched, event)

    def _shutdown(self) -> None:
        for timer in (self.idle_timer, self.card_timer, self.health_timer):
            timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # ------------------------------------------------------------ navigation and reset

    def show_page(self, name: str) -> None:
        self.stack.setCurrentWidget(self.pages[name])
        self.page = name
        self.home_button.setVisible(name not in ("home", "unavailable"))
        if name == "lookup":
            self.account.setFocus()
        self.sig_page_changed.emit(name)

    def reset(self) -> None:
        """Idle or finished: clear everything a customer entered and return to the start screen."""
        self.account.clear()
        self.lookup_error.clear()
        self._last_result = None
        self.result_headline.clear()
        self.result_advice.clear()
        for combo in self.choices.values():
            combo.setCurrentIndex(-1)
        for group in self.yes_no.values():
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)
        self.questionnaire_error.clear()
        self.code.clear()
        if self.page != "unavailable":
            self.show_page("home")

    # ------------------------------------------------------------ lookup

    def _press(self, key: str) -> None:
        if key == "clear":
            self.account.clear()
        elif key == "back":
            self.account.backspace()
        else:
            self.account.insert(key)
        self.lookup_error.clear()

    def check_account(self) -> None:
        checked = check_account(self.account.text(), PAYEE_ACCOUNT)
        if isinstance(checked, FieldError):
            self.lookup_error.setText(checked.text(self.translations.language))
            return
        self.check_button.setEnabled(False)
        number = checked.value
        run_in_background(lambda: self.client.account_risk(number), self._looked_up, self._background_error)

    def _looked_up(self, outcome: dict[str, Any] | ServiceFailure) -> None:
        self.check_button.setEnabled(True)
        if isinstance(outcome, ServiceFailure):
            if outcome.status == 429 or outcome.reason is FailureReason.BUSY:
                self.lookup_error.setText(
                    self.tr(
                        "Many checks have been made at this kiosk just now. Please wait a minute and try again."  # noqa: E501 - one translatable string
                    )
                )
                return
            if outcome.reason is FailureReason.REJECTED:
                self.lookup_error.setText(self.tr("Please check the account number and try again."))
                return
            self._service_lost()
            return
        self._last_result = outcome
        self._show_result()
        self.show_page("result")

    def _show_result(self) -> None:
        outcome = self._last_result
        if outcome is None:
            return
        status = str(outcome.get("status"))
        headlines = {
            "police_listed": (
                self.tr("STOP: this account is on the police list of fraud-linked accounts"),
                "block",
            ),
            "reported": (self.tr("CAUTION: this account has been reported as suspected of fraud"), "hold"),
            "no_record": (self.tr("No risk record was found for this account"), "allow"),
        }
        text, colour = headlines.get(status, (status, "unavailable"))
        foreground, background = DECISION_COLOURS[colour]
        self.result_headline.setText(f"{text}\n{outcome.get('account', '')}")
        self.result_headline.setStyleSheet(
            f"font-size: 30pt; font-weight: bold; color: {foreground}; background: {background};"
            " padding: 24px; border-radius: 14px;"
        )
        advice = outcome.get("advice") or {}
        self.result_advice.setText(str(advice.get(self.translations.language, advice.get("en", ""))))

    # ------------------------------------------------------------ questionnaire

    def questionnaire_answers(self) -> dict[str, Any] | None:
        answers: dict[str, Any] = {}
        for key, combo in self.choices.items():
            if combo.currentIndex() < 0:
                self.questionnaire_error.setText(
                    self.tr("Please answer: {question}").format(question=self.question_labels[key].text())
                )
                return None
            answers[key] = combo.currentData()
        for key, group in self.yes_no.items():
            if group.checkedId() < 0:
                self.questionnaire_error.setText(
                    self.tr("Please answer: {question}").format(question=self.question_labels[key].text())
                )
                return None
            answers[key] = group.checkedId() == 1
        return answers

    def send_questionnaire(self) -> None:
        answers = self.questionnaire_answers()
        if answers is None:
            return
        self.questionnaire_error.clear()
        self.submit_questionnaire.setEnabled(False)
        run_in_background(
            lambda: self.client.submit_prescreen(answers), self._questionnaire_sent, self._background_error
        )

    def _questionnaire_sent(self, outcome: dict[str, Any] | ServiceFailure) -> None:
        self.submit_questionnaire.setEnabled(True)
        if isinstance(outcome, ServiceFailure):
            if outcome.reason is FailureReason.REJECTED:
                self.questionnaire_error.setText(str((outcome.problem or {}).get("detail", outcome.detail)))
                return
            self._service_lost()
            return
        self.code.setText(str(outcome.get("code", "")))
        self.show_page("code")

    # ------------------------------------------------------------ service loss and recovery

    def _service_lost(self) -> None:
        log.warning("kiosk lost the screening service")
        self.reset()
        self.show_page("unavailable")
        self.health_timer.start()

    def _check_health(self) -> None:
        def done(health: dict[str, Any] | ServiceFailure) -> None:
            if not isinstance(health, ServiceFailure) and self.page == "unavailable":
                self.health_timer.stop()
                self.show_page("home")

        run_in_background(self.client.health, done, lambda _error: None, pool_name="status")

    def _background_error(self, error: BaseException) -> None:
        log.error("kiosk call failed: %s", error)
        self.check_button.setEnabled(True)
        self.submit_questionnaire.setEnabled(True)
        self._service_lost()

    # ------------------------------------------------------------ staff exit

    def open_staff_exit(self) -> None:
        dialog = StaffExitDialog(self)
        if self.settings.developer_insecure_tls:
            add_tls_warning(dialog)
        dialog.sig_credentials.connect(
            lambda teller_id, password: self._check_staff(dialog, teller_id, password)
        )
        dialog.open()
        self.staff_dialog = dialog

    def _check_staff(self, dialog: "StaffExitDialog", teller_id: str, password: str) -> None:
        dialog.set_busy(True)

        def check() -> SessionGrant | ServiceFailure:
            outcome = self.client.sign_in(teller_id, password)
            if not isinstance(outcome, ServiceFailure):
                # Recorded before kiosk mode ends, off the GUI thread like every write.
                self.runtime.audit.append(
                    "kiosk_exit", {"teller_id": outcome.teller.teller_id, "role": outcome.teller.role}
                )
            return outcome

        def done(outcome: SessionGrant | ServiceFailure) -> None:
            dialog.set_busy(False)
            if isinstance(outcome, ServiceFailure):
                dialog.show_error(self.tr("Not accepted: the staff ID or password is wrong."))
                return
            dialog.accept()
            self._exit_allowed = True
            self.sig_exit_approved.emit()
            self.close()

        run_in_background(check, done, self._background_error)

    # ------------------------------------------------------------ language

    def switch_language(self) -> None:
        self.translations.apply("en" if self.translations.language == "zh-CN" else "zh-CN")

    def _next_card(self) -> None:
        self._card_index = (self._card_index + 1) % len(CARDS)
        self._show_card()

    def _show_card(self) -> None:
        language = self.translations.language
        card = CARDS[self._card_index]
        self.card_title.setText(card.title[language])
        self.card_sign.setText(self.tr("The sign: {text}").format(text=card.sign[language]))
        self.card_advice.setText(card.advice[language])

    def retranslate(self) -> None:
        self.title.setText(BRAND + " · " + self.tr("Check before you transfer"))
        self.demo_label.setText(self.tr("DEMO — not connected to a real screening service"))
        self.language_button.setText("English" if self.translations.language == "zh-CN" else "中文")
        self.staff_button.setText(self.tr("Staff"))
        self.home_button.setText(self.tr("Start again"))
        self.lookup_button.setText(self.tr("Check a payee account"))
        self.questionnaire_button.setText(self.tr("Before a transfer: questions with staff"))
        self.card_heading.setText(self.tr("Know the scams"))
        self.lookup_prompt.setText(
            self.tr(
                "Enter the account number you were asked to pay. We show only whether it has a risk record."
            )
        )
        self.account.setAccessibleName(self.tr("Account number"))
        self.account.setPlaceholderText(self.tr("Account number"))
        self.keys["clear"].setText(self.tr("Clear"))
        self.keys["back"].setText(self.tr("⌫ Delete"))
        self.check_button.setText(self.tr("Check"))
        self.result_again.setText(self.tr("Check another account"))
        self.questionnaire_intro.setText(
            self.tr(
                "A member of staff goes through these questions with you. Your answers help the teller protect you."  # noqa: E501 - one translatable string
            )
        )
        labels = {
            "purpose": self.tr("What is the money for?"),
            "who_asked": self.tr("Who asked you to make this transfer?"),
            "relationship_to_payee": self.tr("Who is the payee to you?"),
            "urgency": self.tr("How urgent is it?"),
            "amount_band": self.tr("About how much?"),
            "on_phone_now": self.tr("Is someone on the phone with you now, telling you what to do?"),
            "told_to_keep_secret": self.tr("Were you told to keep this secret from the bank or family?"),
            "first_time_payee": self.tr("Is this the first time you pay this account?"),
        }
        for key, label in labels.items():
            self.question_labels[key].setText(label)
        options = {
            "family_support": self.tr("Supporting family"),
            "rent_or_bills": self.tr("Rent or bills"),
            "purchase": self.tr("A purchase"),
            "investment": self.tr("An investment"),
            "loan_or_fee": self.tr("A loan, deposit or fee"),
            "tax_or_fine": self.tr("A tax or a fine"),
            "safe_account_request": self.tr('Moving money to a "safe account"'),
            "other": self.tr("Something else"),
            "self": self.tr("Nobody, my own decision"),
            "family": self.tr("Family"),
            "friend": self.tr("A friend"),
            "employer": self.tr("My employer or boss"),
            "caller_claiming_authority": self.tr("A caller saying they are police, court or government"),
            "online_contact": self.tr("Someone I met online"),
            "customer_service": self.tr("Someone saying they are customer service"),
            "business": self.tr("A business I deal with"),
            "never_met": self.tr("Someone I have never met"),
            "unknown": self.tr("I don't know"),
            "none": self.tr("Not urgent"),
            "today": self.tr("It must be today"),
            "immediately_or_threatened": self.tr("Right now, or something bad will happen"),
            "under_10k": self.tr("Under 10,000"),
            "10k_to_50k": self.tr("10,000 to 50,000"),
            "50k_to_200k": self.tr("50,000 to 200,000"),
            "over_200k": self.tr("Over 200,000"),
        }
        for key, combo in self.choices.items():
            current = combo.currentIndex()
            combo.clear()
            for value in QUESTIONS[key]:
                text = options[value]
                if key == "relationship_to_payee" and value == "self":
                    text = self.tr("Myself (my own account)")
                combo.addItem(text, value)
            combo.setCurrentIndex(current)
            combo.setAccessibleName(labels[key])
        for yes, no in self.yes_buttons.values():
            yes.setText(self.tr("Yes"))
            no.setText(self.tr("No"))
        self.submit_questionnaire.setText(self.tr("Get my code"))
        self.code_intro.setText(
            self.tr("Give this code to the teller at the counter. It is valid for 24 hours.")
        )
        self.code_done.setText(self.tr("Done"))
        self.unavailable_text.setText(
            self.tr("The service is temporarily unavailable.\nPlease ask a member of staff for help.")
        )
        self._show_card()
        self._show_result()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_kiosk(self) -> None:
        """Full screen on the primary screen (offscreen in tests: its geometry)."""
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(screen.geometry())
        self.showFullScreen()


class StaffExitDialog(QDialog):
    sig_credentials = Signal(str, str)
    """Staff ID and password to check with the service."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("staffExitDialog")
        self.setModal(True)
        self.staff_id = QLineEdit()
        self.staff_id.setObjectName("staffId")
        self.password = QLineEdit()
        self.password.setObjectName("staffPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b91c1c;")
        self.ok_button = QPushButton()
        self.ok_button.setObjectName("staffExitOk")
        self.cancel_button = QPushButton()
        form = QFormLayout(self)
        self.id_label = QLabel()
        self.password_label = QLabel()
        form.addRow(self.id_label, self.staff_id)
        form.addRow(self.password_label, self.password)
        form.addRow(self.error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        form.addRow(buttons)
        self.ok_button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.cancel_button.clicked.connect(self.reject)
        self.setWindowTitle(self.tr("Staff: leave kiosk mode"))
        self.id_label.setText(self.tr("Staff ID"))
        self.password_label.setText(self.tr("Password"))
        self.ok_button.setText(self.tr("Leave kiosk mode"))
        self.cancel_button.setText(self.tr("Back"))
        self.staff_id.setAccessibleName(self.tr("Staff ID"))
        self.password.setAccessibleName(self.tr("Password"))

    def _submit(self) -> None:
        if self.staff_id.text().strip() and self.password.text():
            self.sig_credentials.emit(self.staff_id.text().strip(), self.password.text())

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.password.clear()
        self.password.setFocus()
