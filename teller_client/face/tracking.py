"""Face tracking between live frames: search near the last face, and the whole frame at least every 250 ms.

A whole-frame HOG search of a 640x360 webcam frame whose face is under ~160 px needs dlib's
upsampled pass (~15-35 ms on a 2-core machine); the region around the face found in the previous
frame, searched at the same resolution, is a seventh of the pixels or less (~2-3 ms). The
multiple-face refusal stays honest because the whole frame is searched again:

- whenever the last search did not find exactly one face (nothing to track, or two people),
- whenever the region loses the face (on the same frame: the face is looked for everywhere),
- when `full_frame_seconds` have passed since the last whole-frame search, so that a second face
  entering anywhere in the picture is refused less than `full_frame_seconds` after the first
  analysed frame that shows it (two faces found in the region itself are refused at once),
- when the caller asks for it (FaceVerification does for the frame that can decide the match).

A tracked frame therefore always follows, within `full_frame_seconds`, a whole-frame search that
found exactly one face, and every frame since found exactly one face near it.
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from teller_client.face.analysis import Detection, FaceAnalyzer, FaceBox, FrameAnalysis, as_rgb

# The longest time a second face can be in the picture, away from the tracked one, before a
# whole-frame search sees it (the UI shows the guidance of the next analysed frame).
FULL_FRAME_SECONDS = 0.25
# The region searched around the last face: the box widened by this share of its size on each side.
# Enough for the head movement between two analysed frames at ~7 frames per second (measured on the
# clip: 0.35 lost the face in up to 4% of frames, 0.5 in 1-2%, 0.75 did no better for 50% more time).
REGION_MARGIN = 0.5


class FaceTracker:
    """Face detection for one camera stream, searching near the tracked face between whole-frame checks.

    Holds only the last face box and times, no image. Not thread-safe: one tracker per check, used
    by the thread that analyses the frames.
    """

    def __init__(
        self,
        analyzer: FaceAnalyzer,
        full_frame_seconds: float = FULL_FRAME_SECONDS,
        margin: float = REGION_MARGIN,
    ) -> None:
        if full_frame_seconds < 0:
            raise ValueError("full_frame_seconds must not be negative")
        if margin <= 0:
            raise ValueError("margin must be positive")
        self.analyzer = analyzer
        self.full_frame_seconds = full_frame_seconds
        self.margin = margin
        self._track: Detection | None = None
        self._shape: tuple[int, ...] | None = None
        self._last_full: float | None = None

    def reset(self) -> None:
        """Forget the tracked face: the next frame is searched whole."""
        self._track = None
        self._shape = None
        self._last_full = None

    @property
    def last_full_frame(self) -> float | None:
        """When (the `now` given) the whole frame was last searched; None before the first frame."""
        return self._last_full

    def region(self, frame_shape: tuple[int, ...]) -> FaceBox | None:
        """The part of a frame of this shape the next tracked search would look at, if a face is tracked."""
        if self._track is None:
            return None
        top, right, bottom, left = self._track.rects[0]
        pad = self.margin * max(right - left, bottom - top)
        height, width = frame_shape[:2]
        box = FaceBox(
            top=max(0, round(top - pad)),
            right=min(width, round(right + pad)),
            bottom=min(height, round(bottom + pad)),
            left=max(0, round(left - pad)),
        )
        return box if box.width > 0 and box.height > 0 else None

    def detect(self, frame_rgb: npt.NDArray[Any], now: float, *, full_frame: bool = False) -> Detection:
        """The faces in this frame, found near the tracked face or, when due, in the whole frame.

        `now` is the frame's time in seconds (monotonic); a time earlier than the last whole-frame
        search (a clock that went back) makes this one a whole-frame search too.
        """
        frame = as_rgb(frame_rgb)
        region = self.region(frame.shape) if frame.shape == self._shape else None
        last = self._last_full
        due = full_frame or region is None or last is None or not 0.0 <= now - last < self.full_frame_seconds
        detection: Detection | None = None
        if not due and region is not None and self._track is not None:
            detection = self.analyzer.detect_region(frame, region, self._track)
            if not detection.rects:
                detection = None  # lost here: the face may have moved anywhere, so look everywhere
        if detection is None:
            # A tracked face that needed the upsampled pass is too small for the fast one: go straight to
            # the upsampled pass, which finds larger faces too.
            upsampled = self._track is not None and region is not None and self._track.upsample > 0
            detection = self.analyzer.detect(frame, upsampled=upsampled)
            self._last_full = now
        self._shape = frame.shape
        # Only a single face is followed; two faces (even in the region) refuse the frame and the next
        # one is searched whole.
        self._track = detection if len(detection.rects) == 1 else None
        return detection

    def analyze(
        self,
        frame_rgb: npt.NDArray[Any],
        now: float,
        *,
        encode: bool,
        frontal_required: bool = True,
        full_frame: bool = False,
    ) -> FrameAnalysis:
        """FaceAnalyzer.analyze with tracked detection; `full_frame=True` forces a whole-frame search."""
        frame = as_rgb(frame_rgb)
        detection = self.detect(frame, now, full_frame=full_frame)
        return self.analyzer.analyze_detection(
            frame, detection, encode=encode, frontal_required=frontal_required
        )
