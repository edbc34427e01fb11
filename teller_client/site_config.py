"""What the installer runs: write the site configuration (ProgramData) and, on request, remove all data.

`CounterGuard-console.exe configure-site --service-url URL --branch-id ID --kiosk 1` merges the given
values into the site file and keeps IT's other keys; `remove-data` deletes the site folder and every
user's CounterGuard data (audit store, queue, logs): only when IT uninstalls with REMOVE_DATA=1.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tomllib
from pathlib import Path

from teller_client import paths
from teller_client.settings import SettingsError, load_settings


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # A TOML basic string: JSON's escapes are TOML's, and TOML also wants DEL escaped.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def configure_site(service_url: str = "", branch_id: str = "", kiosk: str = "") -> Path:
    """Merge the non-empty values into the site file; they are validated like any setting first."""
    values: dict[str, object] = {}
    if service_url.strip():
        values["service_url"] = service_url.strip()
    if branch_id.strip():
        values["branch_id"] = branch_id.strip()
    if kiosk.strip():
        values["kiosk"] = kiosk.strip()
    # Checked like any setting first (SettingsError names the key and what is allowed): "KIOSK=ture" is
    # refused, not taken for false.
    checked = load_settings({key: str(value) for key, value in values.items()})
    if "kiosk" in values:
        values["kiosk"] = checked.kiosk
    path = paths.site_config_file()
    current: dict[str, object] = {}
    if path.exists():
        current = tomllib.loads(path.read_text(encoding="utf-8"))
    current.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(f"{k} = {_toml_value(v)}\n" for k, v in current.items()), encoding="utf-8")
    temporary.replace(path)
    return path


def data_folders() -> list[Path]:
    """The site folder and every user's data and log folders (all profiles on Windows)."""
    folders = [paths.site_config_file().parent]
    if sys.platform == "win32" and not os.environ.get("COUNTERGUARD_DATA_DIR"):
        users = Path(os.environ.get("SYSTEMDRIVE", "C:") + "\\") / "Users"
        folders += sorted(users.glob(f"*/AppData/Local/{paths.APP_NAME}"))
    else:
        folders += [paths.data_dir(), paths.log_dir()]
    return folders


def remove_data() -> list[Path]:
    removed = []
    for folder in data_folders():
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


__all__ = ["SettingsError", "configure_site", "data_folders", "remove_data"]
