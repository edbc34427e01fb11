"""The frozen bundle's size on disk, cold start to the sign-in window, and memory with the camera running.

    uv run python -m bench.bundle_metrics                 # builds the bundle into a temp folder first
    uv run python -m bench.bundle_metrics --bundle dist/CounterGuard
    uv run python -m bench.bundle_metrics --windows-bundle DIR [--windows-bundle DIR2]

Start-up and memory come from the frozen console executable's hidden `--startup-probe FRAMES`: it
starts like the app (Qt, translations, the embedded demo service, the teller window), prints when
the sign-in window is shown, then reads FRAMES camera frames from the sample clip through the face
analysis and prints its resident memory. `--windows-bundle` adds the size of a Windows bundle folder
(built on Windows, or here under Wine by tools/wine_windows_bundle.sh), grouped like the bundle
here by installer/bundle_contents.py; it is measured, not started. Writes its section of
docs/performance.md.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.perfdoc import DOC, NOTES_MARKER_TEMPLATE, write_section
from installer.bundle_contents import MODEL_68, component

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "faces" / "clips" / "hamilton_short.mp4"
CONSOLE = "CounterGuard-console.exe" if sys.platform == "win32" else "CounterGuard-console"
MODEL_68_MB = 99.7
SECTION = "Windows bundle (PyInstaller)"
NOTES = NOTES_MARKER_TEMPLATE.format(name="bundle_metrics")


def build(folder: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(folder / "dist"), "--workpath", str(folder / "work"), "pyinstaller.spec",
        ],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    return folder / "dist" / "CounterGuard", time.perf_counter() - started


CLUSTER = 4096  # NTFS's default cluster: what a file takes on disk, rounded up


@dataclass(frozen=True)
class Measured:
    """One bundle folder: what it is (BUILD-INFO.txt), its files and their sizes in MB (10^6 bytes)."""

    info: str
    files: int
    megabytes: float
    allocated: float  # the files rounded up to whole 4 KiB clusters
    parts: dict[str, float]  # MB per component of installer/bundle_contents.py, largest first

    @property
    def label(self) -> str:
        """'demo build, Windows' from 'CounterGuard 0.1.0, demo build, Windows-10-... AMD64, ...'."""
        fields = self.info.split(", ")
        return f"{fields[1]}, {fields[2].split('-')[0]}" if len(fields) > 2 else self.info


def files_of(bundle: Path) -> list[Path]:
    return [path for path in bundle.rglob("*") if path.is_file() and not path.is_symlink()]


def measure(bundle: Path) -> Measured:
    files = files_of(bundle)
    if any(path.name == MODEL_68 for path in files):
        raise SystemExit(f"{MODEL_68} is in {bundle}")
    parts: dict[str, float] = {}
    for path in files:
        label = component(path.relative_to(bundle).as_posix())
        parts[label] = parts.get(label, 0.0) + path.stat().st_size / 1e6
    sizes = [path.stat().st_size for path in files]
    info = bundle / "BUILD-INFO.txt"
    return Measured(
        info=info.read_text(encoding="utf-8").splitlines()[0] if info.is_file() else bundle.name,
        files=len(files),
        megabytes=sum(sizes) / 1e6,
        allocated=sum(-(-size // CLUSTER) * CLUSTER for size in sizes) / 1e6,
        parts=dict(sorted(parts.items(), key=lambda item: -item[1])),
    )


def notes_kept() -> bool:
    """Whether the section already has hand-written notes (write_section keeps them, marker first)."""
    text = DOC.read_text("utf-8") if DOC.exists() else ""
    start = text.find(f"## {SECTION}")
    end = text.find("\n## ", start + 1) if start >= 0 else -1
    return start >= 0 and NOTES in text[start : end if end >= 0 else len(text)]


def probe(bundle: Path, data: Path, *arguments: str) -> tuple[float, list[str]]:
    """Seconds from launch to the sign-in window being shown, and the probe's lines."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COUNTERGUARD_")}
    env["COUNTERGUARD_DATA_DIR"] = str(data)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(bundle / CONSOLE), *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    shown_after = float("nan")
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if line.startswith("STARTUP-PROBE shown"):
            shown_after = time.perf_counter() - started
    if process.wait(timeout=300) != 0:
        raise SystemExit(f"the probe failed: {lines}")
    return shown_after, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bundle", type=Path, help="an existing bundle folder (default: build one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frames", type=int, default=150, help="camera frames for the memory figure")
    parser.add_argument(
        "--windows-bundle",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a Windows bundle folder to measure (size only); may be given more than once",
    )
    args = parser.parse_args()
    windows = [measure(folder) for folder in args.windows_bundle]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        build_seconds = None
        bundle = args.bundle
        if bundle is None:
            bundle, build_seconds = build(folder)
        here = measure(bundle)
        # The first start also creates and seeds the demo database; later ones reuse it, as on a terminal.
        first, _ = probe(bundle, folder / "data", "--startup-probe", "0")
        starts = [probe(bundle, folder / "data", "--startup-probe", "0")[0] for _ in range(args.runs)]
        _, lines = probe(
            bundle, folder / "data", "--startup-probe", str(args.frames), "--set", f"camera_source={CLIP}"
        )
    memory = next((line.split("memory ", 1)[1] for line in lines if "memory" in line), "unknown")
    rss = dict(part.split("=") for part in memory.split()) if "=" in memory else {}
    median = statistics.median(starts)
    spread = f"{median:.2f} s (min {min(starts):.2f}, max {max(starts):.2f})"
    resident = f"{rss.get('VmRSS', '?')} MB (peak {rss.get('VmHWM', '?')} MB)"
    camera = (
        f"resident memory with the camera running ({args.frames} frames of the sample clip, face analysis)"
    )
    build_line = f"{build_seconds:.0f} s" if build_seconds is not None else "not measured (existing bundle)"
    system = f"{platform.system()} {platform.machine()}"
    bundles = [here, *windows]
    size_rows = [
        f"| {item.label} | {item.files} | {item.megabytes:.1f} MB | {item.allocated:.1f} MB | "
        + ("under 250 MB |" if item in windows else "(a Windows target) |")
        for item in bundles
    ]
    labels: list[str] = []
    for item in bundles:
        labels += [label for label in item.parts if label not in labels]
    part_rows = [
        f"| {label} |" + "".join(f" {item.parts.get(label, 0.0):.1f} |" for item in bundles)
        for label in labels
    ]
    part_rows.append("| total |" + "".join(f" {item.megabytes:.1f} |" for item in bundles))
    legend = "\n".join(f"- {item.label}: {item.info}" for item in bundles)
    body = f"""
`uv run python -m bench.bundle_metrics{"".join(" --windows-bundle DIR" for _ in windows)}` on {system},
{os.cpu_count()} CPUs, Python {platform.python_version()}: the default (demo) build of `pyinstaller.spec`
here{", and the Windows bundles given (measured, not started)" if windows else ""}. MB = 10^6 bytes.

{legend}

| bundle | files | size of the files | on disk in 4 KiB clusters | target |
|---|---:|---:|---:|---|
{chr(10).join(size_rows)}

| measure, {system} | value | target |
|---|---|---|
| cold start to the sign-in window, first start (creates the demo database) | {first:.2f} s | |
| start to the sign-in window, median of {len(starts)} | {spread} | under 3 s |
| {camera} | {resident} | under 400 MB |
| build time (PyInstaller) | {build_line} | |

Where the size goes, MB (groups of installer/bundle_contents.py):

| component |{"".join(f" {item.label} |" for item in bundles)}
|---|{"---:|" * len(bundles)}
{chr(10).join(part_rows)}

The 68-point landmark model ({MODEL_68_MB} MB) is in none of these bundles (checked).
{"" if notes_kept() else NOTES}
"""
    write_section(SECTION, body, "bundle_metrics")
    print(
        "bundle "
        + ", ".join(
            f"{item.label} {item.megabytes:.1f} MB ({item.allocated:.1f} MB on disk)" for item in bundles
        )
        + f"; start to sign-in window {median:.2f} s (first {first:.2f} s), "
        f"memory with camera {rss.get('VmRSS', '?')} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
