"""The frozen bundle's size on disk, cold start to the sign-in window, and memory with the camera running.

    uv run python -m bench.bundle_metrics                 # builds the bundle into a temp folder first
    uv run python -m bench.bundle_metrics --bundle dist/CounterGuard

Start-up and memory come from the frozen console executable's hidden `--startup-probe FRAMES`: it
starts like the app (Qt, translations, the embedded demo service, the teller window), prints when
the sign-in window is shown, then reads FRAMES camera frames from the sample clip through the face
analysis and prints its resident memory. Writes its section of docs/performance.md.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.perfdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "faces" / "clips" / "hamilton_short.mp4"
CONSOLE = "CounterGuard-console.exe" if sys.platform == "win32" else "CounterGuard-console"
MODEL_68_MB = 99.7


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


def size_mb(bundle: Path) -> tuple[float, int]:
    files = [path for path in bundle.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files) / 1e6, len(files)


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        build_seconds = None
        bundle = args.bundle
        if bundle is None:
            bundle, build_seconds = build(folder)
        megabytes, count = size_mb(bundle)
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
    body = f"""
`uv run python -m bench.bundle_metrics` on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs,
Python {platform.python_version()}: the default (demo) build of `pyinstaller.spec`.

| measure | value | target |
|---|---|---|
| bundle size on disk | {megabytes:.0f} MB in {count} files | under 250 MB |
| cold start to the sign-in window, first start (creates the demo database) | {first:.2f} s | |
| start to the sign-in window, median of {len(starts)} | {spread} | under 3 s |
| {camera} | {resident} | under 400 MB |
| build time (PyInstaller) | {build_line} | |

The 68-point landmark model ({MODEL_68_MB} MB) is not in the bundle.

<!-- bundle_metrics notes -->
"""
    write_section("Windows bundle (PyInstaller)", body, "bundle_metrics")
    print(
        f"bundle {megabytes:.0f} MB, start to sign-in window {median:.2f} s (first {first:.2f} s), "
        f"memory with camera {rss.get('VmRSS', '?')} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
