"""Face pipeline speed: milliseconds per stage and per processed frame, on the shared clip and photos.

Stages: decode (the clip's video frame, or a 640x480 JPEG as a webcam in MJPEG mode sends it),
detect (HOG on the frame downscaled to 320 px wide, again at twice that when nothing is found),
landmarks (5-point model on the full-resolution frame), encode (ResNet on the full-resolution face).
Whole-frame: every frame searched whole (FaceAnalyzer.analyze). Tracked: as the app runs a check
(FaceTracker): near the last face, the whole frame every 250 ms and whenever the face is lost; the clip's
frames are fed one by one with their clip time. The decision latency replays the clip in real time
(30 fps; frames that arrive while a frame is being analysed are dropped) against Lin-Manuel Miranda's
photo, tracked as FaceVerification does (the deciding frame searched whole), and measures from the
arrival of the first good frame to the match decision.
Targets: detection + landmarks under 20 ms per frame; a decision within 1 s of the first good frame.
Prints a last summary line and writes the figures to docs/performance.md.

    uv run python bench/face_speed.py
"""

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.perfdoc import write_section  # noqa: E402
from teller_client.face.analysis import FaceAnalyzer, load_image  # noqa: E402
from teller_client.face.matching import MATCH_THRESHOLD, NO_MATCH_THRESHOLD, Matcher  # noqa: E402
from teller_client.face.tracking import FULL_FRAME_SECONDS, FaceTracker  # noqa: E402

FACES = ROOT.parent / "shared" / "faces"
CLIP = FACES / "clips" / "hamilton_short.mp4"
REFERENCE = FACES / "people" / "lin_manuel_miranda" / "lin1.png"
STEADY = FACES / "people" / "obama" / "obama1.jpg"  # frontal, unlike lin1.png
CLIP_FPS = 30.0
# Counter framing for the photos: the face a third of a 640x480 frame's width, as a customer seated
# at the counter about 60 cm from a 60-70 degree webcam.
COUNTER_SIZE = (640, 480)
COUNTER_FACE_SHARE = 0.33
# The clip's good frontal frames come in a short window, so a real-time replay depends on how fast the
# machine happens to be at that moment: each replay is run this many times, tracked and whole in turn.
REPLAYS = 3


def clip_frames() -> Iterator[tuple[float, np.ndarray]]:
    """(decode ms, RGB frame) for each frame of the clip."""
    capture = cv2.VideoCapture(str(CLIP))
    try:
        while True:
            started = time.perf_counter()
            ok, frame = capture.read()
            if not ok:
                return
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            yield (time.perf_counter() - started) * 1000, rgb
    finally:
        capture.release()


def counter_frames(analyzer: FaceAnalyzer) -> dict[str, bytes]:
    """Each people/ photo cropped and scaled as a counter webcam would frame the face, as JPEG bytes."""
    frames = {}
    for path in sorted((FACES / "people").glob("*/*")):
        photo = load_image(path.read_bytes())
        found = analyzer.analyze_photo(photo, encode=False)
        if len(found.boxes) != 1:
            continue
        box = found.boxes[0]
        crop_width = box.width / COUNTER_FACE_SHARE
        crop_height = crop_width * COUNTER_SIZE[1] / COUNTER_SIZE[0]
        centre_x, centre_y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
        pad = round(max(crop_width, crop_height))
        padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0 = round(centre_x - crop_width / 2) + pad, round(centre_y - crop_height / 2) + pad
        crop = padded[y0 : y0 + round(crop_height), x0 : x0 + round(crop_width)]
        frame = cv2.resize(crop, COUNTER_SIZE, interpolation=cv2.INTER_AREA)
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        frames[path.name] = jpeg.tobytes()
    return frames


def _landmarks_and_encode(
    analyzer: FaceAnalyzer, frame: np.ndarray, rect: tuple[int, ...]
) -> dict[str, float]:
    import dlib

    models = analyzer._models
    top, right, bottom, left = rect
    started = time.perf_counter()
    shape = models.predictor(frame, dlib.rectangle(left, top, right - 1, bottom - 1))
    landmarks = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    models.encoder.compute_face_descriptor(frame, shape, 0)
    return {"landmarks": landmarks, "encode": (time.perf_counter() - started) * 1000}


