"""A whole face check on real images: match, no match, a still photo failing liveness, nothing on disk."""

import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from teller_client import paths
from teller_client.face.analysis import FaceAnalyzer, QualityIssue
from teller_client.face.camera import CameraWorker, Frame, ImageFolderSource
from teller_client.face.liveness import LivenessState
from teller_client.face.matching import MATCH_THRESHOLD, NO_MATCH_THRESHOLD, MatchOutcome
from teller_client.face.verification import FaceVerification, Stage, VerificationRunner
from tests.face.conftest import face_file
from tests.face.test_tracking import with_bystander


class SteppingClock:
    """Each reading is a fixed step later: a time limit is reached without waiting for it."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def check(analyzer: FaceAnalyzer, reference: np.ndarray, frames: list[np.ndarray]) -> FaceVerification:
    verification = FaceVerification(
        analyzer, MATCH_THRESHOLD, NO_MATCH_THRESHOLD, random.Random(7), challenge_seconds=3.0
    )
    assert verification.set_reference(reference) == ()
    clock = SteppingClock(0.25)
    verification.start(clock())
    for frame in frames * 20:
        progress = verification.process(_frame(frame), clock())
        if progress.stage is Stage.DONE:
            break
    return verification


def _frame(image: np.ndarray) -> Frame:
    return Frame(image, 0, 0.0)


# Near-frontal photos (the check matches only on frames that face the camera).
OBAMA_REFERENCE = "people/obama/obama1.jpg"
OBAMA_LIVE = ("people/obama/obama4_480p.jpg", "people/obama/obama6_small.jpg")


def test_same_person_matches_but_a_still_photo_fails_liveness(
    analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]
) -> None:
    verification = check(analyzer, image(OBAMA_REFERENCE), [image(OBAMA_LIVE[0])])
    summary = verification.summary()
    assert verification.decision is not None and verification.decision.outcome is MatchOutcome.MATCH
    assert summary.outcome == "match" and summary.distance is not None
    assert summary.distance <= MATCH_THRESHOLD
    # The same still picture over and over never turns its head: liveness fails on time.
    assert summary.liveness == "failed"
    assert verification.progress.liveness is LivenessState.FAILED


def test_another_person_does_not_match(analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]) -> None:
    verification = check(analyzer, image(OBAMA_REFERENCE), [image("people/biden/biden2.jpg")])
    assert verification.summary().outcome == "no_match"


def test_two_people_in_the_reference_are_refused(
    analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]
) -> None:
    verification = FaceVerification(analyzer, MATCH_THRESHOLD, NO_MATCH_THRESHOLD)
    issues = verification.set_reference(image("edge/two_people.jpg"))
    assert [issue.value for issue in issues] == ["multiple_faces"]
    assert not verification.has_reference
    with pytest.raises(RuntimeError, match="reference"):
        verification.start(0.0)


def test_summary_carries_only_outcome_distance_liveness_and_quality(
    analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]
) -> None:
    frames = [image(OBAMA_LIVE[0]), image("edge/two_people.jpg")]
    summary = check(analyzer, image(OBAMA_REFERENCE), frames).summary()
    request = summary.as_request()
    assert set(request) == {"outcome", "distance", "liveness"}
    assert all(isinstance(item, str) for item in summary.quality_history)
    assert any(item.startswith("multiple_faces:") for item in summary.quality_history)


def test_clear_drops_every_image_and_encoding(
    analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]
) -> None:
    verification = check(analyzer, image(OBAMA_REFERENCE), [image(OBAMA_LIVE[0])])
    verification.clear()
    assert not verification.has_reference
    assert verification.reference_photo is None
    assert verification.progress.frame is None and verification.progress.best_face is None
    assert verification.progress.stage is Stage.STOPPED


def _listing(folders: list[Path]) -> set[tuple[str, int]]:
    found = set()
    for folder in folders:
        if folder.exists():
            for root, dirs, files in os.walk(folder):
                # Other tests' fixture folders and Python's bytecode caches are not ours to judge.
                dirs[:] = [
                    name for name in dirs if not name.startswith("pytest-of-") and name != "__pycache__"
                ]
                for name in files:
                    path = Path(root) / name
                    found.add((str(path), path.stat().st_size))
    return found


@pytest.fixture
def camera_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames for the image-folder camera, laid down before anything is measured."""
    folder = tmp_path_factory.mktemp("camera")
    for relative in OBAMA_LIVE:
        path = face_file(relative)
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_no_file_is_written_during_a_verification(
    analyzer: FaceAnalyzer,
    image: Callable[[str], np.ndarray],
    camera_folder: Path,
    isolated_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # This process's temp folder is a fresh one, so other programs on the machine cannot blur it.
    private_temp = tmp_path / "temp"
    private_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_temp))
    for variable in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(variable, str(private_temp))
    # A private working folder too: the checkout itself changes under other programs (editors, git).
    working = tmp_path / "cwd"
    working.mkdir()
    monkeypatch.chdir(working)
    watched = [private_temp, paths.data_dir(), paths.log_dir(), working]
    before = _listing(watched)
    verification = FaceVerification(
        analyzer, MATCH_THRESHOLD, NO_MATCH_THRESHOLD, random.Random(3), challenge_seconds=1.0
    )
    assert verification.set_reference(image(OBAMA_REFERENCE)) == ()
    camera = CameraWorker(ImageFolderSource(camera_folder, fps=30))
    camera.start()
    runner = VerificationRunner(verification, camera, clock=SteppingClock(0.2))
    try:
        runner.start()
        assert runner.wait(timeout=120)
    finally:
        runner.stop()
        camera.stop()
    assert runner.progress.stage is Stage.DONE
    assert verification.summary().outcome == "match"
    verification.clear()
    after = _listing(watched)
    assert sorted(after - before) == []


