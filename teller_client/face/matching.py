"""1:1 decision: the median distance of several good live frames to the ID photo, in three bands."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

# Calibrated on ../shared/faces/johns and people (docs/face_verification.md, bench/face_accuracy.py):
# single-photo genuine distances reach 0.57, the closest impostor pair is 0.66. 0.55 is the lowest
# round value that keeps FNMR within 3% (full-size photo) and 5% (chip) there; stricter than
# face_recognition's 0.6, whose impostor margin is thinner for faces unlike these mostly European sets.
MATCH_THRESHOLD = 0.55
# Above this it is a no match: face_recognition's own decision boundary, above every genuine pair
# seen in calibration. Between the two the teller is sent to the alternative identity procedure.
NO_MATCH_THRESHOLD = 0.6


class MatchOutcome(StrEnum):
    """The screening API's face_verification.outcome values."""

    MATCH = "match"
    NO_MATCH = "no_match"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class MatchDecision:
    outcome: MatchOutcome
    distance: float
    frames_used: int


def decide(distance: float, match_threshold: float, no_match_threshold: float) -> MatchOutcome:
    """The band a distance falls in: match, inconclusive (the alternative procedure) or no match."""
    if distance <= match_threshold:
        return MatchOutcome.MATCH
    if distance > no_match_threshold:
        return MatchOutcome.NO_MATCH
    return MatchOutcome.INCONCLUSIVE


class Matcher:
    """Collects the distances of good live frames to one customer's reference encoding."""

    def __init__(
        self,
        reference: npt.NDArray[Any],
        match_threshold: float,
        no_match_threshold: float,
        frames_needed: int = 5,
    ) -> None:
        if not match_threshold < no_match_threshold:
            raise ValueError(f"match threshold {match_threshold} must be below {no_match_threshold}")
        if frames_needed < 1:
            raise ValueError("frames_needed must be at least 1")
        self._reference: npt.NDArray[np.float64] | None = np.array(reference, dtype=np.float64).reshape(-1)
        self.match_threshold = match_threshold
        self.no_match_threshold = no_match_threshold
        self.frames_needed = frames_needed
        self._distances: list[float] = []

    @property
    def decides_next(self) -> bool:
        """True when the next frame added makes (or remakes) the decision."""
        return len(self._distances) >= self.frames_needed - 1

    def add(self, encoding: npt.NDArray[Any]) -> MatchDecision | None:
        """Add one good frame's encoding; the decision once `frames_needed` frames are in, else None."""
        if self._reference is None:
            raise RuntimeError("the matcher was cleared")
        probe = np.asarray(encoding, dtype=np.float64).reshape(-1)
        if probe.shape != self._reference.shape:
            raise ValueError(f"encoding has {probe.size} values, the reference {self._reference.size}")
        self._distances.append(float(np.linalg.norm(self._reference - probe)))
        if len(self._distances) < self.frames_needed:
            return None
        # The median of the latest frames: one blurred or half-turned frame cannot swing it either way.
        recent = self._distances[-self.frames_needed :]
        distance = float(statistics.median(recent))
        outcome = decide(distance, self.match_threshold, self.no_match_threshold)
        return MatchDecision(outcome, distance, len(recent))

    def clear(self) -> None:
        """Forget the reference and the distances (the customer has left the counter)."""
        if self._reference is not None:
            self._reference.fill(0.0)  # our own copy: overwrite it rather than wait for the collector
        self._reference = None
        self._distances.clear()
