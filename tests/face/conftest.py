"""Shared face data and one analyzer for the whole session: the models and encodings are costly."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from teller_client.face.analysis import FaceAnalyzer, load_image

FACES = Path(__file__).resolve().parents[2].parent / "shared" / "faces"
SKIP_REASON = f"face data missing: {FACES} (the shared folder next to the repository, see its README.md)"


def face_file(relative: str) -> Path:
    path = FACES / relative
    if not path.exists():
        pytest.skip(SKIP_REASON)
    return path


@pytest.fixture(scope="session")
def image() -> Callable[[str], np.ndarray]:
    """RGB image of a file under ../shared/faces, decoded once."""
    cache: dict[str, np.ndarray] = {}

    def get(relative: str) -> np.ndarray:
        if relative not in cache:
            cache[relative] = load_image(face_file(relative).read_bytes())
        return cache[relative]

    return get


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    if not FACES.exists():
        pytest.skip(SKIP_REASON)
    return FaceAnalyzer()


@pytest.fixture(scope="session")
def clip_frames() -> list[np.ndarray]:
    """Every frame of the shared clip, RGB."""
    capture = cv2.VideoCapture(str(face_file("clips/hamilton_short.mp4")))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    assert len(frames) > 200
    return frames


def chip_of(analyzer: FaceAnalyzer, photo: np.ndarray) -> np.ndarray:
    """The face cropped with ID-photo margins and scaled down to an ID-card chip's 102x126 px."""
    found = analyzer.analyze_photo(photo, encode=False)
    assert len(found.boxes) == 1
    box = found.boxes[0]
    width = 2 * box.width
    height = width * 126 / 102
    centre_x, centre_y = (box.left + box.right) / 2, (box.top + box.bottom) / 2 - 0.05 * height
    pad = round(height)
    padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = round(centre_x - width / 2) + pad, round(centre_y - height / 2) + pad
    crop = padded[y0 : y0 + round(height), x0 : x0 + round(width)]
    return np.ascontiguousarray(cv2.resize(crop, (102, 126), interpolation=cv2.INTER_AREA))
