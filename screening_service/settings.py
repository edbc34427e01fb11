"""Run-time settings of the screening service, from the command line or COUNTERGUARD_SERVICE_* variables."""

import os
from dataclasses import dataclass, fields
from pathlib import Path

from screening_service.rules import DEFAULT_RULES_PATH

_ENV_PREFIX = "COUNTERGUARD_SERVICE_"


@dataclass(frozen=True)
class ServiceSettings:
    database_url: str
    rules_path: Path = DEFAULT_RULES_PATH
    # A teller's session; the client's own idle lock (15 min) comes first.
    session_minutes: int = 600
    # A supervisor approval is single-use and must be used at once.
    approval_seconds: int = 120
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    # Failed sign-ins at one terminal, over all teller IDs, before it may not try again for the rest of
    # the window: stops a stolen terminal key from trying one password on every teller ID.
    terminal_sign_in_failures: int = 20
    terminal_sign_in_minutes: int = 15
    # Public account lookups per terminal per minute (kiosks).
    lookup_per_minute: int = 30
    # How long a verified terminal key or session is trusted without a database read.
    # Revocation takes effect within this time on every instance.
    auth_cache_seconds: int = 5

    def to_environment(self) -> dict[str, str]:
        """Hand the settings to worker processes, which read them back with from_environment()."""
        return {_ENV_PREFIX + item.name.upper(): str(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_environment(cls) -> "ServiceSettings":
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = os.environ.get(_ENV_PREFIX + item.name.upper())
            if raw is None:
                continue
            if item.type is int or item.type == "int":
                values[item.name] = int(raw)
            elif item.name == "rules_path":
                values[item.name] = Path(raw)
            else:
                values[item.name] = raw
        if "database_url" not in values:
            raise RuntimeError(f"{_ENV_PREFIX}DATABASE_URL is not set")
        return cls(**values)  # type: ignore[arg-type]
