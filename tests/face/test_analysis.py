"""Frame analysis on real photos: one face only, whole, large, sharp, exposed, frontal; RGBA; the models."""

from collections.abc import Callable
from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest

from teller_client.face import analysis
from teller_client.face.analysis import FaceAnalyzer, QualityIssue, guidance, load_image
from teller_client.face.liveness import TURN_YAW
from tests.face.conftest import face_file

Image = Callable[[str], np.ndarray]


def test_load_image_refuses_undecodable_data() -> None:
    with pytest.raises(ValueError, match="not a decodable image"):
        load_image(b"not an image at all")
    with pytest.raises(ValueError, match="not a decodable image"):
        load_image(b"")


def test_rgba_png_is_decoded_and_analysed(analyzer: FaceAnalyzer) -> None:
    data = face_file("edge/rgba_32bit.png").read_bytes()
    rgb = load_image(data)
    assert rgb.dtype == np.uint8
    assert rgb.shape == (1200, 626, 3)
    # The same image handed over as a raw RGBA array, and as greyscale.
    bgra = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert bgra.shape[2] == 4
    rgba = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)
    for frame in (rgba, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)):
        result = analyzer.analyze(frame, encode=False, frontal_required=False)
        assert len(result.boxes) == 1
        assert result.landmarks is not None
        assert len(result.landmarks) == 5
    encoding, issues = analyzer.reference_encoding(rgba)
    assert issues == ()
    assert encoding is not None
    assert encoding.shape == (128,)


def test_rejects_unusable_arrays(analyzer: FaceAnalyzer) -> None:
    with pytest.raises(ValueError, match="uint8"):
        analyzer.analyze(np.zeros((10, 10, 3), np.float32), encode=False)
    with pytest.raises(ValueError, match="shape"):
        analyzer.analyze(np.zeros((10, 10, 2), np.uint8), encode=False)


@pytest.mark.parametrize("name", ["edge/two_people.jpg", "edge/obama_and_biden.jpg"])
def test_two_faces_are_refused_not_picked(analyzer: FaceAnalyzer, image: Image, name: str) -> None:
    result = analyzer.analyze(image(name), encode=True)
    assert result.issues == (QualityIssue.MULTIPLE_FACES,)
    assert len(result.boxes) == 2
    assert result.encoding is None
    assert not result.good
    encoding, issues = analyzer.reference_encoding(image(name))
    assert encoding is None
    assert issues == (QualityIssue.MULTIPLE_FACES,)
    assert guidance(QualityIssue.MULTIPLE_FACES, "zh-CN") == "请一人正对摄像头"
    assert guidance(QualityIssue.MULTIPLE_FACES, "en") == "Only one person in front of the camera, please"


def test_small_second_face_in_a_photo_is_found(analyzer: FaceAnalyzer, image: Image) -> None:
    # Full-length photo of two people: the reference path searches finely enough to see both.
    encoding, issues = analyzer.reference_encoding(image("edge/kit_with_rose.jpg"))
    assert encoding is None
    assert issues == (QualityIssue.MULTIPLE_FACES,)


@pytest.mark.parametrize("name", ["edge/obama_partial_face.jpg", "edge/obama_partial_face2.jpg"])
def test_face_cut_by_the_frame_is_refused(analyzer: FaceAnalyzer, image: Image, name: str) -> None:
    result = analyzer.analyze(image(name), encode=True, frontal_required=False)
    assert QualityIssue.CUT_OFF in result.issues
    assert result.encoding is None
    assert "whole face" in guidance(QualityIssue.CUT_OFF, "en")
    assert "整张脸" in guidance(QualityIssue.CUT_OFF, "zh-CN")
    # The same person with the whole face in the frame is fine.
    whole = analyzer.analyze(image("people/obama/obama1.jpg"), encode=False)
    assert QualityIssue.CUT_OFF not in whole.issues


def test_good_frontal_photo_is_encoded_only_when_asked(analyzer: FaceAnalyzer, image: Image) -> None:
    photo = image("people/obama/obama1.jpg")
    plain = analyzer.analyze(photo, encode=False)
    assert plain.good
    assert plain.encoding is None
    encoded = analyzer.analyze(photo, encode=True)
    assert encoded.good
    assert encoded.encoding is not None
    assert encoded.encoding.shape == (128,)
    box = encoded.boxes[0]
    # Full-resolution coordinates, although detection ran on a 320 px wide copy.
    assert box.width > 200
    assert box.height > 200
    assert encoded.landmarks is not None
    assert all(box.left <= x <= box.right and box.top <= y <= box.bottom for x, y in encoded.landmarks)
    assert "encoding" not in repr(encoded)


def test_empty_frame_has_no_face(analyzer: FaceAnalyzer) -> None:
    result = analyzer.analyze(np.full((480, 640, 3), 128, np.uint8), encode=True)
    assert result.issues == (QualityIssue.NO_FACE,)
    assert result.boxes == ()
    assert result.yaw is None
    assert guidance(QualityIssue.NO_FACE, "en")


