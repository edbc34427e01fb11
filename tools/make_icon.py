"""Draws the application icon (a shield with a check mark) into assets/counterguard.ico and .png.

Run once after changing the design: `uv run python -m tools.make_icon`. The .ico holds PNG images
at 16, 24, 32, 48, 64 and 256 px (Windows Vista and later read PNG entries), used by the
executable's resource, the installer and the Start-menu shortcuts.
"""

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SIZES = (16, 24, 32, 48, 64, 256)


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 100.0
    shield = QPainterPath(QPointF(50 * s, 4 * s))
    shield.cubicTo(QPointF(66 * s, 14 * s), QPointF(80 * s, 16 * s), QPointF(92 * s, 16 * s))
    shield.cubicTo(QPointF(92 * s, 58 * s), QPointF(76 * s, 82 * s), QPointF(50 * s, 96 * s))
    shield.cubicTo(QPointF(24 * s, 82 * s), QPointF(8 * s, 58 * s), QPointF(8 * s, 16 * s))
    shield.cubicTo(QPointF(20 * s, 16 * s), QPointF(34 * s, 14 * s), QPointF(50 * s, 4 * s))
    painter.fillPath(shield, QColor("#b3261e"))
    pen = QPen(QColor("white"), max(1.5, 11 * s))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.drawPolyline([QPointF(30 * s, 50 * s), QPointF(45 * s, 65 * s), QPointF(71 * s, 36 * s)])
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: list[tuple[int, bytes]]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, blob in images:
        edge = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    images = [(size, png_bytes(draw(size))) for size in SIZES]
    (ASSETS / "counterguard.ico").write_bytes(ico_bytes(images))
    (ASSETS / "counterguard.png").write_bytes(images[-1][1])
    print(f"wrote {ASSETS / 'counterguard.ico'} and counterguard.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