def stages(analyzer: FaceAnalyzer, frame: np.ndarray) -> dict[str, float]:
    """The pipeline's stages one by one (as analyze() runs them), in ms; landmarks/encode need one face."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    detection = analyzer.detect(frame)
    times["detect"] = (time.perf_counter() - started) * 1000
    if len(detection.rects) == 1:
        times.update(_landmarks_and_encode(analyzer, frame, detection.rects[0]))
    started = time.perf_counter()
    analyzer.analyze(frame, encode=True, frontal_required=False)
    times["frame"] = (time.perf_counter() - started) * 1000
    return times


def tracked_stages(analyzer: FaceAnalyzer, frames: list[np.ndarray]) -> list[dict[str, float]]:
    """The clip through a FaceTracker at 30 fps clip time; then through another for whole processed frames."""
    rows = []
    tracker = FaceTracker(analyzer)
    for index, frame in enumerate(frames):
        started = time.perf_counter()
        detection = tracker.detect(frame, index / CLIP_FPS)
        row = {"detect": (time.perf_counter() - started) * 1000, "whole": float(detection.full_frame)}
        if len(detection.rects) == 1:
            row.update(_landmarks_and_encode(analyzer, frame, detection.rects[0]))
        rows.append(row)
    tracker = FaceTracker(analyzer)
    for index, frame in enumerate(frames):
        started = time.perf_counter()
        tracker.analyze(frame, index / CLIP_FPS, encode=True, frontal_required=False)
        rows[index]["frame"] = (time.perf_counter() - started) * 1000
    return rows


Stats = tuple[float, float, float, int]  # mean, median, p90, count


def stats(values: list[float]) -> Stats:
    ordered = sorted(values)
    return (
        statistics.mean(values),
        statistics.median(values),
        ordered[int(0.9 * (len(ordered) - 1))],
        len(values),
    )


def summarise(rows: list[dict[str, float]]) -> dict[str, Stats]:
    """(mean, median, p90, count) per stage; detect+landmarks per frame with one face, and per frame."""
    out = {}
    for key in ("decode", "detect", "landmarks", "encode", "frame"):
        values = [row[key] for row in rows if key in row]
        if values:
            out[key] = stats(values)
    if any("whole" in row for row in rows):
        for name, whole in (("detect, tracked frames", 0.0), ("detect, whole-frame frames", 1.0)):
            values = [row["detect"] for row in rows if row["whole"] == whole]
            if values:
                out[name] = stats(values)
    both = [row["detect"] + row["landmarks"] for row in rows if "landmarks" in row]
    if both:
        out["detect+landmarks"] = stats(both)
    if any("whole" in row for row in rows):
        for name, whole in (
            ("detect+landmarks, tracked frames", 0.0),
            ("detect+landmarks, whole-frame frames", 1.0),
        ):
            values = [
                row["detect"] + row["landmarks"]
                for row in rows
                if "landmarks" in row and row["whole"] == whole
            ]
            if values:
                out[name] = stats(values)
    out["detect+landmarks, every frame"] = stats([row["detect"] + row.get("landmarks", 0.0) for row in rows])
    return out


def decision_latency(
    analyzer: FaceAnalyzer, frames: list[np.ndarray], tracked: bool
) -> tuple[float | None, str, int, int]:
    """Real-time replay: ms from the first good frame's arrival to the decision; outcome; frames (whole)."""
    reference, issues = analyzer.reference_encoding(load_image(REFERENCE.read_bytes()))
    assert reference is not None, issues
    matcher = Matcher(reference, MATCH_THRESHOLD, NO_MATCH_THRESHOLD)
    tracker = FaceTracker(analyzer)
    clock = 0.0  # seconds of clip time; advanced by the real processing time
    first_good: float | None = None
    processed = whole = 0
    while True:
        index = int(clock * CLIP_FPS)
        if index >= len(frames):
            return None, "no decision", processed, whole
        arrived = index / CLIP_FPS
        started = time.perf_counter()
        if tracked:
            result = tracker.analyze(
                frames[index], clock, encode=True, frontal_required=True, full_frame=matcher.decides_next
            )
        else:
            result = analyzer.analyze(frames[index], encode=True, frontal_required=True)
        decision = matcher.add(result.encoding) if result.encoding is not None else None
        elapsed = time.perf_counter() - started
        processed += 1
        whole += result.full_frame
        if result.good and first_good is None:
            first_good = arrived
        clock = max(clock + elapsed, arrived + 1 / CLIP_FPS)
        if decision is not None:
            assert first_good is not None
            return (clock - first_good) * 1000, str(decision.outcome), processed, whole


