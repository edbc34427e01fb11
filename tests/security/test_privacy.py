"""Privacy of the face check, end to end: after a whole verification session through the teller
window (camera: the shared clip; reference: a photo; a match decision; the remittance screened and
acknowledged; the customer's session ended; sign-out), no image and no face encoding is on disk
anywhere the app or the service writes: the temp folder, the data folder, the logs and crash
files, the service's database and log. Only outcome, distance, liveness and the quality-gate
history leave the face package.

tests/face/test_verification.py checks that a verification core run writes no new file; this
test drives the window and the service too, and reads every byte of what they left behind.
"""

import dataclasses
import json
import random
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import keyring
import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from screening_service.database import make_engine
from screening_service.schema import audit_records, screenings
from teller_client import credentials, paths
from teller_client.desk import Desk
from teller_client.face import analysis
from teller_client.face.liveness import Turn, new_challenge
from teller_client.logs import setup_logging, stop_logging
from teller_client.masking import mask_text
from teller_client.runtime import open_runtime
from teller_client.settings import load_settings
from teller_client.workflow import FaceSummary
from tests.conftest import MemoryKeyring
from tests.face.conftest import face_file
from tests.service.conftest import ServiceProcess, new_resident_id, seeded, start_service
from tests.ui.test_teller_flow import CLEAN, key_remittance, type_into
from ui import crash, face_panel, tasks
from ui.i18n import Translations
from ui.teller_window import TellerWindow

TIMEOUT_MS = 20_000
FACE_TIMEOUT_MS = 90_000
CLIP = "clips/hamilton_short.mp4"
CLIP_FRAMES = (84, 171)  # facing the camera, a turn to his right, back, a turn to his left
REFERENCE = "people/lin_manuel_miranda/lin1.png"  # the singer in the clip
FACE_KEYS = {"outcome", "distance", "liveness", "quality_history", "attempt"}
OTHER_STEP_KEYS = {"given", "wording", "reason", "alternative_check"}  # consent, the alternative check
RECORD_ENVELOPE = {"session_id", "teller_id", "branch_id", "state_before", "state_after"}

# Image containers, as they start: JPEG (JFIF/Exif/raw), PNG, GIF, BMP (file and DIB headers), WebP,
# TIFF, NumPy's .npy; and the base64 openings of JPEG and PNG, for text files.
IMAGE_SIGNATURES = {
    "JPEG": re.compile(rb"\xff\xd8\xff[\xc0\xc4\xdb\xe0-\xef\xfe]"),
    "PNG": re.compile(rb"\x89PNG\r\n\x1a\n"),
    "GIF": re.compile(rb"GIF8[79]a"),
    "BMP": re.compile(rb"BM.{4}\x00\x00\x00\x00.\x00\x00\x00(?:\x28|\x6c|\x7c)\x00\x00\x00", re.DOTALL),
    "WebP": re.compile(rb"RIFF.{4}WEBP", re.DOTALL),
    "TIFF": re.compile(rb"II\x2a\x00\x08\x00\x00\x00|MM\x00\x2a\x00\x00\x00\x08"),
    "npy": re.compile(rb"\x93NUMPY"),
    "base64 JPEG": re.compile(rb"/9j/4[AQ]"),
    "base64 PNG": re.compile(rb"iVBORw0KGgo"),
}


@dataclasses.dataclass
class Seen:
    """What the face pipeline held in memory: the frames it encoded and every encoding."""

    frames: list[np.ndarray] = dataclasses.field(default_factory=list)
    encodings: list[np.ndarray] = dataclasses.field(default_factory=list)


class RecordingEncoder:
    """dlib's encoder, passed through; keeps each frame it encoded and each encoding it made."""

    def __init__(self, encoder: Any, seen: Seen) -> None:
        self._encoder = encoder
        self._seen = seen

    def compute_face_descriptor(self, image: Any, *args: Any) -> Any:
        descriptor = self._encoder.compute_face_descriptor(image, *args)
        self._seen.frames.append(np.array(image, copy=True))
        self._seen.encodings.append(np.array(descriptor, dtype=np.float64))
        return descriptor


def right_turn_first() -> random.Random:
    """The challenge asks for the turn the clip's singer makes first (he then turns the other way):
    the customer follows the instruction."""
    for seed in range(100):
        if new_challenge(random.Random(seed)).steps[0] is Turn.RIGHT:
            return random.Random(seed)
    raise AssertionError("no seed starts with a right turn")


def write_camera_frames(folder: Path) -> Path:
    """The clip's frames where the singer faces the camera, turns right, back, then left: a camera's
    view of a customer following the instructions (test input, outside every folder checked)."""
    capture = cv2.VideoCapture(str(face_file(CLIP)))
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if CLIP_FRAMES[0] <= index < CLIP_FRAMES[1]:
            cv2.imwrite(str(folder / f"frame{index:04d}.png"), frame)
        index += 1
    capture.release()
    assert len(list(folder.iterdir())) == CLIP_FRAMES[1] - CLIP_FRAMES[0]
    return folder


# ================================================================ the session


