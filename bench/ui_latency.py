"""Teller UI latency, offscreen: from pressing "screen" to the risk warning being shown.

Drives the real window against the screening service running as a separate process (SQLite, demo
data) for a number of warn remittances, and measures for each the time from the submit key to the
dialog's show, and the longest stall of the GUI thread meanwhile (a 2 ms heartbeat timer: a gap
longer than its interval means the event loop was blocked). Target: p99 under 100 ms and no
stall over 50 ms. Prints a last summary line and writes the figures to docs/performance.md.

    uv run python bench/ui_latency.py [--runs 60]
"""

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "faces"
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QEventLoop, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from bench.perfdoc import write_section  # noqa: E402
from teller_client import credentials  # noqa: E402
from teller_client.desk import Desk  # noqa: E402
from teller_client.runtime import open_runtime  # noqa: E402
from teller_client.settings import load_settings  # noqa: E402
from teller_client.validation import resident_id_check_char  # noqa: E402
from tests.conftest import MemoryKeyring  # noqa: E402
from tests.service.conftest import seeded, start_service  # noqa: E402
from tests.ui.stall_monitor import StallMonitor  # noqa: E402
from ui import tasks  # noqa: E402
from ui.app import create_application  # noqa: E402
from ui.i18n import Translations  # noqa: E402
from ui.screenshots import _fill_remittance, _type, wait_until  # noqa: E402
from ui.teller_window import TellerWindow  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def identify_only(window: TellerWindow, serial: int) -> None:
    """Confirm a customer's identity and stop at the face check."""
    first17 = f"1101051985{(serial // 28) % 12 + 1:02d}{serial % 28 + 1:02d}{serial % 1000:03d}"
    number = first17 + resident_id_check_char(first17)
    panel = window.customer_panel
    _type(panel.id_number.editor, number)
    panel._id_number_edited(number)
    _type(panel.customer_name.editor, "赵敏")
    panel.confirm()
    wait_until(panel.face_box.isEnabled)


def identify(window: TellerWindow, serial: int) -> None:
    identify_only(window, serial)
    panel = window.customer_panel
    _type(panel.alternative.editor, "联网核查身份证，人证一致")
    panel.alternative_button.click()
    wait_until(window.form.submit_button.isEnabled)


def run(runs: int) -> dict[str, float]:  # noqa: PLR0915 - one scripted session, top to bottom
    import keyring

    keyring.set_keyring(MemoryKeyring())
    app = create_application()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COUNTERGUARD_DATA_DIR"] = scratch
        database = f"sqlite:///{Path(scratch) / 'service.db'}"
        seed = seeded(database)
        service = start_service(database, Path(scratch))
        try:
            credentials.store_terminal_key(service.url, seed.counter_key)
            settings = dataclasses.replace(
                load_settings({"service_url": service.url, "language": "zh-CN"}),
                minimum_reading_seconds=0,
                # The shared clip stands in for the webcam; the face check runs while we watch the GUI.
                camera_source=str(FACES / "clips" / "hamilton_short.mp4"),
                face_challenge_seconds=8.0,
            )
            runtime = open_runtime(settings, start_delivery=False)
            translations = Translations()
            translations.apply("zh-CN")
            window = TellerWindow(Desk(runtime), translations)
            window.resize(1366, 768)
            window.show()
            window.sign_in_page.teller_id.setText("T1001")
            window.sign_in_page.password.setText("teller-demo-1")
            window.sign_in_page.sign_in_button.click()
            wait_until(lambda: window.page == "work")
            monitor = StallMonitor()
            latencies: list[float] = []
            stalls: list[float] = []
            shown_at: list[float] = []
            window.sig_dialog_opened.connect(lambda _dialog: shown_at.append(time.perf_counter()))
            for serial in range(runs + 3):  # the first three warm caches and are not counted
                identify(window, serial)
                _fill_remittance(window, ("6212260200001234562", "王小明"), "刷单返利", "3000")
                shown_at.clear()
                monitor.start()
                started = time.perf_counter()
                QTest.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
                wait_until(lambda: bool(shown_at))
                QEventLoop().processEvents()
                stall = monitor.stop()
                dialog = window.current_dialog
                assert dialog is not None
                if serial >= 3:
                    latencies.append((shown_at[0] - started) * 1000)
                    stalls.append(stall)
                dialog.cancel_button.click()  # type: ignore[attr-defined]
                wait_until(lambda: window.current_dialog is None)
            face_stall, preview_fps = measure_face_check(window, monitor)
            tasks.wait_for_all()
            window.session = None
            window.close()
            window.deleteLater()
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # Qt objects go before Python's GC runs
            runtime.close()
        finally:
            service.stop()
    return {
        "runs": float(len(latencies)),
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "stall_max": max(stalls),
        "stall_p99": percentile(stalls, 0.99),
        "face_stall": face_stall,
        "preview_fps": preview_fps,
    }


def measure_face_check(window: TellerWindow, monitor: StallMonitor) -> tuple[float, float]:
    """The longest GUI stall and the preview rate while the camera runs and faces are analysed."""
    window.new_customer()
    identify_only(window, 999)
    face = window.customer_panel.face
    face.consent_yes.click()
    face.load_reference_file(str(FACES / "people" / "lin_manuel_miranda" / "lin1.png"))
    wait_until(face.start_button.isEnabled, timeout=60)
    drawn: list[float] = []
    original = face._draw_preview

    def counting_draw() -> None:
        original()
        drawn.append(time.perf_counter())

    face.preview_timer.timeout.disconnect()
    face.preview_timer.timeout.connect(counting_draw)
    monitor.start()
    face.start_button.click()
    wait_until(lambda: bool(face.result.text()), timeout=60)
    stall = monitor.stop()
    face.reset()
    span = drawn[-1] - drawn[0] if len(drawn) > 1 else 0.0
    return stall, (len(drawn) - 1) / span if span else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args()
    result = run(args.runs)
    meets = result["p99"] < 100 and result["stall_max"] < 50 and result["face_stall"] < 50
    summary = (
        f"ui_latency: submit->warning p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"longest GUI stall {result['stall_max']:.1f} ms over {int(result['runs'])} runs; "
        f"face check: longest GUI stall {result['face_stall']:.1f} ms, "
        f"preview {result['preview_fps']:.0f} fps "
        f"({'meets' if meets else 'MISSES'} p99<100 ms, stalls<50 ms)"
    )
    if not args.no_doc:
        machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, Qt offscreen"
        body = f"""Measured {date.today().isoformat()} on this machine ({machine}), the window driven
against the screening service as a separate process (SQLite, demo data), {int(result["runs"])} warn
remittances after 3 warm-up runs.
Reproduce with `uv run python bench/ui_latency.py --runs {int(result["runs"])}`.

| measure | p50 ms | p99 ms | max ms | target |
|---|---|---|---|---|
| submit key -> risk warning shown | {result["p50"]:.1f} | {result["p99"]:.1f} | {result["max"]:.1f} \
| p99 < 100 |
| longest GUI-thread stall per run | - | {result["stall_p99"]:.1f} | {result["stall_max"]:.1f} | < 50 |
| longest GUI-thread stall during a face check | - | - | {result["face_stall"]:.1f} | < 50 |

During the face check (camera: the shared 30 fps clip played in real time, analysis on the
verification thread) the preview was drawn at {result["preview_fps"]:.0f} frames/s.

The screening call, the audit writes and the acknowledgement run on worker threads
(`ui/tasks.py`); the GUI thread only builds the dialog. Result: {"target met" if meets else "target missed"}.
"""
        write_section("Teller UI latency (bench/ui_latency.py)", body, "ui_latency")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
