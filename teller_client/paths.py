"""Where the client keeps its files; COUNTERGUARD_DATA_DIR moves everything into one folder."""

import os
from pathlib import Path

import platformdirs

APP_NAME = "CounterGuard"
CONFIG_FILE_NAME = "counterguard.toml"


def _override() -> Path | None:
    value = os.environ.get("COUNTERGUARD_DATA_DIR")
    return Path(value) if value else None


def data_dir() -> Path:
    folder = _override() or Path(platformdirs.user_data_dir(APP_NAME, False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_dir() -> Path:
    override = _override()
    folder = override / "logs" if override else Path(platformdirs.user_log_dir(APP_NAME, False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def site_config_file() -> Path:
    """Set by IT for every user of the machine (ProgramData on Windows, /etc/xdg on Linux)."""
    override = _override()
    if override:
        return override / "site" / CONFIG_FILE_NAME
    return Path(platformdirs.site_config_dir(APP_NAME, False)) / CONFIG_FILE_NAME


def user_config_file() -> Path:
    override = _override()
    if override:
        return override / CONFIG_FILE_NAME
    return Path(platformdirs.user_config_dir(APP_NAME, False)) / CONFIG_FILE_NAME
