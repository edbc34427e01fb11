"""Matching on real faces: same person matches, different people do not, chip-sized references work."""

import itertools
from collections.abc import Callable
from dataclasses import fields

import numpy as np
import pytest

from teller_client.face.analysis import FaceAnalyzer
from teller_client.face.matching import (
    MATCH_THRESHOLD,
    NO_MATCH_THRESHOLD,
    Matcher,
    MatchOutcome,
    decide,
)
from teller_client.settings import Settings
from tests.face.conftest import FACES, chip_of

Image = Callable[[str], np.ndarray]
OBAMA_PROBES = ("obama2.jpg", "obama3.jpg", "obama4_480p.jpg", "obama6_small.jpg", "obama7.jpg")
BIDEN_PROBES = ("biden/biden1.jpg", "biden/biden2.jpg")


@pytest.fixture(scope="module")
def probes(analyzer: FaceAnalyzer, image: Image) -> dict[str, np.ndarray]:
    """Single-photo encodings of other Obama photos and of Biden (as live frames would be)."""
    names = [f"obama/{name}" for name in OBAMA_PROBES] + list(BIDEN_PROBES)
    out = {}
    for name in names:
        encoding, issues = analyzer.photo_encoding(image(f"people/{name}"))
        assert encoding is not None, (name, issues)
        out[name] = encoding
    return out


@pytest.fixture(scope="module")
def obama_reference(analyzer: FaceAnalyzer, image: Image) -> np.ndarray:
    encoding, issues = analyzer.reference_encoding(image("people/obama/obama1.jpg"))
    assert issues == ()
    assert encoding is not None
    return encoding


def decide_over(reference: np.ndarray, encodings: list[np.ndarray]) -> tuple[MatchOutcome, float]:
    matcher = Matcher(reference, MATCH_THRESHOLD, NO_MATCH_THRESHOLD, frames_needed=len(encodings))
    decisions = [matcher.add(encoding) for encoding in encodings]
    assert decisions[:-1] == [None] * (len(encodings) - 1)
    final = decisions[-1]
    assert final is not None
    assert final.frames_used == len(encodings)
    return final.outcome, final.distance


def test_same_person_matches(obama_reference: np.ndarray, probes: dict[str, np.ndarray]) -> None:
    obama = [probes[f"obama/{name}"] for name in OBAMA_PROBES]
    outcome, distance = decide_over(obama_reference, obama)
    assert outcome is MatchOutcome.MATCH
    assert distance < MATCH_THRESHOLD - 0.05


def test_different_person_does_not_match(
    analyzer: FaceAnalyzer, image: Image, probes: dict[str, np.ndarray]
) -> None:
    biden, issues = analyzer.reference_encoding(image("people/biden/biden2.jpg"))
    assert biden is not None, issues
    obama = [probes[f"obama/{name}"] for name in OBAMA_PROBES]
    outcome, distance = decide_over(biden, obama)
    assert outcome is MatchOutcome.NO_MATCH
    assert distance > NO_MATCH_THRESHOLD


def test_chip_sized_reference_works(
    analyzer: FaceAnalyzer, image: Image, probes: dict[str, np.ndarray]
) -> None:
    chip = chip_of(analyzer, image("people/obama/obama1.jpg"))
    assert chip.shape == (126, 102, 3)
    reference, issues = analyzer.reference_encoding(chip)
    assert issues == ()
    assert reference is not None
    obama = [probes[f"obama/{name}"] for name in OBAMA_PROBES]
    assert decide_over(reference, obama)[0] is MatchOutcome.MATCH
    biden = [probes[name] for name in BIDEN_PROBES]
    assert decide_over(reference, biden)[0] is MatchOutcome.NO_MATCH


