"""Small building blocks shared by the screens: a labelled field with its inline error, decision colours."""

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QBoxLayout, QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

DECISION_COLOURS = {
    # (text, background): readable on screen and when printed in grey.
    "allow": ("#14532d", "#dcfce7"),
    "warn": ("#7c2d12", "#fef3c7"),
    "hold": ("#7c2d12", "#fed7aa"),
    "block": ("#7f1d1d", "#fecaca"),
    "unavailable": ("#1e293b", "#e2e8f0"),
}


class FieldRow(QWidget):
    """A caption, the input, and the inline error under it (announced to screen readers)."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.caption = QLabel()
        self.caption.setBuddy(editor)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(editor)
        layout.addWidget(self.error)

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)
        self.editor.setAccessibleName(text.replace("&", ""))

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.editor.setAccessibleDescription(message or "")
        self.editor.setProperty("invalid", bool(message))
        self.editor.setStyleSheet("border: 1px solid #b91c1c;" if message else "")

    @property
    def has_error(self) -> bool:
        return self.error.isVisible() or bool(self.error.text())


def decision_banner_style(decision: str) -> str:
    text, background = DECISION_COLOURS.get(decision, DECISION_COLOURS["unavailable"])
    return (
        f"QLabel {{ color: {text}; background: {background}; border-radius: 4px; padding: 8px;"
        " font-weight: bold; }"
    )


class BlockingDialog(QDialog):
    """An application-modal dialog that cannot be dismissed: Esc, the close button and Alt+F4 do
    nothing. It closes only through finish(), once the teller's choice has been recorded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._finished = False
        self.setModal(True)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        # No close button in the title bar.
        self.setWindowFlags(
            Qt.WindowType.Dialog | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint
        )

    def reject(self) -> None:
        """Esc and the window manager's close land here: a choice is needed, so nothing happens."""

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._finished:
            event.accept()
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)

    def finish(self) -> None:
        """Called by the window once the choice is recorded."""
        self._finished = True
        self.accept()


class TlsWarningBanner(QLabel):
    """The red line at the top of every screen while the developer flag turns TLS verification off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insecureTlsBanner")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: #b91c1c; color: white; font-weight: bold; padding: 6px 10px;")
        self.retranslate()

    def retranslate(self) -> None:
        self.setText(
            self.tr(
                "TLS VERIFICATION IS OFF (developer mode) — the screening service's identity is not "
                "checked. Not for production: do not serve customers on this terminal."
            )
        )
        self.setAccessibleName(self.text())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def add_tls_warning(widget: QWidget) -> TlsWarningBanner:
    """Put the TLS warning at the top of a screen or dialog laid out by a box or form layout."""
    banner = TlsWarningBanner(widget)
    layout = widget.layout()
    if isinstance(layout, QBoxLayout):
        layout.insertWidget(0, banner)
    elif isinstance(layout, QFormLayout):
        layout.insertRow(0, banner)
    else:
        raise TypeError(f"{widget.objectName() or type(widget).__name__}: no layout to put the banner in")
    return banner