def steady_latency(analyzer: FaceAnalyzer, jpeg: bytes) -> float:
    """ms from the first good frame to the decision when every frame is good (a customer holding still)."""
    reference, issues = analyzer.reference_encoding(load_image(STEADY.read_bytes()))
    assert reference is not None, issues
    matcher = Matcher(reference, MATCH_THRESHOLD, NO_MATCH_THRESHOLD)
    tracker = FaceTracker(analyzer)
    frame = load_image(jpeg)
    started = time.perf_counter()
    while True:
        result = tracker.analyze(
            frame, time.perf_counter(), encode=True, frontal_required=True, full_frame=matcher.decides_next
        )
        assert result.encoding is not None, result.issues
        if matcher.add(result.encoding) is not None:
            return (time.perf_counter() - started) * 1000


def run() -> dict[str, object]:
    analyzer = FaceAnalyzer()
    clip_rows = []
    frames = []
    for decode_ms, frame in clip_frames():
        frames.append(frame)
        row = stages(analyzer, frame)
        row["decode"] = decode_ms
        clip_rows.append(row)
    tracked_rows = tracked_stages(analyzer, frames)
    photo_rows = []
    counter = counter_frames(analyzer)
    for jpeg in counter.values():
        for _ in range(3):
            started = time.perf_counter()
            frame = load_image(jpeg)
            decode_ms = (time.perf_counter() - started) * 1000
            row = stages(analyzer, frame)
            row["decode"] = decode_ms
            photo_rows.append(row)
    replays: dict[str, list[tuple[float | None, str, int, int]]] = {"tracked": [], "whole": []}
    for _ in range(REPLAYS):
        for kind, runs in replays.items():
            runs.append(decision_latency(analyzer, frames, kind == "tracked"))
    chip = cv2.resize(load_image(REFERENCE.read_bytes()), (102, 126), interpolation=cv2.INTER_AREA)
    started = time.perf_counter()
    analyzer.reference_encoding(chip)
    reference_ms = (time.perf_counter() - started) * 1000
    return {
        "clip": summarise(clip_rows),
        "tracked": summarise(tracked_rows),
        "photos": summarise(photo_rows),
        "clip_frames": len(clip_rows),
        "photo_frames": len(photo_rows),
        "replays": replays,
        "reference_ms": reference_ms,
        "steady": statistics.median(steady_latency(analyzer, counter[STEADY.name]) for _ in range(REPLAYS)),
    }