def test_small_face_is_too_small(analyzer: FaceAnalyzer, image: Image) -> None:
    result = analyzer.analyze(image("people/obama/obama5_240p.jpg"), encode=True)
    assert QualityIssue.TOO_SMALL in result.issues
    assert result.encoding is None
    assert guidance(QualityIssue.TOO_SMALL, "zh-CN") == "请靠近摄像头"


def test_blur_and_exposure_gates(analyzer: FaceAnalyzer, image: Image) -> None:
    photo = image("people/obama/obama1.jpg")
    sharp = analyzer.analyze(photo, encode=False)
    assert sharp.sharpness > analyzer.min_sharpness
    blurred = analyzer.analyze(cv2.GaussianBlur(photo, (0, 0), 6), encode=True)
    assert QualityIssue.BLURRY in blurred.issues
    assert blurred.sharpness < sharp.sharpness / 5
    dark = analyzer.analyze((photo * 0.25).astype(np.uint8), encode=False)
    assert QualityIssue.TOO_DARK in dark.issues
    bright = analyzer.analyze(cv2.convertScaleAbs(photo, alpha=1.0, beta=110), encode=False)
    assert QualityIssue.TOO_BRIGHT in bright.issues
    for issue in (QualityIssue.BLURRY, QualityIssue.TOO_DARK, QualityIssue.TOO_BRIGHT):
        assert guidance(issue, "zh-CN") != guidance(issue, "en")


def test_yaw_is_small_when_frontal_and_flips_sign_in_the_mirror(analyzer: FaceAnalyzer, image: Image) -> None:
    frontal = analyzer.analyze(image("people/obama/obama1.jpg"), encode=False)
    assert frontal.yaw is not None
    assert abs(frontal.yaw) < 0.25
    # obama2: looking towards the image's left, i.e. his own right: positive.
    turned_photo = image("people/obama/obama2.jpg")
    turned = analyzer.analyze(turned_photo, encode=False)
    mirrored = analyzer.analyze(np.ascontiguousarray(turned_photo[:, ::-1]), encode=False)
    assert turned.yaw is not None
    assert mirrored.yaw is not None
    assert turned.yaw > 0.6
    assert mirrored.yaw < -0.6
    assert abs(turned.yaw + mirrored.yaw) < 0.2
    assert QualityIssue.NOT_FRONTAL in turned.issues
    assert (
        QualityIssue.NOT_FRONTAL
        not in analyzer.analyze(turned_photo, encode=False, frontal_required=False).issues
    )
    assert guidance(QualityIssue.NOT_FRONTAL, "en") == "Please look straight at the camera"


def test_flat_photo_turned_in_the_hand_keeps_a_frontal_yaw(analyzer: FaceAnalyzer, image: Image) -> None:
    # A photo turned about the vertical axis is squeezed horizontally (by cos 37 and 53 degrees): the
    # nose stays between the eyes; the landmark model drifts a little on the distorted face, but far
    # from a turn.
    photo = image("people/obama/obama1.jpg")
    for squeeze in (0.8, 0.6):
        narrow = cv2.resize(photo, None, fx=squeeze, fy=1.0, interpolation=cv2.INTER_AREA)
        yaw = analyzer.analyze(narrow, encode=False, frontal_required=False).yaw
        assert yaw is not None
        assert abs(yaw) < TURN_YAW - 0.25


def test_clip_frames_show_head_turns_both_ways(analyzer: FaceAnalyzer, clip_frames: list[np.ndarray]) -> None:
    yaws = {}
    for index in (96, 120, 132, 156, 162, 204):
        result = analyzer.analyze(clip_frames[index], encode=False, frontal_required=False)
        assert len(result.boxes) == 1, index
        yaws[index] = result.yaw
    assert abs(yaws[96] or 9) < 0.25  # facing the camera
    assert all((yaws[i] or 0) > 0.6 for i in (120, 132, 204))  # turned to his right
    assert all((yaws[i] or 0) < -0.3 for i in (156, 162))  # turned a little to his left


def test_only_the_five_point_model_is_loaded(
    monkeypatch: pytest.MonkeyPatch, image: Image, analyzer: FaceAnalyzer
) -> None:
    loaded: list[str] = []
    real = dlib.shape_predictor

    def recording(path: str) -> object:
        loaded.append(path)
        return real(path)

    monkeypatch.setattr(dlib, "shape_predictor", recording)
    monkeypatch.setattr(analysis, "_models_cache", None)  # load afresh; restored afterwards
    fresh = FaceAnalyzer()
    fresh.analyze(image("people/obama/obama1.jpg"), encode=True)
    fresh.reference_encoding(image("people/obama/obama6_small.jpg"))
    assert [Path(p).name for p in loaded] == ["shape_predictor_5_face_landmarks.dat"]
    assert all("68" not in Path(p).name for p in analysis.model_paths())
    source = Path(analysis.__file__).read_text("utf-8")
    assert "import face_recognition\n" not in source  # importing it would load the 68-point model