def test_live_clip_frames_match_the_singer_not_obama(
    analyzer: FaceAnalyzer, image: Image, clip_frames: list[np.ndarray], obama_reference: np.ndarray
) -> None:
    chip = chip_of(analyzer, image("people/lin_manuel_miranda/lin1.png"))
    lin, issues = analyzer.reference_encoding(chip)
    assert lin is not None, issues
    good = []
    for frame in clip_frames[84:220:3]:
        result = analyzer.analyze(frame, encode=True)
        if result.good:
            assert result.encoding is not None
            good.append(result.encoding)
        if len(good) == 5:
            break
    assert len(good) == 5
    assert decide_over(lin, good)[0] is MatchOutcome.MATCH
    assert decide_over(obama_reference, good)[0] is MatchOutcome.NO_MATCH


def test_johns_genuine_and_impostor_pairs(analyzer: FaceAnalyzer, image: Image) -> None:
    # Three crops of each of the five Johns: 15 genuine and 90 impostor pairs.
    encodings: dict[str, list[np.ndarray]] = {}
    folders = sorted(p for p in (FACES / "johns").iterdir() if p.is_dir())
    assert len(folders) == 5
    for folder in folders:
        for path in sorted(folder.iterdir())[:3]:
            encoding, issues = analyzer.photo_encoding(image(f"johns/{folder.name}/{path.name}"))
            assert encoding is not None, (path, issues)
            encodings.setdefault(folder.name, []).append(encoding)
    genuine = [
        float(np.linalg.norm(a - b))
        for same in encodings.values()
        for a, b in itertools.combinations(same, 2)
    ]
    impostor = [
        float(np.linalg.norm(a - b))
        for first, second in itertools.combinations(encodings.values(), 2)
        for a in first
        for b in second
    ]
    assert len(genuine) == 15
    assert len(impostor) == 90
    assert min(impostor) > NO_MATCH_THRESHOLD
    assert max(genuine) <= NO_MATCH_THRESHOLD
    assert sum(d <= MATCH_THRESHOLD for d in genuine) >= 14


def test_median_ignores_one_bad_frame() -> None:
    reference = np.zeros(128)
    matcher = Matcher(reference, 0.5, 0.6, frames_needed=5)
    distances = [0.3, 0.32, 0.9, 0.35, 0.31]  # one frame far off: a blink, a half-turned head
    decisions = [matcher.add(np.eye(128)[0] * d) for d in distances]
    assert decisions[:4] == [None] * 4
    final = decisions[4]
    assert final is not None
    assert final.outcome is MatchOutcome.MATCH
    assert final.distance == pytest.approx(0.32)
    assert final.frames_used == 5


def test_bands() -> None:
    assert decide(0.55, 0.55, 0.6) is MatchOutcome.MATCH
    assert decide(0.5501, 0.55, 0.6) is MatchOutcome.INCONCLUSIVE
    assert decide(0.6, 0.55, 0.6) is MatchOutcome.INCONCLUSIVE
    assert decide(0.6001, 0.55, 0.6) is MatchOutcome.NO_MATCH
    assert [o.value for o in MatchOutcome] == ["match", "no_match", "inconclusive"]


def test_clear_forgets_the_reference() -> None:
    reference = np.ones(128)
    matcher = Matcher(reference, 0.5, 0.6, frames_needed=1)
    assert matcher.add(np.ones(128)) is not None
    matcher.clear()
    assert matcher._reference is None
    assert matcher._distances == []
    assert reference.sum() == 128  # the caller's array is the caller's to drop
    with pytest.raises(RuntimeError, match="cleared"):
        matcher.add(np.ones(128))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="below"):
        Matcher(np.zeros(128), 0.6, 0.5)
    with pytest.raises(ValueError, match="frames_needed"):
        Matcher(np.zeros(128), 0.5, 0.6, frames_needed=0)
    with pytest.raises(ValueError, match="values"):
        Matcher(np.zeros(128), 0.5, 0.6).add(np.zeros(64))


def test_settings_defaults_are_the_calibrated_thresholds() -> None:
    defaults = {f.name: f.default for f in fields(Settings)}
    assert defaults["face_match_threshold"] == MATCH_THRESHOLD
    assert defaults["face_no_match_threshold"] == NO_MATCH_THRESHOLD
    assert MATCH_THRESHOLD < 0.6  # stricter than face_recognition's default
