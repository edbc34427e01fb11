"""Liveness: the head-turn challenge's logic on yaw sequences, and a still photo through the analyzer."""

import random
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from teller_client.face.analysis import FaceAnalyzer
from teller_client.face.liveness import (
    Challenge,
    LivenessJudge,
    LivenessState,
    Turn,
    new_challenge,
)

Image = Callable[[str], np.ndarray]
FPS = 10.0  # frames analysed per second


def feed_all(judge: LivenessJudge, yaws: list[float | None], start: float = 0.0) -> list[LivenessState]:
    return [judge.feed(yaw, start + i / FPS) for i, yaw in enumerate(yaws)]


def turn(peak: float) -> list[float | None]:
    """A real head turn: from frontal out to `peak` and back, through the angles between."""
    out: list[float | None] = [peak * i / 4 for i in range(5)]
    return [*out, peak, peak * 0.5, 0.0, 0.0]


def test_new_challenge_is_random_and_alternates() -> None:
    rng = random.Random(7)
    challenges = [new_challenge(rng) for _ in range(40)]
    assert {c.steps for c in challenges} == {(Turn.LEFT, Turn.RIGHT), (Turn.RIGHT, Turn.LEFT)}
    three = new_challenge(rng, steps=3, time_limit_seconds=12.0)
    assert len(three.steps) == 3
    assert three.steps[0] == three.steps[2] != three.steps[1]
    assert three.time_limit_seconds == 12.0
    with pytest.raises(ValueError, match="at least one"):
        new_challenge(rng, steps=0)


def test_head_turns_in_order_pass() -> None:
    judge = LivenessJudge(Challenge((Turn.LEFT, Turn.RIGHT), 10.0), started_at=0.0)
    assert judge.instruction("en") == "Please look straight at the camera"
    states = feed_all(judge, [0.05, 0.02])
    assert judge.current_step is Turn.LEFT
    assert judge.instruction("zh-CN") == "请向左转头"
    assert judge.instruction("en") == "Turn your head to your left"
    states += feed_all(judge, turn(-0.9), start=0.2)
    assert judge.current_step is Turn.RIGHT
    assert judge.instruction("zh-CN") == "请向右转头"
    states += feed_all(judge, turn(0.8), start=1.2)
    assert states[-1] is LivenessState.PASSED
    first_pass = states.index(LivenessState.PASSED)
    assert first_pass == len(states) - 6  # at yaw 0.6 on the way out to the right, not before
    assert judge.current_step is None
    assert judge.failure_reason is None


def test_static_photo_never_passes() -> None:
    rng = np.random.default_rng(1)
    for level in (0.0, 0.9, -0.9):  # a frontal photo, or a photo of a turned head
        challenge = new_challenge(random.Random(3))
        judge = LivenessJudge(challenge, started_at=0.0)
        noise = rng.normal(0.0, 0.04, 150)
        states = feed_all(judge, [level + float(n) for n in noise])
        assert LivenessState.PASSED not in states
        assert states[-1] is LivenessState.FAILED
        assert judge.failure_reason == "timeout"


def sheared(photo: np.ndarray, angle: float, squeeze: float, shift: float = 0.0) -> np.ndarray:
    """The photo tilted in its plane by `angle`, then squeezed horizontally (turned about the vertical)."""
    height, width = photo.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[0] *= squeeze
    matrix[0, 2] += shift
    return cv2.warpAffine(photo, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


def test_still_photo_through_the_analyzer_fails(analyzer: FaceAnalyzer, image: Image) -> None:
    # A printed photo held upright and moved or turned about its vertical axis: never a head turn.
    photo = image("people/obama/obama1.jpg")
    judge = LivenessJudge(Challenge((Turn.LEFT, Turn.RIGHT), 3.0), started_at=0.0)
    yaws = []
    for i, squeeze in enumerate((1.0, 0.9, 0.75, 0.6, 0.75, 0.9, 1.0, 0.85, 0.7)):
        moved = sheared(photo, 0.0, squeeze, shift=(i % 3) * 40.0)
        result = analyzer.analyze(moved, encode=False, frontal_required=False)
        yaws.append(result.yaw)
        assert judge.feed(result.yaw, i * 0.3) is LivenessState.IN_PROGRESS
    assert all(yaw is not None for yaw in yaws)
    assert judge.feed(yaws[0], 3.5) is LivenessState.FAILED
    assert judge.failure_reason == "timeout"


def test_wrong_direction_fails() -> None:
    judge = LivenessJudge(Challenge((Turn.RIGHT, Turn.LEFT), 10.0), started_at=0.0)
    states = feed_all(judge, [0.0, *turn(-0.9)])
    assert states[-1] is LivenessState.FAILED
    assert judge.failure_reason == "wrong direction"
    assert judge.instruction("en") == ""


def test_head_must_return_to_frontal_between_steps() -> None:
    judge = LivenessJudge(Challenge((Turn.LEFT, Turn.LEFT), 10.0), started_at=0.0)
    # Turn left once and stay there: the second step needs the head back to frontal first.
    feed_all(judge, [0.0, -0.2, -0.4, -0.8, -0.8, -0.9, -0.8, -0.9, -0.8])
    assert judge.current_step is Turn.LEFT
    assert judge.waiting_for_frontal
    assert judge.state is LivenessState.IN_PROGRESS
    assert feed_all(judge, turn(-0.8), start=1.0)[-1] is LivenessState.PASSED


def test_jump_straight_to_a_turn_does_not_count() -> None:
    # Frontal photo swapped for a profile photo between two frames: no angle in between.
    judge = LivenessJudge(Challenge((Turn.LEFT,), 10.0), started_at=0.0)
    feed_all(judge, [0.0, 0.0, -0.9, -0.9, 0.0, None, -0.9])
    assert judge.state is LivenessState.IN_PROGRESS
    assert judge.current_step is Turn.LEFT


def test_face_lost_too_long_fails() -> None:
    judge = LivenessJudge(Challenge((Turn.LEFT, Turn.RIGHT), 10.0), started_at=0.0)
    states = feed_all(judge, [0.0] + [None] * 25)
    assert states[-1] is LivenessState.FAILED
    assert judge.failure_reason == "no face"
    # Finished stays finished.
    assert judge.feed(0.0, 3.0) is LivenessState.FAILED


def test_short_face_loss_is_tolerated() -> None:
    judge = LivenessJudge(Challenge((Turn.RIGHT,), 10.0), started_at=0.0)
    states = feed_all(judge, [0.0, None, None, 0.0, *turn(0.9)])
    assert states[-1] is LivenessState.PASSED


def test_known_limit_tilted_and_turned_photo_reads_as_a_turn(analyzer: FaceAnalyzer, image: Image) -> None:
    # Documented in docs/face_verification.md: three points cannot tell a head turn from a flat photo
    # tilted in its plane and then turned about the vertical (a shear). This records the limit; if it
    # ever fails, the yaw measure has become shear-proof and the docs should say so.
    photo = image("people/obama/obama1.jpg")
    upright = analyzer.analyze(sheared(photo, 0.0, 0.75), encode=False, frontal_required=False).yaw
    tilted = analyzer.analyze(sheared(photo, 8.0, 0.75), encode=False, frontal_required=False).yaw
    assert upright is not None
    assert tilted is not None
    assert abs(upright) < 0.35
    assert abs(tilted) > 0.5
