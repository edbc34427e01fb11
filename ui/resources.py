"""Where bundled files are (in the source tree, or inside the PyInstaller bundle)."""

import sys
from pathlib import Path


def asset(*parts: str) -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base.joinpath("assets", *parts)
