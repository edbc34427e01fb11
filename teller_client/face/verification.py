"""One customer's face check: consent, reference, live frames, liveness challenge, decision.

Runs on a worker thread (VerificationRunner) that takes the freshest camera frame, analyses it
and updates a progress snapshot the UI reads; the GUI thread never analyses a frame. Nothing
here is written to disk; clear() drops every image and encoding.
"""

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from teller_client.face.analysis import FaceAnalyzer, FaceBox, QualityIssue, guidance
from teller_client.face.camera import CameraError, CameraWorker, Frame
from teller_client.face.liveness import LivenessJudge, LivenessState, new_challenge
from teller_client.face.matching import MatchDecision, Matcher, MatchOutcome
from teller_client.face.tracking import FaceTracker
from teller_client.workflow import FaceSummary

log = logging.getLogger("counterguard.face.verification")

# Frames turned further than this are used for the liveness challenge only, never for matching.
MAX_MATCHING_YAW = 0.35


class Stage(StrEnum):
    CONSENT = "consent"
    REFERENCE = "reference"
    CAPTURE = "capture"
    DONE = "done"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Progress:
    """What the panel shows; a snapshot, safe to read from the GUI thread."""

    stage: Stage
    frame: Frame | None = field(default=None, repr=False, compare=False)
    boxes: tuple[FaceBox, ...] = ()
    issues: tuple[QualityIssue, ...] = ()
    instruction: dict[str, str] = field(default_factory=dict)
    match: MatchDecision | None = None
    liveness: LivenessState | None = None
    liveness_failure: str | None = None
    camera_error: CameraError | None = None
    best_face: Any = field(default=None, repr=False, compare=False)  # RGB crop for side-by-side


