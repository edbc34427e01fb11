"""Every visible string is translated, Qt's own strings too; crash reports survive to the next start."""

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from ui import crash
from ui.i18n import Translations
from ui.resources import asset

ROOT = Path(__file__).resolve().parents[2]


def test_every_string_in_ui_has_a_zh_cn_translation(tmp_path: Path) -> None:
    extracted = tmp_path / "current.ts"
    sources = sorted(str(path) for path in (ROOT / "ui").glob("*.py"))
    subprocess.run(
        [str(Path(sys.executable).with_name("pyside6-lupdate")), *sources, "-ts", str(extracted)],
        check=True,
        capture_output=True,
    )
    in_code = {message.findtext("source") for message in ElementTree.parse(extracted).iter("message")}
    committed = {
        message.findtext("source"): message.find("translation")
        for message in ElementTree.parse(asset("i18n", "counterguard_zh_CN.ts")).iter("message")
    }
    missing = sorted(source or "" for source in in_code if source not in committed)
    assert missing == [], "run `uv run python tools/update_translations.py`"
    unfinished = sorted(
        source or ""
        for source, translation in committed.items()
        if translation is None
        or not (translation.text or "").strip()
        or translation.get("type") == "unfinished"
    )
    assert unfinished == []
    qm = asset("i18n", "counterguard_zh_CN.qm")
    assert qm.stat().st_mtime >= asset("i18n", "counterguard_zh_CN.ts").stat().st_mtime - 1


def test_chinese_and_qt_own_strings_load(qtbot: QtBot) -> None:
    translations = Translations()
    translations.apply("zh-CN")
    try:
        assert QCoreApplication.translate("SignInPage", "Sign in") == "登录"
        # Qt's own dialog buttons come from qtbase_zh_CN.qm.
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        translations.apply("en")
    assert QCoreApplication.translate("SignInPage", "Sign in") == "Sign in"


def test_a_native_crash_report_is_found_at_the_next_start(tmp_path: Path) -> None:
    (tmp_path / "native-crash.log").write_text("Fatal Python error: Segmentation fault\n", encoding="utf-8")
    previous = crash.install(tmp_path)
    try:
        assert previous is not None and "Segmentation fault" in previous
        assert (tmp_path / "native-crash.previous.log").exists()
        assert (tmp_path / "native-crash.log").exists()  # open for this run
    finally:
        crash.uninstall()
    assert not (tmp_path / "native-crash.log").exists()  # a clean exit leaves none
    assert crash.install(tmp_path) is None
    crash.uninstall()
