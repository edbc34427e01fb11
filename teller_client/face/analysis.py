"""Per-frame face analysis: HOG detection, 5-point landmarks, quality gates, head yaw, 128-d encoding."""

from __future__ import annotations

import dataclasses
import threading
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cv2
import dlib
import numpy as np
import numpy.typing as npt

# dlib's 5-point model numbers the points: 0, 1 = outer and inner corner of the eye on the image's
# right; 2, 3 = outer and inner corner of the eye on the image's left; 4 = the base of the nose.
_RIGHT_EYE = (0, 1)
_LEFT_EYE = (2, 3)
_NOSE = 4
# The nose base sits about 0.11 of the eye-to-eye distance off the middle at a 30-35 degree turn
# (measured on the shared photos and clip), so this makes +-1 a clear, deliberate turn.
_YAW_GAIN = 6.0
# A face this much wider than the detector's box (each side) is what a head really occupies: if that
# margin leaves the frame, part of the face is cut off.
_CUT_MARGIN = 0.12
# Sharpness and brightness are measured on the face resized to this square, so that they do not
# depend on the camera's resolution or the distance to it.
_QUALITY_SIDE = 128
# Small photos (ID-card chips are about 102x126) are enlarged to this width before detection.
_REFERENCE_WORK_WIDTH = 480

FloatArray = npt.NDArray[np.float64]
ImageArray = npt.NDArray[np.uint8]


class QualityIssue(StrEnum):
    """Why a frame is not good enough to match on; each has guidance for the customer and teller."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    CUT_OFF = "cut_off"
    TOO_SMALL = "too_small"
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    NOT_FRONTAL = "not_frontal"


_GUIDANCE: dict[QualityIssue, tuple[str, str]] = {
    QualityIssue.NO_FACE: ("请正对摄像头，靠近一些", "Please look at the camera and come a little closer"),
    QualityIssue.MULTIPLE_FACES: ("请一人正对摄像头", "Only one person in front of the camera, please"),
    QualityIssue.CUT_OFF: (
        "请将整张脸移到画面中间",
        "Please move so that your whole face is in the middle of the picture",
    ),
    QualityIssue.TOO_SMALL: ("请靠近摄像头", "Please come closer to the camera"),
    QualityIssue.BLURRY: ("请保持不动", "Please hold still"),
    QualityIssue.TOO_DARK: (
        "光线太暗，请打开柜台灯或调整位置",
        "Too dark: turn on the counter light or move",
    ),
    QualityIssue.TOO_BRIGHT: ("光线太强，请避开强光", "Too bright: please move out of the glare"),
    QualityIssue.NOT_FRONTAL: ("请正视摄像头", "Please look straight at the camera"),
}


def guidance(issue: QualityIssue, language: str) -> str:
    """The instruction that fixes `issue`, in zh-CN (the default) or en."""
    chinese, english = _GUIDANCE[issue]
    return english if language.lower().startswith("en") else chinese


@dataclass(frozen=True)
class FaceBox:
    """A detected face in full-resolution pixel coordinates (right and bottom exclusive)."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class FrameAnalysis:
    """What one frame shows; `issues` empty means the frame is good enough to match on.

    `yaw` is the head turn from the 5 landmarks: 0 frontal, negative when the person turns to
    THEIR left, positive to their right, +-1 a clear turn (about 30 degrees). With a camera that
    does not mirror, the person's left is the image's right: turning to their left moves the nose
    towards the right edge of the image.
    """

    boxes: tuple[FaceBox, ...]
    landmarks: tuple[tuple[float, float], ...] | None
    issues: tuple[QualityIssue, ...]
    yaw: float | None
    sharpness: float
    brightness: float
    encoding: FloatArray | None = field(default=None, repr=False, compare=False)
    # False when only the region around a tracked face was searched (FaceTracker), so that a second
    # face elsewhere in the picture could not have been seen in this frame.
    full_frame: bool = True

    @property
    def good(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class Detection:
    """The faces one detector run found, as (top, right, bottom, left) full-resolution pixels, not clipped.

    `scale` (detector pixels per frame pixel, before dlib's own upsampling) and `upsample` say at
    which resolution they were found, so that a tracker can search again at the same one;
    `full_frame` is False when only a region of the frame was searched.
    """

    rects: tuple[tuple[int, int, int, int], ...]
    scale: float
    upsample: int
    full_frame: bool = True


@dataclass(frozen=True)
class _Models:
    detector: Any
    predictor: Any
    encoder: Any


_models_lock = threading.Lock()
_models_cache: _Models | None = None


def model_paths() -> tuple[str, str]:
    """The two model files used: the 5-point landmark predictor and the ResNet face encoder."""
    with warnings.catch_warnings():
        # face_recognition_models imports pkg_resources, which warns that it is deprecated.
        warnings.simplefilter("ignore")
        import face_recognition_models

    return (
        str(face_recognition_models.pose_predictor_five_point_model_location()),
        str(face_recognition_models.face_recognition_model_location()),
    )


def _models() -> _Models:
    # `import face_recognition` would load the non-commercial 68-point model as a side effect, so
    # the same HOG detector, 5-point predictor and encoder are built from dlib directly.
    global _models_cache  # noqa: PLW0603 - a process-wide cache: the models take ~1 s and 100 MB
    with _models_lock:
        if _models_cache is None:
            predictor_path, encoder_path = model_paths()
            _models_cache = _Models(
                detector=dlib.get_frontal_face_detector(),
                predictor=dlib.shape_predictor(predictor_path),
                encoder=dlib.face_recognition_model_v1(encoder_path),
            )
        return _models_cache


def load_image(data: bytes) -> ImageArray:
    """Decode an encoded image (JPEG, PNG, ...) from memory to an RGB uint8 array."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    decoded = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED) if buffer.size else None
    if decoded is None:
        raise ValueError(f"not a decodable image ({len(data)} bytes)")
    if decoded.dtype != np.uint8:
        # 16-bit PNGs: keep the top 8 bits.
        decoded = (
            (decoded // 257).astype(np.uint8) if decoded.dtype == np.uint16 else decoded.astype(np.uint8)
        )
    if decoded.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_GRAY2RGB))
    if decoded.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGB))
    return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def as_rgb(image: npt.NDArray[Any]) -> ImageArray:
    """RGB uint8 HxWx3 from RGB, RGBA or greyscale uint8 input (already RGB-ordered)."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return np.ascontiguousarray(cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2RGB))
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_RGBA2RGB))
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}")