class FaceVerification:
    """The state of one customer's check; methods run on the verification thread unless noted."""

    def __init__(
        self,
        analyzer: FaceAnalyzer,
        match_threshold: float,
        no_match_threshold: float,
        rng: random.Random | None = None,
        challenge_seconds: float = 10.0,
    ) -> None:
        self._analyzer = analyzer
        self._tracker = FaceTracker(analyzer)
        self._challenge_seconds = challenge_seconds
        self._thresholds = (match_threshold, no_match_threshold)
        self._rng = rng or random.SystemRandom()
        self._reference: Any = None
        self.reference_photo: Any = None  # shown beside the live face; memory only
        self._matcher: Matcher | None = None
        self._judge: LivenessJudge | None = None
        self._issues_seen: Counter[str] = Counter()
        self.decision: MatchDecision | None = None
        self.progress = Progress(Stage.REFERENCE)

    def set_reference(self, photo_rgb: Any) -> tuple[QualityIssue, ...]:
        """Encode the ID photo once for this customer; returns what is wrong with it, if anything."""
        encoding, issues = self._analyzer.reference_encoding(photo_rgb)
        if encoding is None:
            return issues or (QualityIssue.NO_FACE,)
        self._reference = encoding
        self.reference_photo = photo_rgb
        return ()

    @property
    def has_reference(self) -> bool:
        return self._reference is not None

    def start(self, now: float) -> None:
        if self._reference is None:
            raise RuntimeError("set the reference photo first")
        self._matcher = Matcher(self._reference, *self._thresholds)
        self._tracker.reset()
        self._judge = LivenessJudge(new_challenge(self._rng, time_limit_seconds=self._challenge_seconds), now)
        self.decision = None
        self.progress = Progress(Stage.CAPTURE, instruction=self._instruction())

    def _instruction(self) -> dict[str, str]:
        judge = self._judge
        if judge is None:
            return {}
        return {language: judge.instruction(language) for language in ("zh-CN", "en")}

    def process(self, frame: Frame, now: float) -> Progress:
        matcher, judge = self._matcher, self._judge
        if matcher is None or judge is None or self.progress.stage is not Stage.CAPTURE:
            return self.progress
        # Frames between whole-frame searches are searched only near the tracked face; the frame that
        # can decide the match is searched whole, so that a second person anywhere in the picture
        # refuses it, however recently the last whole-frame search was.
        deciding = self.decision is None and matcher.decides_next
        analysis = self._tracker.analyze(
            frame.image, now, encode=True, frontal_required=False, full_frame=deciding
        )
        for issue in analysis.issues:
            self._issues_seen[issue.value] += 1
        best_face = self.progress.best_face
        frontal = (
            analysis.good
            and analysis.encoding is not None
            and analysis.yaw is not None
            and abs(analysis.yaw) <= MAX_MATCHING_YAW
        )
        if frontal and self.decision is None:
            assert analysis.encoding is not None
            self.decision = matcher.add(analysis.encoding)
            box = analysis.boxes[0]
            best_face = frame.image[box.top : box.bottom, box.left : box.right].copy()
        elif frontal and self.decision is not None:
            assert analysis.encoding is not None
            # Keep matching while the challenge runs: the face that turns must be the face that
            # matched, not a photo shown first and swapped for someone else.
            distance = float(np.linalg.norm(self._reference - analysis.encoding))
            if distance > self._thresholds[1] and self.decision.outcome is not MatchOutcome.NO_MATCH:
                log.warning("a different face appeared during the liveness challenge")
                self.decision = MatchDecision(MatchOutcome.NO_MATCH, distance, self.decision.frames_used + 1)
                self._issues_seen["face_changed"] += 1
        state = judge.feed(analysis.yaw if not analysis.issues or analysis.yaw is not None else None, now)
        finished = self.decision is not None and state is not LivenessState.IN_PROGRESS
        if self.decision is not None and self.decision.outcome is MatchOutcome.NO_MATCH:
            finished = True  # no head turn can make up for the wrong face
        if state is LivenessState.FAILED and self.decision is None:
            finished = True  # a failed challenge ends the attempt even before the match is decided
        instruction = self._instruction() if state is LivenessState.IN_PROGRESS else {}
        if analysis.issues and state is LivenessState.IN_PROGRESS:
            instruction = {language: guidance(analysis.issues[0], language) for language in ("zh-CN", "en")}
        self.progress = Progress(
            Stage.DONE if finished else Stage.CAPTURE,
            frame,
            analysis.boxes,
            analysis.issues,
            instruction,
            self.decision,
            state,
            judge.failure_reason,
            None,
            best_face,
        )
        return self.progress

    def summary(self) -> FaceSummary:
        """What leaves this package: outcome, distance, liveness and the quality-gate history."""
        state = self.progress.liveness
        liveness = {LivenessState.PASSED: "passed", LivenessState.FAILED: "failed"}.get(
            state or LivenessState.IN_PROGRESS, "not_performed"
        )
        if self.decision is None:
            outcome, distance = MatchOutcome.INCONCLUSIVE.value, None
        else:
            outcome, distance = self.decision.outcome.value, round(self.decision.distance, 4)
        history = tuple(f"{issue}:{count}" for issue, count in sorted(self._issues_seen.items()))
        return FaceSummary(outcome, distance, liveness, history)

    def clear(self) -> None:
        """The customer's session ended: drop the reference, the frames and every encoding."""
        if self._matcher is not None:
            self._matcher.clear()
        self._matcher = None
        self._judge = None
        self._tracker.reset()
        self._reference = None
        self.reference_photo = None
        self.progress = replace(Progress(Stage.STOPPED), instruction={})


class VerificationRunner:
    """A worker thread: freshest camera frame -> FaceVerification.process -> progress snapshot."""

    def __init__(
        self,
        verification: FaceVerification,
        camera: CameraWorker,
        on_progress: Callable[[Progress], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._verification = verification
        self._camera = camera
        self._on_progress = on_progress
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._latest = verification.progress
        self._thread = threading.Thread(target=self._run, name="face-verification", daemon=True)

    def start(self) -> None:
        self._verification.start(self._clock())
        self._publish(self._verification.progress)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait(self, timeout: float) -> bool:
        """Block until the check ends (decided, failed or stopped); True if it did within timeout."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def progress(self) -> Progress:
        with self._lock:
            return self._latest

    def _publish(self, progress: Progress) -> None:
        with self._lock:
            self._latest = progress
        if self._on_progress is not None:
            self._on_progress(progress)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._camera.error is not None:
                self._publish(
                    replace(self._verification.progress, stage=Stage.STOPPED, camera_error=self._camera.error)
                )
                return
            frame = self._camera.latest(timeout=0.2)
            if frame is None:
                continue
            try:
                progress = self._verification.process(frame, self._clock())
            except Exception:  # a bad frame must not end the check silently
                log.exception("frame analysis failed")
                continue
            self._publish(progress)
            if progress.stage is Stage.DONE:
                return
