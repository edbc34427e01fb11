"""Rewrite the settings table of docs/configuration.md from the schema in teller_client/settings.py.

Run after adding or changing a setting: `uv run python tools/update_configuration_doc.py`.
A test fails when the table and the schema disagree.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from teller_client.settings import describe  # noqa: E402 - after the path is set

DOC = ROOT / "docs" / "configuration.md"
HEADING = "## Settings"


def settings_table() -> str:
    rows = ["| setting | type | default | allowed | description |", "|---|---|---|---|---|"]
    for item in describe():
        default = item["default"]
        shown = "(empty)" if default == "" else str(default).lower() if isinstance(default, bool) else default
        allowed = ", ".join(item["allowed"]) or (
            f"{item['minimum']} – {item['maximum']}" if item["minimum"] is not None else ""
        )
        rows.append(f"| `{item['name']}` | {item['type']} | `{shown}` | {allowed} | {item['description']} |")
    return "\n".join(rows) + "\n"


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(HEADING)
    DOC.write_text(text[:start] + HEADING + "\n\n" + settings_table(), encoding="utf-8")
    print(f"{DOC.relative_to(ROOT)}: settings table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
