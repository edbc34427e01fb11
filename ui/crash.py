"""Crash handling: log and tell the teller in plain words; keep native crashes for the next start."""

import faulthandler
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6.QtCore import QCoreApplication, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("counterguard.app.crash")
_state: dict[str, IO[str]] = {}  # the open native-crash file while installed


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    log.critical("unexpected error:\n%s", "".join(traceback.format_exception(kind, error, tb)))
    if QApplication.instance() is not None:
        QMessageBox.critical(
            None,
            QCoreApplication.translate("crash", "CounterGuard error"),
            QCoreApplication.translate(
                "crash",
                "Something went wrong inside CounterGuard. The current step was not completed; "
                "check the screen before continuing. The details are in the log for IT.",
            ),
        )


def _qt_messages(kind: QtMsgType, _context: object, message: str) -> None:
    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }.get(kind, logging.WARNING)
    logging.getLogger("counterguard.ui.qt").log(level, "%s", message)


def install(log_folder: Path) -> str | None:
    """Install the handlers; returns the previous run's native crash report, if there was one."""
    fault_path = log_folder / "native-crash.log"
    previous = None
    if fault_path.exists() and fault_path.stat().st_size > 0:
        previous = fault_path.read_text(encoding="utf-8", errors="replace")
        log.error("CounterGuard stopped unexpectedly last time:\n%s", previous)
        fault_path.replace(log_folder / "native-crash.previous.log")
    _state["fault_file"] = fault_path.open("w", encoding="utf-8")
    faulthandler.enable(_state["fault_file"])
    sys.excepthook = _excepthook
    qInstallMessageHandler(_qt_messages)
    return previous


def uninstall() -> None:
    faulthandler.disable()
    sys.excepthook = sys.__excepthook__
    fault_file = _state.pop("fault_file", None)
    if fault_file is not None:
        fault_file.close()
        # A clean exit leaves no report behind.
        Path(fault_file.name).unlink(missing_ok=True)
