"""Guards against a Qt binding that miscounts references: PySide6 6.12.0 lost one to None per call."""

import sys

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

CALLS = 3000


def test_calls_that_return_nothing_keep_none_alive(qtbot: QtBot) -> None:
    editor = QLineEdit()
    qtbot.addWidget(editor)
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        editor.setText("6222")  # returns None: the binding must add the reference it hands back
        editor.clear()
    # On Python 3.11 None is not immortal: a steady loss ends in "deallocating None" and a crash.
    assert sys.getrefcount(None) > before - CALLS // 10
