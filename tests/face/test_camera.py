"""Frame sources and camera worker: pacing, freshest-frame queue, lost or missing cameras, prompt stop."""

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from teller_client.face.camera import (
    CameraError,
    CameraWorker,
    DeviceSource,
    Frame,
    FrameSource,
    ImageFolderSource,
    RgbImage,
    VideoFileSource,
    parse_source,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "faces"
CLIP = SHARED / "clips" / "hamilton_short.mp4"
PEOPLE = SHARED / "people"
CLIP_FPS = 29.97
needs_clip = pytest.mark.skipif(not CLIP.is_file(), reason=f"shared test clip missing: {CLIP}")
needs_people = pytest.mark.skipif(not PEOPLE.is_dir(), reason=f"shared face photos missing: {PEOPLE}")
WAIT = 5.0  # seconds any condition may take before the test fails


@pytest.fixture
def make_worker() -> Iterator[Callable[..., CameraWorker]]:
    """Workers that are always stopped (thread joined, source released) when the test ends."""
    workers: list[CameraWorker] = []

    def make(source: FrameSource, **kwargs: object) -> CameraWorker:
        worker = CameraWorker(source, **kwargs)  # type: ignore[arg-type]
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        assert worker.stop(timeout=WAIT)


class ErrorCatcher:
    """An on_error callback that records every call and wakes the test."""

    def __init__(self) -> None:
        self.errors: list[CameraError] = []
        self.called = threading.Event()

    def __call__(self, error: CameraError) -> None:
        self.errors.append(error)
        self.called.set()


class SyntheticSource(FrameSource):
    """A fake camera: small grey frames at `interval`, failing with `failure` after `frames` reads."""

    def __init__(self, frames: int | None = None, failure: Exception | None = None, interval: float = 0.005):
        self.interval = interval
        self.frames = frames
        self.failure = failure
        self.reads = 0
        self.opened = False
        self.closed = False

    @property
    def description(self) -> str:
        return "synthetic camera"

    @property
    def description_zh(self) -> str:
        return "模拟摄像头"

    def open(self) -> None:
        self.opened = True

    def read(self) -> RgbImage:
        if self.frames is not None and self.reads >= self.frames:
            assert self.failure is not None
            raise self.failure
        self.reads += 1
        return np.full((24, 32, 3), self.reads % 256, dtype=np.uint8)

    def close(self) -> None:
        self.closed = True


class FrameWaiter:
    """An on_frame_ready callback: wakes the test once the worker has queued `target` frames."""

    def __init__(self) -> None:
        self.worker: CameraWorker | None = None
        self.target = 1
        self.reached = threading.Event()

    def __call__(self) -> None:
        assert self.worker is not None
        if self.worker.frames_read >= self.target:
            self.reached.set()

    def wait_for(self, target: int) -> None:
        self.reached.clear()
        self.target = target
        self()  # it may be there already
        assert self.reached.wait(WAIT), f"the worker did not queue {target} frames in {WAIT} s"


def _write_folder(folder: Path, count: int = 3) -> list[Path]:
    """Small copies of the shared photos (tmp only), each a different size so frames can be told apart."""
    folder.mkdir()
    sources = sorted(PEOPLE.glob("*/*.jpg"))[:count]
    written = []
    for number, source in enumerate(sources):
        image = cv2.imdecode(np.frombuffer(source.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
        small = cv2.resize(image, (80 + number * 10, 60 + number * 10))
        target = folder / f"{number:02d}.png"
        ok, encoded = cv2.imencode(".png", small)
        assert ok
        target.write_bytes(encoded.tobytes())
        written.append(target)
    return written


@needs_clip
def test_video_file_is_paced_at_the_files_frame_rate(make_worker: Callable[..., CameraWorker]) -> None:
    worker = make_worker(VideoFileSource(CLIP))
    worker.start()
    first = worker.latest(WAIT)
    assert first is not None
    frame: Frame = first
    while frame.index < first.index + 30:
        following = worker.latest(WAIT)
        assert following is not None, worker.error
        frame = following
    expected = (frame.index - first.index) / CLIP_FPS
    elapsed = frame.timestamp - first.timestamp
    assert 0.85 * expected <= elapsed <= 1.6 * expected
    assert 18 <= worker.fps <= 35
    assert frame.image.shape == (360, 640, 3)
    assert frame.image.dtype == np.uint8
    assert "array" not in repr(frame)  # frames never end up in logs through a repr


@needs_clip
def test_slow_consumer_gets_the_freshest_frame_and_stale_ones_are_dropped(
    make_worker: Callable[..., CameraWorker],
) -> None:
    waiter = FrameWaiter()
    worker = make_worker(VideoFileSource(CLIP, loop=True, realtime=False), on_frame_ready=waiter)
    waiter.worker = worker
    worker.start()
    first = worker.latest(WAIT)
    assert first is not None
    # The consumer is busy while 20 more frames are captured.
    waiter.wait_for(first.index + 1 + 20)
    peeked = worker.peek()
    frame = worker.latest(WAIT)
    assert frame is not None
    assert peeked is not None
    assert frame.index >= peeked.index >= first.index + 20  # as new as the newest when the consumer came back
    assert worker.peek() is not None  # peeking never takes the frame from the consumer, nor the reverse
    assert frame.index < worker.frames_read
    assert worker.frames_dropped >= 19


@pytest.mark.parametrize("queue_size", [1, 2])
def test_queue_holds_at_most_its_size_and_never_hands_out_an_older_frame(
    make_worker: Callable[..., CameraWorker], queue_size: int
) -> None:
    waiter = FrameWaiter()
    worker = make_worker(SyntheticSource(interval=0.002), queue_size=queue_size, on_frame_ready=waiter)
    waiter.worker = worker
    worker.start()
    seen = -1
    for round_ in range(1, 4):
        waiter.wait_for(round_ * 15)
        frame = worker.latest(WAIT)
        assert frame is not None
        assert frame.index > seen
        assert frame.index >= round_ * 15 - 1
        seen = frame.index
    assert worker.frames_dropped >= 3 * (14 - queue_size)


@needs_people
def test_image_folder_loops_and_skips_unreadable_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "demo"
    _write_folder(folder, 3)
    (folder / "01_broken.jpg").write_bytes(b"not a picture")
    (folder / "notes.txt").write_text("ignored")
    source = ImageFolderSource(folder, fps=100)
    caplog.set_level(logging.INFO, logger="counterguard.face")
    source.open()
    try:
        images = [source.read() for _ in range(7)]
    finally:
        source.close()
    shapes = [image.shape for image in images]
    assert shapes == [(60, 80, 3), (70, 90, 3), (80, 100, 3)] * 2 + [(60, 80, 3)]
    assert np.array_equal(images[0], images[3])
    skipped = [r for r in caplog.records if "01_broken.jpg" in r.getMessage()]
    assert len(skipped) == 1  # once, not on every loop


@needs_people
def test_image_folder_without_loop_ends_like_a_lost_camera(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    _write_folder(folder, 2)
    source = ImageFolderSource(folder, fps=100, loop=False)
    source.open()
    try:
        source.read()
        source.read()
        with pytest.raises(CameraError) as caught:
            source.read()
    finally:
        source.close()
    assert caught.value.kind == "camera_lost"
    assert "ended" in caught.value.message("en")


def test_missing_camera_is_a_clear_no_camera_error(make_worker: Callable[..., CameraWorker]) -> None:
    probe = cv2.VideoCapture(7)
    present = probe.isOpened()
    probe.release()
    if present:
        pytest.skip("this machine has a camera at index 7")
    source = DeviceSource(7)
    with pytest.raises(CameraError) as caught:
        source.open()
    source.close()
    assert caught.value.kind == "no_camera"
    assert "No camera found (camera 7)" in caught.value.message("en")
    assert "camera_source" in caught.value.message("en")
    assert "找不到摄像头" in caught.value.message("zh-CN")
    catcher = ErrorCatcher()
    worker = make_worker(DeviceSource(7), on_error=catcher)
    worker.start()
    assert catcher.called.wait(WAIT)
    assert worker.stop(timeout=WAIT)
    assert [error.kind for error in catcher.errors] == ["no_camera"]
    assert worker.error is catcher.errors[0]
    assert worker.latest(0.5) is None
    assert not worker.running


@pytest.mark.parametrize(
    "failure",
    [CameraError.camera_lost("模拟摄像头", "synthetic camera"), OSError("device unplugged")],
    ids=["camera-error", "driver-fault"],
)
def test_source_that_fails_mid_session_stops_the_worker_and_reports_once(
    make_worker: Callable[..., CameraWorker], failure: Exception
) -> None:
    source = SyntheticSource(frames=5, failure=failure)
    catcher = ErrorCatcher()
    worker = make_worker(source, on_error=catcher)
    worker.start()
    assert catcher.called.wait(WAIT)
    assert worker.stop(timeout=WAIT)
    assert len(catcher.errors) == 1
    assert worker.error is catcher.errors[0]
    assert worker.error.kind == "camera_lost"
    assert "stopped sending pictures" in worker.error.message("en")
    assert worker.frames_read == 5
    assert source.closed
    assert not worker.running
    assert worker.latest(0) is None  # queued frames are dropped when the worker stops
    assert worker.peek() is None


@needs_people
def test_image_folder_emptied_mid_session_is_a_lost_camera(
    tmp_path: Path, make_worker: Callable[..., CameraWorker]
) -> None:
    folder = tmp_path / "demo"
    _write_folder(folder, 2)
    catcher = ErrorCatcher()
    worker = make_worker(ImageFolderSource(folder, fps=50), on_error=catcher)
    worker.start()
    assert worker.latest(WAIT) is not None
    shutil.rmtree(folder)
    assert catcher.called.wait(WAIT)
    assert worker.stop(timeout=WAIT)
    assert len(catcher.errors) == 1
    assert catcher.errors[0].kind == "camera_lost"


def test_on_error_handler_that_raises_does_not_escape(
    make_worker: Callable[..., CameraWorker], caplog: pytest.LogCaptureFixture
) -> None:
    called = threading.Event()

    def broken_handler(error: CameraError) -> None:
        called.set()
        raise ValueError("handler bug")

    worker = make_worker(
        SyntheticSource(frames=1, failure=CameraError.camera_lost("x", "x")), on_error=broken_handler
    )
    worker.start()
    assert called.wait(WAIT)
    assert worker.stop(timeout=WAIT)
    assert any("on_error handler failed" in r.getMessage() for r in caplog.records)


@needs_people
def test_stop_is_prompt_even_between_slow_frames(
    tmp_path: Path, make_worker: Callable[..., CameraWorker]
) -> None:
    folder = tmp_path / "demo"
    _write_folder(folder, 1)
    worker = make_worker(ImageFolderSource(folder, fps=0.2))  # one frame every 5 s
    worker.start()
    assert worker.latest(WAIT) is not None
    started = time.monotonic()
    assert worker.stop(timeout=WAIT)
    assert time.monotonic() - started < 0.5
    assert not worker.running
    assert worker.error is None  # stopping is not a failure


@needs_clip
def test_stop_is_prompt_while_a_video_plays(make_worker: Callable[..., CameraWorker]) -> None:
    source = VideoFileSource(CLIP)
    worker = make_worker(source)
    worker.start()
    assert worker.latest(WAIT) is not None
    started = time.monotonic()
    assert worker.stop(timeout=WAIT)
    assert time.monotonic() - started < 0.5
    assert worker.error is None


@needs_clip
def test_video_file_ends_without_loop_and_restarts_with_loop() -> None:
    source = VideoFileSource(CLIP, realtime=False)
    source.open()
    count = 0
    try:
        assert source.interval == 0
        while True:
            try:
                source.read()
            except CameraError as error:
                ended = error
                break
            count += 1
    finally:
        source.close()
    assert 270 <= count <= 280
    assert ended.kind == "camera_lost"
    assert "has ended" in ended.message("en")
    looping = VideoFileSource(CLIP, loop=True, realtime=False)
    looping.open()
    try:
        for _ in range(count + 5):
            looping.read()
        assert looping.interval == 0
    finally:
        looping.close()
    realtime = VideoFileSource(CLIP)
    realtime.open()
    realtime.close()
    assert realtime.interval == pytest.approx(1 / CLIP_FPS, rel=0.01)


def test_unusable_files_and_folders_are_unreadable_sources(tmp_path: Path) -> None:
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("this is not a video")
    empty = tmp_path / "empty"
    empty.mkdir()
    for source in (
        VideoFileSource(not_video),
        VideoFileSource(tmp_path / "missing.mp4"),
        ImageFolderSource(empty),
        ImageFolderSource(tmp_path / "missing"),
    ):
        with pytest.raises(CameraError) as caught:
            source.open()
        source.close()
        assert caught.value.kind == "unreadable_source"
        assert "camera_source" in caught.value.message("en")
        assert "camera_source" in caught.value.message("zh-CN")


def test_parse_source_accepts_devices_files_and_folders(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    assert parse_source("0").kind == "device"
    assert parse_source(" 1 ").device_index == 1
    assert isinstance(parse_source("0").create(), DeviceSource)
    spec = parse_source(f'"{video}"')  # pasted with quotes from Windows Explorer
    assert (spec.kind, spec.path) == ("video_file", video)
    created = spec.create()
    assert isinstance(created, VideoFileSource)
    assert created.loop  # a demo camera does not end mid-session
    folder_spec = parse_source(str(tmp_path))
    assert folder_spec.kind == "image_folder"
    assert isinstance(folder_spec.create(), ImageFolderSource)


@pytest.mark.parametrize("value", ["", "  ", "-1", "camera", "1.5", str(Path("no") / "such" / "clip.mp4")])
def test_parse_source_refuses_anything_else_naming_the_setting(value: str) -> None:
    with pytest.raises(CameraError) as caught:
        parse_source(value)
    error = caught.value
    assert error.kind == "unreadable_source"
    assert "camera_source" in error.message("en")
    assert "camera_source" in error.message("zh-CN")
    assert "camera number" in error.message("en")
    assert "摄像头编号" in error.message("zh-CN")
