"""UTC time helpers, so every stored and returned timestamp is timezone-aware UTC."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 with a `Z`, the form the API publishes."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