def median_latency(runs: list[tuple[float | None, str, int, int]]) -> float | None:
    """The median decision latency of several replays; a replay without a decision counts as slowest."""
    latencies = sorted(float("inf") if run[0] is None else run[0] for run in runs)
    middle = latencies[len(latencies) // 2]
    return None if middle == float("inf") else middle


def table(stats: dict[str, Stats], keys: tuple[str, ...]) -> str:
    lines = ["| stage | mean ms | median ms | p90 ms | frames |", "|---|---:|---:|---:|---:|"]
    for key in keys:
        if key in stats:
            mean, median, p90, count = stats[key]
            name = "processed frame (encode=True)" if key == "frame" else key
            lines.append(f"| {name} | {mean:.1f} | {median:.1f} | {p90:.1f} | {count} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args()
    if not CLIP.exists():
        print(f"face_speed: {FACES} is missing (see the README of ../shared/faces)")
        return 1
    result = run()
    clip, tracked, photos = result["clip"], result["tracked"], result["photos"]
    assert isinstance(clip, dict)
    assert isinstance(tracked, dict)
    assert isinstance(photos, dict)
    replays = result["replays"]
    assert isinstance(replays, dict)
    steady = result["steady"]
    assert isinstance(steady, float)
    photo_frames = result["photo_frames"]
    assert isinstance(photo_frames, int)
    photo_dl = photos["detect+landmarks"][1]
    whole_dl = clip["detect+landmarks"][1]
    tracked_dl = tracked["detect+landmarks"]
    # The target on the clip, per frame with a face: the mean and the median. The frames searched whole
    # (one in eight at 30 fps, more when the face is lost) cost what every frame cost before tracking,
    # so the p90 is theirs; it is reported, not hidden.
    clip_met = tracked_dl[0] < 20 and tracked_dl[1] < 20
    latency = median_latency(replays["tracked"])
    latency_text = "no decision" if latency is None else f"{latency:.0f} ms"
    summary = (
        f"face_speed: detect+landmarks median {photo_dl:.1f} ms (counter framing); on the clip median "
        f"{whole_dl:.1f} ms searching every frame whole, tracked mean {tracked_dl[0]:.1f} / median "
        f"{tracked_dl[1]:.1f} / p90 {tracked_dl[2]:.1f} ms; decision {steady:.0f} ms after the first good "
        f"frame (steady face), {latency_text} (clip) "
        f"({'meets' if photo_dl < 20 and clip_met else 'MISSES'} <20 ms, "
        f"{'meets' if steady < 1000 else 'MISSES'} <1 s)"
    )
    if not args.no_doc:
        cpu = platform.processor() or platform.machine()
        machine = f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, dlib without BLAS"
        whole_keys = (
            "decode",
            "detect",
            "landmarks",
            "encode",
            "detect+landmarks",
            "detect+landmarks, every frame",
            "frame",
        )
        tracked_keys = (
            "detect, tracked frames",
            "detect, whole-frame frames",
            "detect",
            "landmarks",
            "detect+landmarks, tracked frames",
            "detect+landmarks, whole-frame frames",
            "detect+landmarks",
            "detect+landmarks, every frame",
            "frame",
        )
        tracked_count = tracked["detect, tracked frames"][3] if "detect, tracked frames" in tracked else 0
        whole_face = tracked.get("detect+landmarks, whole-frame frames", (0.0, 0.0, 0.0, 0))

        def replay_text(kind: str) -> str:
            runs = []
            for latency, outcome, processed, whole in replays[kind]:
                text = "no decision" if latency is None else f"{latency:.0f} ms"
                runs.append(f"{text} ({outcome}, {processed} frames analysed, {whole} searched whole)")
            middle = median_latency(replays[kind])
            return f"median {'no decision' if middle is None else f'{middle:.0f} ms'}: " + "; ".join(runs)

        clip_note = (
            " and on the clip"
            if latency is not None and latency < 1000
            else " (not on the clip, where the singer turns away between good frames)"
        )
        body = f"""Measured {date.today().isoformat()} on this machine ({machine}).
Reproduce with `uv run python bench/face_speed.py`. Mean, median and p90 per frame; "detect+landmarks"
counts the frames with exactly one face (landmarks need one), "every frame" also the frames without one.

Counter-framed photos: the {photo_frames // 3} single-face photos of `people/`, each cropped so that
the face is a third of a 640x480 frame (a customer seated at the counter), JPEG-encoded and decoded
3 times, each searched whole:

{table(photos, whole_keys)}

The shared clip `clips/hamilton_short.mp4` (640x360, {result["clip_frames"]} frames; the faces are only
74-106 px wide, too small for the 320 px fast pass, so a whole-frame search also takes the second,
upsampled pass), **every frame searched whole** (`FaceAnalyzer.analyze`, as before tracking):

{table(clip, whole_keys)}

The same clip **tracked, as a face check runs it** (`FaceTracker`: each frame searched only near the last
face, at the same resolution; the whole frame every {FULL_FRAME_SECONDS * 1000:.0f} ms of clip time and
whenever the face is lost or there is not exactly one; {tracked_count} of {result["clip_frames"]} frames
searched near the face):

{table(tracked, tracked_keys)}

Decision latency, a customer holding still (every frame good: the counter-framed `obama1.jpg` analysed,
tracked, against the same photo as reference; median of {REPLAYS}): {steady:.0f} ms from the first good
frame to the decision. The clip replayed in real time against the photo `lin1.png` (frames arriving
while one is analysed are dropped), from the arrival of the first good frame to the decision, {REPLAYS}
times each, in turn:

- tracked, as the app runs it (the deciding frame searched whole): {replay_text("tracked")};
- every frame searched whole: {replay_text("whole")}.

Reference encoding of a 102x126 chip (enlarged, 10 jitters): {result["reference_ms"]:.0f} ms, once per
customer.

Targets: detection + landmarks under 20 ms per frame: {"met" if photo_dl < 20 else "missed"} at counter
framing (median {photo_dl:.1f} ms); {"met" if clip_met else "missed"} on the clip with tracking, for the
mean ({tracked_dl[0]:.1f} ms) and the median ({tracked_dl[1]:.1f} ms) of the frames with a face (p90
{tracked_dl[2]:.1f} ms), against a median of {whole_dl:.1f} ms searching every frame whole. The frames with a
face still searched whole (every {FULL_FRAME_SECONDS * 1000:.0f} ms, and when the region lost the face) cost
what every frame cost before: median {whole_face[1]:.1f} ms, p90 {whole_face[2]:.1f} ms
({whole_face[3]} frames), as do the frames without exactly one face, which are always searched whole.
A decision within 1 s of the first good frame: {"met" if steady < 1000 else "missed"} for a still
customer{clip_note}.
"""
        write_section("Face pipeline speed (bench/face_speed.py)", body, "face_speed")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
