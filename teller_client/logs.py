"""Rotating log files per area in the user log folder, with personal data masked."""

import logging
import logging.handlers
from pathlib import Path

from teller_client.masking import mask_text

AREAS = ("app", "network", "audit", "workflow", "face", "ui")
_MAX_BYTES = 2_000_000
_BACKUPS = 10
_handlers: list[logging.Handler] = []


class MaskingFilter(logging.Filter):
    """Account and ID numbers never reach a log file, whoever wrote the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = mask_text(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _in_area(name: str, area: str) -> bool:
    prefix = f"counterguard.{area}"
    return name == prefix or name.startswith(prefix + ".")


class _AreaFilter(logging.Filter):
    """Keeps one area's records; the "app" file takes everything that is in no other area."""

    def __init__(self, area: str) -> None:
        super().__init__()
        self._area = area

    def filter(self, record: logging.LogRecord) -> bool:
        if self._area == "app":
            return not any(_in_area(record.name, area) for area in AREAS if area != "app")
        return _in_area(record.name, self._area)


def setup_logging(folder: Path, level: str = "INFO") -> None:
    """One rotating file per area (counterguard.<area> loggers); everything else goes to app.log."""
    stop_logging()
    folder.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for area in AREAS:
        handler = logging.handlers.RotatingFileHandler(
            folder / f"{area}.log", maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
        )
        handler.setFormatter(formatter)
        handler.addFilter(MaskingFilter())
        handler.addFilter(_AreaFilter(area))
        root.addHandler(handler)
        _handlers.append(handler)


def stop_logging() -> None:
    root = logging.getLogger()
    while _handlers:
        handler = _handlers.pop()
        root.removeHandler(handler)
        handler.close()
