"""Qt translations (ours and Qt's own), switchable at run time, and a CJK font that never shows boxes."""

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from ui.resources import asset

log = logging.getLogger("counterguard.ui.i18n")

LANGUAGES = ("zh-CN", "en")
# Tried in order; the first one installed becomes the UI font, the rest are fallbacks.
CJK_FONTS = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "PingFang SC",
)


class Translations:
    """Installs our .qm and Qt's own (buttons of standard dialogs) for the chosen language."""

    def __init__(self) -> None:
        self._installed: list[QTranslator] = []
        self.language = "en"

    def apply(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        for translator in self._installed:
            QCoreApplication.removeTranslator(translator)
        self._installed.clear()
        if language == "zh-CN":
            ours = QTranslator()
            if not ours.load(str(asset("i18n", "counterguard_zh_CN.qm"))):
                log.error("translation file missing: %s", asset("i18n", "counterguard_zh_CN.qm"))
            qt_own = QTranslator()
            qt_own.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
            for translator in (ours, qt_own):
                if not translator.isEmpty():
                    QCoreApplication.installTranslator(translator)
                    self._installed.append(translator)
            QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
        else:
            QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
        self.language = language
        log.info("language %s", language)


def apply_fonts(app: QApplication) -> None:
    families = set(QFontDatabase.families())
    available = [family for family in CJK_FONTS if family in families]
    if not available:
        log.warning("no CJK font installed: Chinese text may show as boxes (install e.g. fonts-noto-cjk)")
        return
    font = QFont(app.font())
    font.setFamilies([available[0], *available[1:], font.family()])
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