def yaw_from_landmarks(points: tuple[tuple[float, float], ...]) -> float:
    """Head turn from the 5 points: where the nose falls between the two eyes, along the eye line.

    A flat photo turned in the hand keeps this ratio (a parallel projection preserves ratios along a
    line), so only a real 3-D head moves it.
    """
    pts = np.asarray(points, dtype=np.float64)
    left_eye = pts[list(_LEFT_EYE)].mean(axis=0)
    right_eye = pts[list(_RIGHT_EYE)].mean(axis=0)
    axis = right_eye - left_eye
    length2 = float(axis @ axis)
    if length2 == 0.0:
        return 0.0
    along = float((pts[_NOSE] - left_eye) @ axis) / length2
    # Turning to their left moves the nose towards the image's right eye (along > 0.5): negative.
    return (0.5 - along) * _YAW_GAIN


class FaceAnalyzer:
    """Detects on a downscaled frame, measures quality, and encodes the full-resolution face.

    Safe to share between threads for reading; dlib releases no locks of ours, so one analyzer per
    camera thread is the intended use.
    """

    def __init__(
        self,
        detect_width: int = 320,
        min_face_px: int = 80,
        min_sharpness: float = 60.0,
        min_brightness: float = 50.0,
        max_brightness: float = 210.0,
        max_frontal_yaw: float = 0.45,
        second_pass: bool = True,
        reference_jitters: int = 10,
    ) -> None:
        self.detect_width = detect_width
        self.min_face_px = min_face_px
        self.min_sharpness = min_sharpness
        self.min_brightness = min_brightness
        self.max_brightness = max_brightness
        self.max_frontal_yaw = max_frontal_yaw
        # When nothing is found at detect_width, look again at twice the resolution: finds faces too
        # far away for the fast pass (then TOO_SMALL or fine) at the cost of a slower frame.
        self.second_pass = second_pass
        self.reference_jitters = reference_jitters
        self._models = _models()

    def detect(self, frame_rgb: npt.NDArray[Any], *, upsampled: bool = False) -> Detection:
        """Search the whole frame as analyze() does: at `detect_width`, then upsampled if nothing is found.

        `upsampled` goes straight to the upsampled pass, for a face known to need it (tracking). That
        pass also finds the larger faces the fast one would (on every shared photo and clip frame), and
        it finds the small ones even when a large one is there, where the fast pass would stop.
        """
        return self._detect(
            as_rgb(frame_rgb), self.detect_width, upsample=int(upsampled and self.second_pass)
        )

    def _detect(self, image: ImageArray, width: int, upsample: int) -> Detection:
        height, full_width = image.shape[:2]
        scale = min(1.0, width / full_width)
        small = (
            cv2.resize(
                image, (round(full_width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
            )
            if scale < 1.0
            else image
        )
        rects = self._models.detector(small, upsample)
        if len(rects) == 0 and upsample == 0 and self.second_pass:
            upsample = 1
            rects = self._models.detector(small, upsample)
        return Detection(_to_frame(rects, scale, 0, 0), scale, upsample)

    def detect_region(self, frame_rgb: npt.NDArray[Any], region: FaceBox, like: Detection) -> Detection:
        """Search only `region` of the frame, at the resolution at which `like` found its faces.

        The crop is scaled and upsampled as the whole frame was, so that the detector sees nearly
        the same pixels around the face and finds it (or loses it) as a whole-frame search would.
        """
        frame = as_rgb(frame_rgb)
        crop = frame[region.top : region.bottom, region.left : region.right]
        if crop.shape[0] == 0 or crop.shape[1] == 0:
            return Detection((), like.scale, like.upsample, full_frame=False)
        if like.scale < 1.0:
            size = (max(1, round(crop.shape[1] * like.scale)), max(1, round(crop.shape[0] * like.scale)))
            small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        else:
            small = np.ascontiguousarray(crop)
        rects = self._models.detector(small, like.upsample)
        found = _to_frame(rects, like.scale, region.top, region.left)
        return Detection(found, like.scale, like.upsample, full_frame=False)

    def analyze_detection(
        self,
        frame_rgb: npt.NDArray[Any],
        detection: Detection,
        *,
        encode: bool,
        frontal_required: bool = True,
    ) -> FrameAnalysis:
        """Landmarks, quality gates and (if asked and good) the encoding, for faces already detected."""
        return self._analyze_rects(
            as_rgb(frame_rgb),
            list(detection.rects),
            encode=encode,
            frontal_required=frontal_required,
            jitters=0,
            full_frame=detection.full_frame,
        )

    def analyze(
        self, frame_rgb: npt.NDArray[Any], *, encode: bool, frontal_required: bool = True
    ) -> FrameAnalysis:
        """Analyse one camera frame; the encoding is computed only if asked and the frame is good."""
        frame = as_rgb(frame_rgb)
        detection = self._detect(frame, self.detect_width, upsample=0)
        return self.analyze_detection(frame, detection, encode=encode, frontal_required=frontal_required)

    def _analyze_rects(
        self,
        frame: ImageArray,
        rects: list[tuple[int, int, int, int]],
        *,
        encode: bool,
        frontal_required: bool,
        jitters: int,
        gate_quality: bool = True,
        cut_margin: float = _CUT_MARGIN,
        full_frame: bool = True,
    ) -> FrameAnalysis:
        height, width = frame.shape[:2]
        boxes = tuple(
            FaceBox(top=max(0, t), right=min(width, r), bottom=min(height, b), left=max(0, lft))
            for t, r, b, lft in rects
        )
        if not rects:
            return FrameAnalysis(boxes, None, (QualityIssue.NO_FACE,), None, 0.0, 0.0, full_frame=full_frame)
        if len(rects) > 1:
            # Two people: refuse rather than guess which one is the customer.
            return FrameAnalysis(
                boxes, None, (QualityIssue.MULTIPLE_FACES,), None, 0.0, 0.0, full_frame=full_frame
            )
        top, right, bottom, left = rects[0]
        rect = dlib.rectangle(left, top, right - 1, bottom - 1)
        shape = self._models.predictor(frame, rect)
        landmarks = tuple((float(p.x), float(p.y)) for p in shape.parts())
        yaw = yaw_from_landmarks(landmarks)
        sharpness, brightness = _quality(frame, boxes[0])
        issues: list[QualityIssue] = []
        margin = cut_margin * (right - left)
        if (
            left - margin < 0
            or top - margin < 0
            or right + margin > width
            or bottom + margin > height
            or any(not (0 <= x < width and 0 <= y < height) for x, y in landmarks)
        ):
            issues.append(QualityIssue.CUT_OFF)
        if gate_quality:
            if right - left < self.min_face_px:
                issues.append(QualityIssue.TOO_SMALL)
            if sharpness < self.min_sharpness:
                issues.append(QualityIssue.BLURRY)
            if brightness < self.min_brightness:
                issues.append(QualityIssue.TOO_DARK)
            elif brightness > self.max_brightness:
                issues.append(QualityIssue.TOO_BRIGHT)
            if frontal_required and abs(yaw) > self.max_frontal_yaw:
                issues.append(QualityIssue.NOT_FRONTAL)
        encoding = None
        if encode and not issues:
            descriptor = self._models.encoder.compute_face_descriptor(frame, shape, jitters)
            encoding = np.array(descriptor, dtype=np.float64)
        return FrameAnalysis(
            boxes, landmarks, tuple(issues), yaw, sharpness, brightness, encoding, full_frame=full_frame
        )

    def reference_encoding(
        self, image_rgb: npt.NDArray[Any]
    ) -> tuple[FloatArray | None, tuple[QualityIssue, ...]]:
        """The encoding of the ID photo (a chip of ~102x126 px or a larger scan), or why there is none.

        Small photos are enlarged (bicubic) before detection so that the face fills the HOG window;
        the encoding is averaged over `reference_jitters` jittered copies, once per customer.
        """
        return self.photo_encoding(image_rgb, jitters=self.reference_jitters)

    def photo_encoding(
        self, image_rgb: npt.NDArray[Any], *, jitters: int = 0
    ) -> tuple[FloatArray | None, tuple[QualityIssue, ...]]:
        """The encoding of a still photo, gated only on there being exactly one whole face in it."""
        result = self.analyze_photo(image_rgb, encode=True, jitters=jitters)
        if result.issues:
            return None, result.issues
        return result.encoding, ()

    def analyze_photo(self, image_rgb: npt.NDArray[Any], *, encode: bool, jitters: int = 0) -> FrameAnalysis:
        """Analyse a still photo: searched more finely than a live frame, gated only on one whole face.

        Boxes and landmarks are in the photo's own coordinates; sharpness, exposure and pose are
        measured but not gated (an ID photo is what it is).
        """
        image = as_rgb(image_rgb)
        factor = 1.0
        if image.shape[1] < _REFERENCE_WORK_WIDTH:
            factor = _REFERENCE_WORK_WIDTH / image.shape[1]
            size = (_REFERENCE_WORK_WIDTH, round(image.shape[0] * factor))
            image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_CUBIC))
        # Searched at twice the live width with dlib's upsampling (faces down to ~20 px at that
        # width): once per customer, so time is cheap here, and a second face must not be missed.
        rects = list(self._detect(image, 2 * _REFERENCE_WORK_WIDTH, upsample=1).rects)
        # Photos are often cropped tight around the head (aligned crops): only a face box or a
        # landmark outside the picture counts as cut off.
        result = self._analyze_rects(
            image,
            rects,
            encode=encode,
            frontal_required=False,
            jitters=jitters,
            gate_quality=False,
            cut_margin=0.0,
        )
        if factor == 1.0:
            return result
        boxes = tuple(
            FaceBox(
                top=round(b.top / factor),
                right=round(b.right / factor),
                bottom=round(b.bottom / factor),
                left=round(b.left / factor),
            )
            for b in result.boxes
        )
        landmarks = (
            None if result.landmarks is None else tuple((x / factor, y / factor) for x, y in result.landmarks)
        )
        return dataclasses.replace(result, boxes=boxes, landmarks=landmarks)


def _to_frame(rects: Any, scale: float, top: int, left: int) -> tuple[tuple[int, int, int, int], ...]:
    """dlib rectangles found at `scale` in a crop whose corner is (top, left), in frame coordinates."""
    return tuple(
        (
            round(rect.top() / scale) + top,
            round((rect.right() + 1) / scale) + left,
            round((rect.bottom() + 1) / scale) + top,
            round(rect.left() / scale) + left,
        )
        for rect in rects
    )


def _quality(frame: ImageArray, box: FaceBox) -> tuple[float, float]:
    """Sharpness (variance of the Laplacian) and brightness (mean grey level) of the face."""
    crop = frame[box.top : box.bottom, box.left : box.right]
    if crop.size == 0:
        return 0.0, 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (_QUALITY_SIDE, _QUALITY_SIDE), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    return sharpness, float(grey.mean())