def test_a_face_swapped_in_after_the_match_fails_the_check(
    analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]
) -> None:
    """A photo of the card holder first, then someone else turning their head: no match."""
    verification = FaceVerification(
        analyzer, MATCH_THRESHOLD, NO_MATCH_THRESHOLD, random.Random(5), challenge_seconds=30.0
    )
    assert verification.set_reference(image(OBAMA_REFERENCE)) == ()
    clock = SteppingClock(0.1)
    verification.start(clock())
    for _ in range(5):
        verification.process(_frame(image(OBAMA_LIVE[0])), clock())
    assert verification.decision is not None and verification.decision.outcome is MatchOutcome.MATCH
    progress = verification.process(_frame(image("people/biden/biden2.jpg")), clock())
    assert progress.stage is Stage.DONE
    summary = verification.summary()
    assert summary.outcome == "no_match"
    assert any(item.startswith("face_changed:") for item in summary.quality_history)


def test_the_match_is_decided_only_on_a_whole_frame_search(
    analyzer: FaceAnalyzer, image: Callable[[str], np.ndarray]
) -> None:
    """A second person away from the tracked face, on the frame that would decide: no decision there."""
    verification = FaceVerification(
        analyzer, MATCH_THRESHOLD, NO_MATCH_THRESHOLD, random.Random(9), challenge_seconds=30.0
    )
    assert verification.set_reference(image(OBAMA_REFERENCE)) == ()
    clock = SteppingClock(0.03)  # frames well within the 250 ms between whole-frame checks
    verification.start(clock())
    plain = image("people/obama/obama4_480p.jpg")
    for _ in range(4):
        assert verification.process(_frame(plain), clock()).issues == ()
    assert verification.decision is None
    # Searched only near his face, this frame would be good and decide; searched whole, it has two.
    progress = verification.process(_frame(with_bystander(image)), clock())
    assert progress.issues == (QualityIssue.MULTIPLE_FACES,)
    assert verification.decision is None
    progress = verification.process(_frame(plain), clock())
    assert verification.decision is not None and verification.decision.outcome is MatchOutcome.MATCH
    assert verification.decision.frames_used == 5
    assert "multiple_faces:1" in verification.summary().quality_history
