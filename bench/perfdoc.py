"""Each benchmark owns one "## " section of docs/performance.md and replaces only that section."""

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
NOTES_MARKER_TEMPLATE = "<!-- {name} notes -->"


def write_section(title: str, body: str, name: str, doc: Path = DOC) -> None:
    """Replace the section headed `## {title}`; hand-written notes after its notes marker are kept."""
    heading = f"## {title}"
    section = f"{heading}\n\n{body.strip()}\n"
    marker = NOTES_MARKER_TEMPLATE.format(name=name)
    doc.parent.mkdir(parents=True, exist_ok=True)
    existing = doc.read_text("utf-8") if doc.exists() else "# Performance\n"
    start = existing.find(heading)
    if start < 0:
        doc.write_text(existing.rstrip("\n") + "\n\n" + section, "utf-8")
        return
    end = existing.find("\n## ", start + len(heading))
    end = len(existing) if end < 0 else end + 1
    old = existing[start:end]
    kept = old[old.find(marker) :].rstrip("\n") + "\n" if marker in old else ""
    new = section + ("\n" + kept if kept else "")
    rest = existing[end:]
    doc.write_text(existing[:start] + new + ("\n" + rest if rest else ""), "utf-8")
