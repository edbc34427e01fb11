"""Starts the teller application: Qt, fonts, translations, crash handling, the core runtime, the window."""

import logging
import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from teller_client import paths
from teller_client.desk import Desk
from teller_client.runtime import StartupError, open_runtime
from teller_client.settings import Settings
from ui import crash, tasks
from ui.i18n import Translations, apply_fonts
from ui.kiosk_window import KioskWindow
from ui.teller_window import TellerWindow

log = logging.getLogger("counterguard.app")


def create_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("CounterGuard")
    app.setOrganizationName("CounterGuard")
    apply_fonts(app)
    return app


def run(settings: Settings) -> int:
    app = create_application()
    translations = Translations()
    translations.apply(settings.language)  # before any widget exists, so every text starts translated
    previous_crash = crash.install(paths.log_dir())
    try:
        runtime = open_runtime(settings)
    except StartupError as error:
        QMessageBox.critical(None, QCoreApplication.translate("app", "CounterGuard cannot start"), str(error))
        crash.uninstall()
        return 2
    try:
        window: QWidget
        if settings.kiosk:
            kiosk = KioskWindow(runtime, translations)
            kiosk.sig_exit_approved.connect(app.quit)
            kiosk.show_kiosk()
            window = kiosk
        else:
            window = TellerWindow(Desk(runtime), translations)
            window.resize(1366, 768)
            window.show()
        if previous_crash:
            QMessageBox.information(
                window,
                QCoreApplication.translate("app", "CounterGuard"),
                QCoreApplication.translate(
                    "app", "CounterGuard closed unexpectedly last time. A report was saved for IT."
                ),
            )
        return app.exec()
    finally:
        tasks.wait_for_all()
        runtime.close()
        crash.uninstall()
