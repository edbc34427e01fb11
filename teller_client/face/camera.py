"""Live frames off the GUI thread: camera, video file and image-folder sources, freshest-frame worker."""

from __future__ import annotations

import abc
import collections
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger("counterguard.face.camera")

RgbImage = npt.NDArray[np.uint8]
CameraErrorKind = Literal["no_camera", "camera_lost", "unreadable_source"]
SourceKind = Literal["device", "video_file", "image_folder"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
# A device failing this many reads in a row is gone (one failed read is a dropped frame, not a lost camera).
_DEVICE_READ_RETRIES = 5
_DEFAULT_VIDEO_FPS = 25.0
_FPS_WINDOW = 30
_MAX_DEVICE_INDEX = 99

_ALLOWED_EN = "a camera number (0, 1, ...), a video file, or a folder of images"
_ALLOWED_ZH = "摄像头编号（0、1……）、视频文件或图片文件夹"


@dataclass(frozen=True)
class Frame:
    """One captured picture (RGB uint8, height x width x 3); `index` counts frames from the source's start."""

    image: RgbImage = field(repr=False, compare=False)
    index: int
    timestamp: float  # time.monotonic() when the frame was captured


class CameraError(RuntimeError):
    """The camera is missing, went away mid-session, or the configured source cannot be used."""

    def __init__(self, kind: CameraErrorKind, zh_cn: str, en: str) -> None:
        super().__init__(en)
        self.kind: CameraErrorKind = kind
        self._zh_cn = zh_cn
        self._en = en

    def message(self, language: str) -> str:
        """The plain message for the teller in `language` ("zh-CN" or "en")."""
        return self._zh_cn if language == "zh-CN" else self._en

    @classmethod
    def no_camera(cls, zh_what: str, what: str) -> CameraError:
        return cls(
            "no_camera",
            f"找不到摄像头（{zh_what}）。请检查摄像头已连接且未被其他程序占用，"
            "或在设置 camera_source 中选择其他摄像头；也可以选择“无摄像头”，用其他方式核实客户身份。",
            f"No camera found ({what}). Check that the camera is plugged in and not used by another program, "
            'or choose another camera in the setting camera_source; or choose "No camera at this counter" '
            "and verify the customer's identity another way.",
        )

    @classmethod
    def camera_lost(cls, zh_what: str, what: str) -> CameraError:
        return cls(
            "camera_lost",
            f"摄像头（{zh_what}）已断开，不再有画面。请检查连接后重新开始人脸核验，或选择“无摄像头”，用其他方式核实客户身份。",
            f"The camera ({what}) stopped sending pictures. Check its cable and start the face check again, "
            'or choose "No camera at this counter" and verify the customer\'s identity another way.',
        )

    @classmethod
    def ended(cls, zh_what: str, what: str) -> CameraError:
        # A demo source that runs out behaves like a camera that went away.
        return cls(
            "camera_lost",
            f"{zh_what}已播放完毕，不再有画面。请重新开始人脸核验。",
            f"{what} has ended: there are no more pictures. Start the face check again.",
        )

    @classmethod
    def unreadable(cls, zh_what: str, zh_problem: str, what: str, en_problem: str) -> CameraError:
        return cls(
            "unreadable_source",
            f"设置 camera_source 指向的{zh_what}无法使用：{zh_problem}。可以填写{_ALLOWED_ZH}。",
            f"The setting camera_source points to {what}, which cannot be used: {en_problem}. "
            f"It can be {_ALLOWED_EN}.",
        )


class FrameSource(abc.ABC):
    """Where frames come from. Used by one thread at a time: open(), read() repeatedly, close().

    Pacing is left to the reader (CameraWorker) through `interval`, so that stopping never waits out a
    sleep inside a source.
    """

    #: Seconds between frames the reader should keep; 0 when read() itself waits for the next frame.
    interval: float = 0.0

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """What this source is, for messages ("camera 0", "video file x.mp4"); no personal data."""

    @property
    @abc.abstractmethod
    def description_zh(self) -> str:
        """The description in Chinese."""

    @abc.abstractmethod
    def open(self) -> None:
        """Get ready to read; raises CameraError (no_camera or unreadable_source)."""

    @abc.abstractmethod
    def read(self) -> RgbImage:
        """The next frame as RGB uint8; raises CameraError (camera_lost) when no more frames will come."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the device or file; safe to call more than once and without open()."""


def _bgr_to_rgb(image: Any) -> RgbImage:
    """OpenCV's BGR (or grey, or BGRA) picture as a fresh RGB uint8 array."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        # 16-bit pictures: keep the high byte, which is what a display would show.
        array = (array >> 8).astype(np.uint8) if array.dtype == np.uint16 else array.astype(np.uint8)
    if array.ndim == 2:
        rgb = cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    elif array.shape[2] == 4:
        rgb = cv2.cvtColor(array, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(array, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def decode_image(data: bytes) -> RgbImage | None:
    """An encoded picture (jpg/png/bmp bytes) as RGB uint8, or None when it cannot be decoded.

    Decoding from bytes (not cv2.imread on a path) keeps non-ASCII Windows paths working and lets the
    caller read, then delete, the file.
    """
    if not data:
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    # IMREAD_COLOR drops alpha, turns grey into colour, 16-bit into 8-bit and follows EXIF orientation.
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return None
    return _bgr_to_rgb(image)


class DeviceSource(FrameSource):
    """A camera by OpenCV device index; read() waits for the camera's next frame."""

    def __init__(self, index: int) -> None:
        self.index = index
        self._capture: Any = None
        self._failures = 0

    @property
    def description(self) -> str:
        return f"camera {self.index}"

    @property
    def description_zh(self) -> str:
        return f"摄像头 {self.index}"

    def open(self) -> None:
        capture = cv2.VideoCapture(self.index)
        if not capture.isOpened():
            capture.release()
            raise CameraError.no_camera(self.description_zh, self.description)
        # A one-frame driver buffer keeps the preview live instead of replaying queued old frames.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture
        self._failures = 0
        log.info("Opened %s", self.description)

    def read(self) -> RgbImage:
        if self._capture is None:
            raise CameraError.camera_lost(self.description_zh, self.description)
        while True:
            ok, image = self._capture.read()
            if ok and image is not None:
                self._failures = 0
                return _bgr_to_rgb(image)
            self._failures += 1
            if self._failures >= _DEVICE_READ_RETRIES:
                raise CameraError.camera_lost(self.description_zh, self.description)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class VideoFileSource(FrameSource):
    """A video file that stands in for a camera (demos, tests); paced at the file's frame rate if realtime."""

    def __init__(self, path: Path, loop: bool = False, realtime: bool = True) -> None:
        self.path = Path(path)
        self.loop = loop
        self.realtime = realtime
        self.fps = _DEFAULT_VIDEO_FPS
        self._capture: Any = None

    @property
    def description(self) -> str:
        return f"video file {self.path.name}"

    @property
    def description_zh(self) -> str:
        return f"视频文件 {self.path.name}"

    def open(self) -> None:
        if not self.path.is_file():
            raise CameraError.unreadable(
                self.description_zh, "文件不存在", self.description, "the file does not exist"
            )
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise CameraError.unreadable(
                self.description_zh, "不是可播放的视频", self.description, "it is not a video OpenCV can play"
            )
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        # Some containers report 0 or absurd rates; fall back to a usual camera rate.
        self.fps = fps if math.isfinite(fps) and 1.0 <= fps <= 240.0 else _DEFAULT_VIDEO_FPS
        self.interval = 1.0 / self.fps if self.realtime else 0.0
        self._capture = capture
        log.info("Opened %s at %.1f fps", self.description, self.fps)

    def read(self) -> RgbImage:
        if self._capture is None:
            raise CameraError.camera_lost(self.description_zh, self.description)
        ok, image = self._capture.read()
        if not ok or image is None:
            if not self.loop:
                raise CameraError.ended(self.description_zh, self.description)
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
            if not ok or image is None:
                raise CameraError.camera_lost(self.description_zh, self.description)
        return _bgr_to_rgb(image)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageFolderSource(FrameSource):
    """The pictures in a folder, by file name, at `fps` (demos, tests); unreadable files are skipped."""

    def __init__(self, path: Path, fps: float = 15, loop: bool = True) -> None:
        if not fps > 0:
            raise ValueError("fps must be positive")
        self.path = Path(path)
        self.loop = loop
        self.interval = 1.0 / fps
        self._files: list[Path] = []
        self._position = 0
        self._reported: set[str] = set()

    @property
    def description(self) -> str:
        return f"image folder {self.path.name}"

    @property
    def description_zh(self) -> str:
        return f"图片文件夹 {self.path.name}"

    def _scan(self) -> list[Path]:
        try:
            entries = list(self.path.iterdir())
        except OSError:
            return []
        return sorted(p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())

    def open(self) -> None:
        if not self.path.is_dir():
            raise CameraError.unreadable(
                self.description_zh, "文件夹不存在", self.description, "the folder does not exist"
            )
        self._files = self._scan()
        if not self._files:
            raise CameraError.unreadable(
                self.description_zh,
                "其中没有 jpg、png 或 bmp 图片",
                self.description,
                "it holds no jpg, png or bmp pictures",
            )
        self._position = 0
        log.info("Opened %s (%d pictures)", self.description, len(self._files))

    def _load(self, path: Path) -> RgbImage | None:
        try:
            image = decode_image(path.read_bytes())
        except OSError:
            image = None
        if image is None and path.name not in self._reported:
            # Once per file: a looping demo folder would otherwise repeat the line forever.
            self._reported.add(path.name)
            log.warning("Skipped picture %s in %s: it cannot be read", path.name, self.description)
        return image

    def read(self) -> RgbImage:
        rescanned = False
        attempts = 0
        while True:
            if self._position >= len(self._files):
                if not self.loop:
                    raise CameraError.ended(self.description_zh, self.description)
                self._position = 0
            if attempts >= len(self._files):
                # A whole round without one picture: look again once (files may have changed), then give up.
                if rescanned:
                    raise CameraError.camera_lost(self.description_zh, self.description)
                self._files, self._position, attempts, rescanned = self._scan(), 0, 0, True
                if not self._files:
                    raise CameraError.camera_lost(self.description_zh, self.description)
                continue
            path = self._files[self._position]
            self._position += 1
            attempts += 1
            image = self._load(path)
            if image is not None:
                return image

    def close(self) -> None:
        self._files = []
        self._position = 0


@dataclass(frozen=True)
class SourceSpec:
    """A parsed camera_source setting: a device index, a video file or a folder of images."""

    kind: SourceKind
    device_index: int | None = None
    path: Path | None = None

    def create(self, *, loop: bool = True) -> FrameSource:
        """The frame source; demo files loop by default so a demo camera does not end mid-session."""
        if self.kind == "device":
            assert self.device_index is not None
            return DeviceSource(self.device_index)
        assert self.path is not None
        if self.kind == "video_file":
            return VideoFileSource(self.path, loop=loop)
        return ImageFolderSource(self.path, loop=loop)


def parse_source(spec: str) -> SourceSpec:
    """The camera_source setting: "0", "1", ... a device; an existing file a video; a folder images."""
    text = spec.strip().strip('"').strip("'").strip()
    if text.isascii() and text.isdigit() and int(text) <= _MAX_DEVICE_INDEX:
        return SourceSpec("device", device_index=int(text))
    if text:
        path = Path(text).expanduser()
        try:
            if path.is_file():
                return SourceSpec("video_file", path=path)
            if path.is_dir():
                return SourceSpec("image_folder", path=path)
        except OSError:
            pass  # an impossible path (bad characters, too long) is just as unusable: refused below
    shown = text or "(empty)"
    raise CameraError(
        "unreadable_source",
        f"设置 camera_source 的值“{shown}”无法使用：它不是摄像头编号，也不是已存在的文件或文件夹。"
        f"可以填写{_ALLOWED_ZH}。",
        f'The setting camera_source is "{shown}", which cannot be used: it is not a camera number, nor an '
        f"existing file or folder. It can be {_ALLOWED_EN}.",
    )


class CameraWorker:
    """Runs a FrameSource on a background thread and keeps only the freshest frame(s) for the consumer.

    The source is opened, read and closed on the worker thread only (never the GUI thread). Failures end
    the worker and are reported through `error` and `on_error` (called once, on the worker thread).
    `on_frame_ready` is called on the worker thread after each new frame is queued (a Qt caller emits a
    signal there and takes the frame with latest(0)); it carries no frame so the queue stays the only way in.
    Frames stay in memory: nothing here writes, logs or keeps them beyond the small queue.
    """

    def __init__(
        self,
        source: FrameSource,
        on_error: Callable[[CameraError], None] | None = None,
        queue_size: int = 1,
        on_frame_ready: Callable[[], None] | None = None,
    ) -> None:
        if queue_size not in (1, 2):
            raise ValueError("queue_size must be 1 or 2")
        self.source = source
        self._on_error = on_error
        self._on_frame_ready = on_frame_ready
        self._queue: collections.deque[Frame] = collections.deque(maxlen=queue_size)
        self._newest: Frame | None = None
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: CameraError | None = None
        self._running = False
        self._frames_read = 0
        self._frames_dropped = 0
        self._stamps: collections.deque[float] = collections.deque(maxlen=_FPS_WINDOW)

    def start(self) -> None:
        """Open the source and begin capturing on a background thread (a worker runs once)."""
        if self._thread is not None:
            raise RuntimeError("a CameraWorker can only be started once")
        self._running = True
        self._thread = threading.Thread(target=self._run, name="counterguard-camera", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop capturing, wait for the thread to release the source and drop queued frames.

        Returns False if the thread did not finish in `timeout` (a hung driver); it still releases the
        source when the blocked read returns.
        """
        self._stop.set()
        with self._condition:
            self._condition.notify_all()
        stopped = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            stopped = not self._thread.is_alive()
            if not stopped:
                log.warning("%s did not stop within %.1f s", self.source.description, timeout)
        with self._condition:
            self._queue.clear()
            self._newest = None  # the customer's face leaves memory with the session
        return stopped

    def peek(self) -> Frame | None:
        """The newest captured frame without taking it (a preview beside a latest() consumer), or None."""
        with self._condition:
            return self._newest

    def latest(self, timeout: float) -> Frame | None:
        """Newest frame not yet taken, waiting up to `timeout` s; None if nothing came or the worker ended."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not self._queue:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._running:
                    return None
                self._condition.wait(remaining)
            frame = self._queue.pop()
            # Older queued frames are stale now: the consumer has a newer one.
            self._frames_dropped += len(self._queue)
            self._queue.clear()
            return frame

    @property
    def error(self) -> CameraError | None:
        """Why the worker ended on its own (no camera, camera lost, unusable source), else None."""
        with self._condition:
            return self._error

    @property
    def running(self) -> bool:
        """True from start() until the worker thread has finished (stopped or failed)."""
        with self._condition:
            return self._running

    @property
    def frames_read(self) -> int:
        with self._condition:
            return self._frames_read

    @property
    def frames_dropped(self) -> int:
        """Frames replaced by newer ones before the consumer took them."""
        with self._condition:
            return self._frames_dropped

    @property
    def fps(self) -> float:
        """Capture rate over the last frames (0.0 until two frames came)."""
        with self._condition:
            if len(self._stamps) < 2:
                return 0.0
            span = self._stamps[-1] - self._stamps[0]
            return (len(self._stamps) - 1) / span if span > 0 else 0.0

    def _run(self) -> None:
        failure: CameraError | None = None
        try:
            self.source.open()
            self._capture_loop()
        except CameraError as exc:
            failure = exc
        except Exception:  # a driver fault must end the worker cleanly, not kill the app
            log.exception("%s failed", self.source.description)
            failure = CameraError.camera_lost(self.source.description_zh, self.source.description)
        finally:
            try:
                self.source.close()
            except Exception:  # closing a vanished device may fail; it is gone either way
                log.warning("Closing %s failed", self.source.description, exc_info=True)
        if failure is not None and self._stop.is_set():
            failure = None  # failing while being stopped is just stopping
        with self._condition:
            self._error = failure
            self._running = False
            self._condition.notify_all()
        if failure is not None:
            log.warning("%s: %s (%s)", self.source.description, failure.kind, failure)
            if self._on_error is not None:
                try:
                    self._on_error(failure)
                except Exception:  # the consumer's handler must not take the worker down
                    log.exception("on_error handler failed")

    def _capture_loop(self) -> None:
        next_due = time.monotonic()
        while not self._stop.is_set():
            interval = self.source.interval
            # Waiting on the stop event (not sleeping) keeps stop() prompt at any frame rate.
            if interval > 0 and self._stop.wait(max(0.0, next_due - time.monotonic())):
                return
            image = self.source.read()
            now = time.monotonic()
            if interval > 0:
                # Keep the source's rate without drift, but never try to catch up after a stall.
                next_due = max(next_due + interval, now - interval)
            with self._condition:
                if self._stop.is_set():
                    return
                if len(self._queue) == self._queue.maxlen:
                    self._frames_dropped += 1  # the deque drops the oldest on append
                frame = Frame(image=image, index=self._frames_read, timestamp=now)
                self._queue.append(frame)
                self._newest = frame
                self._frames_read += 1
                self._stamps.append(now)
                self._condition.notify_all()
            if self._on_frame_ready is not None:
                try:
                    self._on_frame_ready()
                except Exception:
                    # Logged once and not called again: a failing handler would otherwise log every frame.
                    log.exception("on_frame_ready handler failed; it will not be called again")
                    self._on_frame_ready = None
