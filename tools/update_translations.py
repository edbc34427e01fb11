"""Refresh the translation files: extract strings from ui/, fill in zh-CN, compile the .qm.

Run after changing any user-visible text: `uv run python tools/update_translations.py`.
A test fails when a string in ui/ has no translation, so nothing ships half-translated.
"""

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.translations_zh_cn import ZH_CN  # noqa: E402 - after the path is set

TS_FILE = ROOT / "assets" / "i18n" / "counterguard_zh_CN.ts"
QM_FILE = TS_FILE.with_suffix(".qm")


def sources() -> list[Path]:
    return sorted((ROOT / "ui").glob("*.py"))


def extract(target: Path) -> None:
    command = ["pyside6-lupdate", *map(str, sources()), "-no-obsolete", "-ts", str(target)]
    subprocess.run(command, check=True, capture_output=True)


def fill(target: Path) -> list[str]:
    """Put in every known translation; returns the source texts that have none."""
    tree = ElementTree.parse(target)
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        if source in ZH_CN:
            translation.text = ZH_CN[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return missing


def main() -> int:
    extract(TS_FILE)
    missing = fill(TS_FILE)
    subprocess.run(["pyside6-lrelease", str(TS_FILE), "-qm", str(QM_FILE)], check=True, capture_output=True)
    for source in missing:
        print(f"no zh-CN translation: {source!r}", file=sys.stderr)
    print(f"{TS_FILE.name}: {len(missing)} untranslated; compiled {QM_FILE.name}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
