"""Liveness: a randomised head-turn challenge judged from the yaw of the 5-point landmarks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

# Yaw (see FrameAnalysis.yaw: +-1 is about a 30 degree turn) beyond which a turn counts, and within
# which the head is back to frontal between steps.
TURN_YAW = 0.6
FRONTAL_YAW = 0.25
# A real head passes through the intermediate angles: at least this many frames between frontal and
# the turn, so that two photos (one frontal, one in profile) swapped in front of the camera fail.
MIN_TRANSITION_FRAMES = 1
# The face may vanish briefly (a turn past the detector's reach, a blink of the camera); longer than
# this and the challenge fails.
MAX_FACE_GAP_SECONDS = 2.0


class Turn(StrEnum):
    """A head turn to the customer's own left or right."""

    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class Challenge:
    steps: tuple[Turn, ...]
    time_limit_seconds: float


def new_challenge(rng: random.Random, steps: int = 2, time_limit_seconds: float = 10.0) -> Challenge:
    """Random turns, each side at least once when there are two or more steps, never the same twice in a row.

    Alternating turns keep the challenge easy to follow; the random start makes a recorded answer
    wrong half the time. Pass random.SystemRandom() in production so that the order cannot be predicted.
    """
    if steps < 1:
        raise ValueError("a challenge needs at least one step")
    first = rng.choice((Turn.LEFT, Turn.RIGHT))
    other = Turn.RIGHT if first is Turn.LEFT else Turn.LEFT
    return Challenge(tuple(first if i % 2 == 0 else other for i in range(steps)), time_limit_seconds)


class LivenessState(StrEnum):
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"


_INSTRUCTIONS: dict[Turn | None, tuple[str, str]] = {
    Turn.LEFT: ("请向左转头", "Turn your head to your left"),
    Turn.RIGHT: ("请向右转头", "Turn your head to your right"),
    None: ("请正对摄像头", "Please look straight at the camera"),
}


class LivenessJudge:
    """Follows the yaw of one face through the challenge's turns, in order, within the time limit.

    Each step needs: a frontal head, then at least one frame on the way, then a turn to the asked side
    (a clear turn to the other side fails: a replayed recording guesses the order at best). Feed it
    the yaw of frames with exactly one face, and None for frames without one.
    """

    def __init__(self, challenge: Challenge, started_at: float) -> None:
        self.challenge = challenge
        self.started_at = started_at
        self._step = 0
        self._frontal_seen = False
        self._transition_frames = 0
        self._last_face_at = started_at
        self._state = LivenessState.IN_PROGRESS
        self._failure: str | None = None

    @property
    def state(self) -> LivenessState:
        return self._state

    @property
    def current_step(self) -> Turn | None:
        """The turn asked for now; None once passed or failed."""
        if self._state is not LivenessState.IN_PROGRESS:
            return None
        return self.challenge.steps[self._step]

    @property
    def failure_reason(self) -> str | None:
        """ "timeout", "no face" or "wrong direction" once failed."""
        return self._failure

    @property
    def waiting_for_frontal(self) -> bool:
        """True while the head must come back to frontal before the next turn counts."""
        return self._state is LivenessState.IN_PROGRESS and not self._frontal_seen

    def instruction(self, language: str) -> str:
        """What to say now: look straight ahead, or the turn asked for (zh-CN by default, or en)."""
        if self._state is not LivenessState.IN_PROGRESS:
            return ""
        chinese, english = _INSTRUCTIONS[None if not self._frontal_seen else self.current_step]
        return english if language.lower().startswith("en") else chinese

    def _fail(self, reason: str) -> LivenessState:
        self._state = LivenessState.FAILED
        self._failure = reason
        return self._state

    def feed(self, yaw: float | None, now: float) -> LivenessState:
        """One frame's yaw (None: no single face in it) at time `now` (same clock as started_at)."""
        if self._state is not LivenessState.IN_PROGRESS:
            return self._state
        if now - self.started_at > self.challenge.time_limit_seconds:
            return self._fail("timeout")
        if yaw is None:
            if now - self._last_face_at > MAX_FACE_GAP_SECONDS:
                return self._fail("no face")
            # A lost face breaks the movement: the head must come back to frontal and turn again.
            self._transition_frames = 0
            return self._state
        self._last_face_at = now
        if abs(yaw) <= FRONTAL_YAW:
            self._frontal_seen = True
            self._transition_frames = 0
            return self._state
        if not self._frontal_seen:
            return self._state
        asked = self.challenge.steps[self._step]
        # Negative yaw is a turn to the customer's own left (FrameAnalysis.yaw).
        turned = Turn.LEFT if yaw < 0 else Turn.RIGHT
        if abs(yaw) < TURN_YAW:
            if turned is asked:
                self._transition_frames += 1
            return self._state
        if turned is not asked:
            return self._fail("wrong direction")
        if self._transition_frames < MIN_TRANSITION_FRAMES:
            # Straight from frontal to fully turned: a swapped photo, or frames dropped; not counted.
            return self._state
        self._step += 1
        self._frontal_seen = False
        self._transition_frames = 0
        if self._step == len(self.challenge.steps):
            self._state = LivenessState.PASSED
        return self._state