def verify_face_and_remit(window: TellerWindow, qtbot: QtBot) -> FaceSummary:
    page = window.sign_in_page
    page.teller_id.setText("T1001")
    page.password.setText("teller-demo-1")
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS):
        qtbot.keyClick(page.password, Qt.Key.Key_Return)
    panel = window.customer_panel
    number = new_resident_id(1981, 3, 9)
    type_into(panel.id_number.editor, number)
    panel._id_number_edited(number)
    type_into(panel.customer_name.editor, "林曼努")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    face = panel.face
    qtbot.waitUntil(face.isEnabled, timeout=TIMEOUT_MS)
    qtbot.mouseClick(face.consent_yes, Qt.MouseButton.LeftButton)
    face.load_reference_file(str(face_file(REFERENCE)))
    qtbot.waitUntil(face.start_button.isEnabled, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(face.sig_result, timeout=FACE_TIMEOUT_MS) as finished:
        qtbot.mouseClick(face.start_button, Qt.MouseButton.LeftButton)
    summary = finished.args[0]
    assert isinstance(summary, FaceSummary)
    assert summary.outcome == "match", summary
    if summary.liveness != "passed":
        # On a loaded machine frames are dropped and a turn can be missed: the teller records the
        # alternative check, and the session goes on (what is on disk is checked either way).
        qtbot.waitUntil(panel.alternative_button.isEnabled, timeout=TIMEOUT_MS)
        type_into(panel.alternative.editor, "联网核查身份证，人证一致")
        qtbot.mouseClick(panel.alternative_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.form.submit_button.isEnabled, timeout=TIMEOUT_MS)
    key_remittance(window, CLEAN)
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    assert recorded.args == ["proceed"]
    window.new_customer()  # the customer's session ends: every image and encoding is dropped
    window.sign_out()
    return summary


@dataclasses.dataclass
class Left:
    """What the session left on disk, and what it held in memory."""

    files: list[Path]
    seen: Seen
    summary: FaceSummary
    database_url: str


def app_files(folders: list[Path]) -> set[Path]:
    return {path for folder in folders if folder.exists() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def left_behind(
    request: pytest.FixtureRequest, qapp: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Left]:
    """One whole session for the module; the tests read what it left behind."""
    root = tmp_path_factory.mktemp("privacy")
    camera = write_camera_frames(tmp_path_factory.mktemp("camera"))
    data, temp, service_folder = root / "data", root / "temp", root / "service"
    for folder in (data, temp, service_folder):
        folder.mkdir()
    seen = Seen()
    real_models = analysis._models

    def recording_models() -> Any:
        models = real_models()
        return dataclasses.replace(models, encoder=RecordingEncoder(models.encoder, seen))

    previous_keyring = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COUNTERGUARD_DATA_DIR", str(data))
        patch.setattr(tempfile, "tempdir", str(temp))
        for variable in ("TMPDIR", "TEMP", "TMP"):
            patch.setenv(variable, str(temp))
        patch.setattr(analysis, "_models", recording_models)
        patch.setattr(face_panel.random, "SystemRandom", right_turn_first)
        database = f"sqlite:///{service_folder / 'screening.db'}"
        seed = seeded(database)
        service = start_service(database, service_folder)
        try:
            yield _run(QtBot(request), service, seed.counter_key, camera, seen, [data, temp, service_folder])
        finally:
            service.stop()
            keyring.set_keyring(previous_keyring)


def _run(
    qtbot: QtBot, service: ServiceProcess, key: str, camera: Path, seen: Seen, folders: list[Path]
) -> Left:
    credentials.store_terminal_key(service.url, key)
    settings = dataclasses.replace(
        load_settings(
            {
                "service_url": service.url,
                "language": "en",
                "camera_source": str(camera),
                "face_challenge_seconds": "20",
                "log_level": "DEBUG",
            }
        ),
        minimum_reading_seconds=0,
    )
    setup_logging(paths.log_dir(), "DEBUG")
    crash.install(paths.log_dir())
    runtime = open_runtime(settings)
    translations = Translations()
    translations.apply("en")
    window = TellerWindow(Desk(runtime), translations)
    window.resize(1366, 768)
    window.show()
    try:
        summary = verify_face_and_remit(window, qtbot)
        qtbot.waitUntil(lambda: runtime.audit.backlog() == 0, timeout=TIMEOUT_MS)  # delivered too
        # Read while the app still runs (its crash file open, the databases' journals there) ...
        while_running = {path: path.read_bytes() for path in app_files(folders)}
    finally:
        tasks.wait_for_all()
        window.close()
        runtime.close()
        stop_logging()
        crash.uninstall()
    # ... and after it stopped: a copy of each running-time file sits next to the final files.
    snapshots = folders[0].parent / "while-running"
    snapshots.mkdir()
    for number, (path, content) in enumerate(while_running.items()):
        (snapshots / f"{number:03d}-{path.name}").write_bytes(content)
    return Left(sorted(app_files([*folders, snapshots])), seen, summary, service.database_url)


# ================================================================ the checks


def textured_samples(image: np.ndarray, count: int = 4, width: int = 16) -> list[bytes]:
    """Row segments with many different values (a flat run of one colour would match anything)."""
    array = np.ascontiguousarray(image, dtype=np.uint8)
    rows, columns = array.shape[:2]
    samples: list[bytes] = []
    for row in np.linspace(rows // 4, 3 * rows // 4, 12).astype(int):
        for column in np.linspace(columns // 4, 3 * columns // 4 - width, 6).astype(int):
            segment = array[row, column : column + width]
            if len(np.unique(segment)) >= 24:
                samples.append(segment.tobytes())  # RGB as held
                samples.append(segment[:, ::-1].tobytes())  # BGR, as OpenCV would write it
                break
        if len(samples) >= 2 * count:
            break
    return samples


def binary_patterns(encoding: np.ndarray) -> set[bytes]:
    """Eight-byte forms of the 128 numbers: each float64 (little and big endian), and each pair of
    neighbouring float32s (a pair, so that a 4-byte coincidence cannot match)."""
    patterns: set[bytes] = set()
    for order in "<>":
        patterns |= {value.tobytes() for value in encoding.astype(f"{order}f8")}
        as32 = encoding.astype(f"{order}f4")
        patterns |= {as32[index : index + 2].tobytes() for index in range(len(as32) - 1)}
    return patterns


def text_patterns(encoding: np.ndarray) -> set[bytes]:
    """The numbers as decimal text: in full (JSON, repr), to 7 and 8 places (NumPy prints 8), and
    as a log line shows a long number after the masking filter took it for an account number."""
    texts: set[str] = set()
    for value in (float(value) for value in encoding):
        if abs(value) >= 1e-2:
            texts |= {repr(value), mask_text(repr(value)), f"{value:.7f}", f"{value:.8f}"}
    return {text.encode() for text in texts}


def windows(data: bytes, width: int = 8) -> set[bytes]:
    return {data[start : start + width] for start in range(len(data) - width + 1)}


def test_the_session_really_saw_faces_and_wrote_files(left_behind: Left) -> None:
    assert left_behind.summary.outcome == "match" and left_behind.summary.distance is not None
    assert len(left_behind.seen.encodings) >= 3  # the reference and live frames
    assert all(encoding.shape == (128,) for encoding in left_behind.seen.encodings)
    names = {path.name for path in left_behind.files}
    assert {"audit.db", "app.log", "face.log"} <= names and any(
        name.startswith("screening.db") for name in names
    )


def test_no_image_file_or_image_bytes_anywhere(left_behind: Left) -> None:
    found: dict[str, list[str]] = {}
    for path in left_behind.files:
        data = path.read_bytes()
        for kind, signature in IMAGE_SIGNATURES.items():
            if signature.search(data):
                found.setdefault(kind, []).append(str(path))
    assert found == {}


def test_no_raw_frame_or_reference_pixels_anywhere(left_behind: Left) -> None:
    samples = {sample for frame in left_behind.seen.frames for sample in textured_samples(frame, count=2)}
    assert len(samples) >= 2 * len(left_behind.seen.frames)
    holding = [str(path) for path in left_behind.files if any(s in path.read_bytes() for s in samples)]
    assert holding == []


def test_no_face_encoding_anywhere(left_behind: Left) -> None:
    binary = set().union(*(binary_patterns(encoding) for encoding in left_behind.seen.encodings))
    text = set().union(*(text_patterns(encoding) for encoding in left_behind.seen.encodings))
    assert len(binary) > 500 * len(left_behind.seen.encodings) // 2 and text
    as_text = re.compile(b"|".join(re.escape(pattern) for pattern in sorted(text)))
    holding: dict[str, int] = {}
    for path in left_behind.files:
        data = path.read_bytes()
        hits = len(binary & windows(data)) + len(as_text.findall(data))
        if hits:
            holding[str(path)] = hits
    assert holding == {}


def test_records_hold_only_outcome_distance_liveness_and_quality_history(left_behind: Left) -> None:
    engine = make_engine(left_behind.database_url)
    with engine.connect() as connection:
        delivered = {
            row.kind: json.loads(row.payload_json) for row in connection.execute(select(audit_records))
        }
        (screening,) = connection.execute(select(screenings)).all()
    engine.dispose()
    face_records = {kind: payload for kind, payload in delivered.items() if kind.startswith("face_")}
    verified = face_records.get("face_verified") or face_records.get("face_attempt_failed")
    assert verified is not None, sorted(delivered)
    for kind, payload in face_records.items():
        assert set(payload) <= FACE_KEYS | OTHER_STEP_KEYS | RECORD_ENVELOPE, (kind, payload)
    assert verified["outcome"] == "match" and verified["distance"] == left_behind.summary.distance
    assert all(re.fullmatch(r"[a-z_]+:\d+", item) for item in verified["quality_history"])
    # The service keeps the outcome only; its stored answer has no face data either.
    assert screening.face_outcome in ("match", "inconclusive", "not_performed")
    assert "encoding" not in screening.response_json and "image" not in screening.response_json
