"""`--self-test`'s window check: the teller window opens on the sign-in page, paints, and closes.

The window is shown with WA_DontShowOnScreen, so the check runs on the real platform plugin where
there is a display (proving it is bundled) without flashing a window at the teller; without a
display (headless Linux) Qt's offscreen platform is used.
"""

import os
import sys

from PySide6.QtCore import QCoreApplication, Qt

from teller_client.desk import Desk
from teller_client.runtime import Runtime
from teller_client.selftest import CheckFailedError
from teller_client.settings import Settings


def use_offscreen_without_display() -> None:
    """Qt's offscreen platform when there is no display to open (before QApplication exists)."""
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def check_main_window(runtime: Runtime) -> str:
    use_offscreen_without_display()
    from ui import tasks
    from ui.app import create_application
    from ui.i18n import Translations
    from ui.teller_window import TellerWindow

    app = create_application()
    translations = Translations()
    translations.apply(runtime.settings.language)
    window = TellerWindow(Desk(runtime), translations)
    try:
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        window.resize(1366, 768)
        window.show()
        QCoreApplication.processEvents()
        if not window.isVisible():
            raise CheckFailedError("the teller window did not open")
        if window.stack.currentWidget() is not window.sign_in_page:
            raise CheckFailedError("the teller window did not open on the sign-in page")
        image = window.grab().toImage()
        if image.isNull() or image.width() < 1024:
            raise CheckFailedError("the teller window did not paint")
        title = window.windowTitle()
    finally:
        window.close()
        QCoreApplication.processEvents()
        closed = not window.isVisible()
        window.deleteLater()
        tasks.wait_for_all()
    if not closed:
        raise CheckFailedError("the teller window did not close")
    return f"'{title}' opened on the sign-in page ({app.platformName()} platform) and closed"


def startup_probe(settings: Settings, camera_frames: int) -> int:
    """For bench/bundle_metrics.py: start like the app, report when the sign-in window is shown,
    then run the camera and face analysis for `camera_frames` frames and report resident memory.
    """
    from teller_client.face.analysis import FaceAnalyzer
    from teller_client.face.camera import parse_source
    from teller_client.runtime import open_runtime
    from ui import tasks
    from ui.app import create_application
    from ui.i18n import Translations
    from ui.teller_window import TellerWindow

    use_offscreen_without_display()
    app = create_application()
    translations = Translations()
    translations.apply(settings.language)
    runtime = open_runtime(settings)
    window = TellerWindow(Desk(runtime), translations)
    try:
        window.resize(1366, 768)
        window.show()
        QCoreApplication.processEvents()
        print(f"STARTUP-PROBE shown {window.stack.currentWidget() is window.sign_in_page}", flush=True)
        if camera_frames:
            source = parse_source(settings.camera_source).create()
            analyzer = FaceAnalyzer()
            source.open()
            try:
                for _ in range(camera_frames):
                    analyzer.analyze(source.read(), encode=True)
                    QCoreApplication.processEvents()
            finally:
                source.close()
            print(f"STARTUP-PROBE memory {_memory()}", flush=True)
    finally:
        window.close()
        tasks.wait_for_all()
        runtime.close()
    del app
    return 0


def _memory() -> str:
    """Resident and peak memory in MB from /proc (Linux); 'unknown' elsewhere."""
    status = "/proc/self/status"
    if not os.path.exists(status):
        return "unknown"
    with open(status, encoding="ascii") as lines:
        values = dict(line.split(":", 1) for line in lines if line.startswith(("VmRSS", "VmHWM")))
    return " ".join(f"{key}={int(value.split()[0]) / 1024:.0f}" for key, value in sorted(values.items()))
