"""Face matching accuracy: FMR and FNMR at the chosen thresholds, full-size and chip-size references.

Takes folders of `<identity>/<image>` files. Every image is enrolled in turn as the reference (as the
ID photo is: FaceAnalyzer.reference_encoding, with jitters), and every other image of the folder is
matched against it as one live frame (one photo, no median over frames: the hard case). The same
again with a chip-sized copy of each reference: the face cropped as on an ID card and scaled down to
102x126 px. A false match is an impostor pair at or below MATCH_THRESHOLD; a false non-match is a
genuine pair above it (inconclusive or no match); "refused" genuine pairs are those above
NO_MATCH_THRESHOLD. Target: no false match, FNMR at most 3% (full size) and 5% (chip size).
Prints a last summary line and writes the figures to docs/performance.md.

    uv run python bench/face_accuracy.py [--data DIR ...]
"""

import argparse
import itertools
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.perfdoc import write_section  # noqa: E402
from teller_client.face.analysis import FaceAnalyzer, load_image  # noqa: E402
from teller_client.face.matching import MATCH_THRESHOLD, NO_MATCH_THRESHOLD  # noqa: E402

FACES = ROOT.parent / "shared" / "faces"
CHIP_SIZE = (102, 126)
# On an ID-card photo the face box the detector finds is about half the photo's width.
CHIP_FACE_SHARE = 0.5
GRID = (0.40, 0.45, 0.50, 0.55, 0.60)


@dataclass
class Enrolled:
    identity: str
    name: str
    probe: np.ndarray | None
    reference: np.ndarray | None
    chip_reference: np.ndarray | None


def chip_copy(analyzer: FaceAnalyzer, image: np.ndarray) -> np.ndarray | None:
    """The face cropped with ID-photo margins (portrait 102:126) and scaled down to chip size."""
    found = analyzer.analyze_photo(image, encode=False)
    if len(found.boxes) != 1:
        return None
    box = found.boxes[0]
    width = box.width / CHIP_FACE_SHARE
    height = width * CHIP_SIZE[1] / CHIP_SIZE[0]
    centre_x = (box.left + box.right) / 2
    centre_y = (box.top + box.bottom) / 2 - 0.05 * height  # room for the hair above, less below the chin
    pad = round(max(width, height))
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = round(centre_x - width / 2) + pad, round(centre_y - height / 2) + pad
    crop = padded[y0 : y0 + round(height), x0 : x0 + round(width)]
    return np.ascontiguousarray(cv2.resize(crop, CHIP_SIZE, interpolation=cv2.INTER_AREA))


def enrol(analyzer: FaceAnalyzer, folder: Path) -> list[Enrolled]:
    enrolled = []
    for path in sorted(p for p in folder.glob("*/*") if p.is_file()):
        image = load_image(path.read_bytes())
        probe, _ = analyzer.photo_encoding(image, jitters=0)
        reference, _ = analyzer.reference_encoding(image)
        chip = chip_copy(analyzer, image)
        chip_reference = analyzer.reference_encoding(chip)[0] if chip is not None else None
        enrolled.append(Enrolled(path.parent.name, path.name, probe, reference, chip_reference))
    return enrolled


def distances(enrolled: list[Enrolled], chip: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """Genuine and impostor distances over all ordered (reference, probe) pairs; pairs skipped."""
    genuine, impostor, skipped = [], [], 0
    for ref, probe in itertools.permutations(enrolled, 2):
        encoding = ref.chip_reference if chip else ref.reference
        if encoding is None or probe.probe is None:
            skipped += 1
            continue
        distance = float(np.linalg.norm(encoding - probe.probe))
        (genuine if ref.identity == probe.identity else impostor).append(distance)
    return np.array(genuine), np.array(impostor), skipped


def rates(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float, float]:
    fnmr = float((genuine > threshold).mean()) if genuine.size else float("nan")
    fmr = float((impostor <= threshold).mean()) if impostor.size else float("nan")
    return fmr, fnmr


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, action="append", help="a folder of <identity>/<image> files")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args()
    folders: list[Path] = args.data or [FACES / "johns", FACES / "people"]
    analyzer = FaceAnalyzer()
    rows, grid_rows, summaries = [], [], []
    all_ok = True
    for folder in folders:
        enrolled = enrol(analyzer, folder)
        no_face = [e.name for e in enrolled if e.probe is None or e.reference is None]
        for chip in (False, True):
            genuine, impostor, skipped = distances(enrolled, chip)
            fmr, fnmr = rates(genuine, impostor, MATCH_THRESHOLD)
            refused = float((genuine > NO_MATCH_THRESHOLD).mean()) if genuine.size else float("nan")
            target = 0.05 if chip else 0.03
            ok = fmr == 0 and fnmr <= target
            all_ok = all_ok and ok
            kind = "chip 102x126" if chip else "full size"
            g = np.percentile(genuine, [50, 95, 100]) if genuine.size else [float("nan")] * 3
            i = np.percentile(impostor, [0, 1, 50]) if impostor.size else [float("nan")] * 3
            rows.append(
                f"| {folder.name} | {kind} | {genuine.size} | {impostor.size} | {skipped} "
                f"| {g[0]:.3f} / {g[1]:.3f} / {g[2]:.3f} | {i[0]:.3f} / {i[1]:.3f} / {i[2]:.3f} "
                f"| {fmr:.2%} | {fnmr:.2%} | {refused:.2%} | {'yes' if ok else 'NO'} |"
            )
            grid = " | ".join("{:.2%} / {:.2%}".format(*rates(genuine, impostor, t)) for t in GRID)
            grid_rows.append(f"| {folder.name} | {kind} | {grid} |")
            summaries.append(f"{folder.name} {kind}: FMR {fmr:.2%} FNMR {fnmr:.2%}")
        if no_face:
            rows.append(f"| {folder.name} | no single face found | {', '.join(no_face)} | | | | | | | | |")
    summary = (
        f"face_accuracy at match threshold {MATCH_THRESHOLD} (no match above {NO_MATCH_THRESHOLD}): "
        + "; ".join(summaries)
        + f" ({'meets' if all_ok else 'MISSES'} FMR 0, FNMR <=3% full / <=5% chip)"
    )
    if not args.no_doc:
        header = " | ".join(f"{t:.2f}" for t in GRID)
        body = f"""Measured {date.today().isoformat()}. Reproduce with `uv run python bench/face_accuracy.py`
(default folders: `../shared/faces/johns` and `../shared/faces/people`).

Each image enrolled in turn as the reference (10 jitters), every other image matched as one live
frame (no median over frames). Match threshold {MATCH_THRESHOLD}, no match above {NO_MATCH_THRESHOLD}.
Distances are given as genuine median / p95 / max and impostor min / p1 / median. FNMR counts every
genuine pair that is not a match (inconclusive or no match); "refused" is the share of genuine pairs
in the no-match band.

| data | reference | genuine pairs | impostor pairs | pairs skipped | genuine distances | \
impostor distances | FMR | FNMR | refused | target met |
|---|---|---:|---:|---:|---|---|---:|---:|---:|---|
{chr(10).join(rows)}

FMR / FNMR at other thresholds:

| data | reference | {header} |
|---|---|{"---|" * len(GRID)}
{chr(10).join(grid_rows)}
"""
        write_section("Face matching accuracy (bench/face_accuracy.py)", body, "face_accuracy")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
