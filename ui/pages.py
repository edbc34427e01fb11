"""The sign-in page and the idle-lock page."""

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

BRAND = "柜面卫士 CounterGuard"


class SignInPage(QWidget):
    sig_sign_in_requested = Signal(str, str)
    """The teller asks to sign in with (teller ID, password)."""

    def __init__(self, demo_accounts: Sequence[Any] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._demo_accounts = tuple(demo_accounts)
        self.title = QLabel(BRAND)
        self.title.setStyleSheet("font-size: 22pt; font-weight: bold;")
        self.subtitle = QLabel()
        self.teller_id = QLineEdit()
        self.teller_id.setObjectName("tellerId")
        self.teller_id.setMaxLength(32)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sign_in_button = QPushButton()
        self.sign_in_button.setObjectName("signIn")
        self.sign_in_button.setDefault(True)
        self.error = QLabel()
        self.error.setObjectName("signInError")
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.setWordWrap(True)
        self.demo = QLabel()
        self.demo.setObjectName("demoAccounts")
        self.demo.setWordWrap(True)
        self.demo.setTextFormat(Qt.TextFormat.PlainText)
        self.demo.setFrameShape(QFrame.Shape.StyledPanel)
        self.demo.setStyleSheet("background: #fff7ed; padding: 8px;")
        self.demo.setVisible(bool(self._demo_accounts))

        form = QFormLayout()
        self.teller_label = QLabel()
        self.password_label = QLabel()
        self.teller_label.setBuddy(self.teller_id)
        self.password_label.setBuddy(self.password)
        form.addRow(self.teller_label, self.teller_id)
        form.addRow(self.password_label, self.password)
        box = QWidget()
        box.setMaximumWidth(460)
        inner = QVBoxLayout(box)
        inner.addWidget(self.title)
        inner.addWidget(self.subtitle)
        inner.addSpacing(12)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addWidget(self.sign_in_button)
        inner.addSpacing(12)
        inner.addWidget(self.demo)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

        self.sign_in_button.clicked.connect(self._request)
        self.password.returnPressed.connect(self._request)
        self.teller_id.returnPressed.connect(self.password.setFocus)
        self.setTabOrder(self.teller_id, self.password)
        self.setTabOrder(self.password, self.sign_in_button)
        self.retranslate()

    def _request(self) -> None:
        if not self.teller_id.text().strip() or not self.password.text():
            self.show_error(self.tr("Enter your teller ID and password."))
            return
        self.sig_sign_in_requested.emit(self.teller_id.text().strip(), self.password.text())

    def set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.password.clear()
        self.password.setFocus()

    def reset(self) -> None:
        self.password.clear()
        self.error.clear()
        self.teller_id.setFocus()

    def retranslate(self) -> None:
        self.subtitle.setText(self.tr("Counter fraud screening — teller sign-in"))
        self.teller_label.setText(self.tr("&Teller ID"))
        self.password_label.setText(self.tr("&Password"))
        self.teller_id.setAccessibleName(self.tr("Teller ID"))
        self.password.setAccessibleName(self.tr("Password"))
        self.sign_in_button.setText(self.tr("Sign in"))
        self.sign_in_button.setAccessibleName(self.tr("Sign in"))
        lines = [self.tr("DEMO service — demo sign-ins:")]
        for account in self._demo_accounts:
            role = self.tr("supervisor") if account.role == "supervisor" else self.tr("teller")
            lines.append(f"  {account.teller_id}  {account.name}  ({role})  {account.password}")
        self.demo.setText("\n".join(lines))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class LockPage(QWidget):
    """Shown after the idle time: hides every customer detail until the teller's password is given."""

    sig_unlock_requested = Signal(str)
    """The teller typed their password to unlock."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel()
        self.message.setStyleSheet("font-size: 14pt;")
        self.message.setWordWrap(True)
        self.message.setObjectName("lockMessage")
        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.unlock_button = QPushButton()
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.setDefault(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b91c1c;")
        box = QWidget()
        # A fixed width lets the wrapped message compute its height (a maximum width alone clips it).
        box.setFixedWidth(520)
        inner = QVBoxLayout(box)
        inner.addWidget(self.message)
        inner.addWidget(self.password)
        inner.addWidget(self.error)
        inner.addWidget(self.unlock_button)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.teller_name = ""
        self.unlock_button.clicked.connect(self._request)
        self.password.returnPressed.connect(self._request)
        self.retranslate()

    def _request(self) -> None:
        if self.password.text():
            self.sig_unlock_requested.emit(self.password.text())

    def show_for(self, teller_name: str) -> None:
        self.teller_name = teller_name
        self.password.clear()
        self.error.clear()
        self.retranslate()
        self.password.setFocus()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.password.clear()
        self.password.setFocus()

    def retranslate(self) -> None:
        self.message.setText(
            self.tr("Screen locked after inactivity. {name}, enter your password to continue.").format(
                name=self.teller_name
            )
        )
        # Layouts in a stacked page do not ask a wrapped label for its height; give it explicitly.
        self.message.setMinimumHeight(self.message.heightForWidth(500))
        self.password.setAccessibleName(self.tr("Password"))
        self.unlock_button.setText(self.tr("Unlock"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
