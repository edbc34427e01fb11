"""The client's settings: one typed schema with defaults and descriptions, loaded in layers.

Layers, each overriding the one before: built-in defaults < site file (IT) < user file <
COUNTERGUARD_* environment variables < command line. A wrong value stops start-up with a
message naming where it came from, the key, and what is allowed.
"""

import dataclasses
import ipaddress
import math
import os
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from teller_client import paths

ENV_PREFIX = "COUNTERGUARD_"
# Environment variables with our prefix that are not settings.
_ENV_NOT_SETTINGS = {"COUNTERGUARD_DATA_DIR", "COUNTERGUARD_TEST_DATABASE_URL"}


_DEFAULT_AMOUNT_LIMIT = Decimal("5000000.00")


def _setting(
    default: Any,
    description: str,
    *,
    allowed: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    return field(
        default=default,
        metadata={
            "description": description,
            "allowed": allowed,
            "minimum": minimum,
            "maximum": maximum,
        },
    )


@dataclass(frozen=True)
class Settings:
    service_url: str = _setting(
        "",
        "URL of the central screening service (https://...). Empty: the embedded reference service "
        "with demo data, and a DEMO marker on every screen.",
    )
    branch_id: str = _setting("BJ0101", "The branch this terminal belongs to, as registered centrally.")
    terminal_id: str = _setting(
        "", "This terminal's ID as registered centrally (the key is in the OS keyring, not here)."
    )
    language: str = _setting("zh-CN", "Language of the user interface.", allowed=("zh-CN", "en"))
    connect_timeout_seconds: float = _setting(
        3.0, "Time allowed to open a connection to the service.", minimum=0.1, maximum=30
    )
    read_timeout_seconds: float = _setting(
        5.0, "Time allowed for the service to answer once connected.", minimum=0.1, maximum=60
    )
    retry_budget_seconds: float = _setting(
        6.0,
        "Total time one call may take, retries included, before it counts as unavailable.",
        minimum=0.5,
        maximum=120,
    )
    idle_lock_minutes: int = _setting(
        15,
        "Minutes without input before the teller screen locks (PCI DSS 8.2.8 asks for 15 at most).",
        minimum=1,
        maximum=15,
    )
    kiosk: bool = _setting(False, "Run as a lobby kiosk (full screen, public lookup only).")
    kiosk_idle_seconds: int = _setting(
        60,
        "Seconds without a touch before the kiosk clears and returns to its start screen.",
        minimum=15,
        maximum=600,
    )
    camera_source: str = _setting(
        "0", "Camera: a device index (0, 1, ...), a video file, or a folder of images (demos)."
    )
    id_reader_folder: str = _setting(
        "",
        "Folder where the ID card reader's software drops the chip photo and the card's fields "
        "(see docs/face_verification.md). Empty: no reader; the teller loads a photo instead.",
    )
    face_match_threshold: float = _setting(
        0.55,
        "Face distance at or below which the customer matches the reference photo.",
        minimum=0.2,
        maximum=0.6,
    )
    face_no_match_threshold: float = _setting(
        0.6,
        "Face distance above which it is a no match; between the two it is inconclusive.",
        minimum=0.2,
        maximum=0.8,
    )
    face_challenge_seconds: float = _setting(
        10.0, "Time the customer has for the head-turn liveness challenge.", minimum=3, maximum=30
    )
    amount_limit: Decimal = _setting(  # noqa: RUF009 - _setting wraps dataclasses.field
        _DEFAULT_AMOUNT_LIMIT,
        "Highest amount a teller may key for one remittance.",
        minimum=1,
        maximum=1_000_000_000,
    )
    minimum_reading_seconds: int = _setting(
        5, "Seconds the risk warning stays up before 'proceed' can be pressed.", minimum=0, maximum=60
    )
    client_certificate: str = _setting(
        "", "PEM client certificate for mutual TLS (its key's passphrase is in the keyring)."
    )
    client_certificate_key: str = _setting("", "PEM private key of the client certificate.")
    audit_retention_days: int = _setting(
        180, "Days delivered audit records are kept on this terminal.", minimum=1, maximum=3650
    )
    audit_send_interval_seconds: float = _setting(
        5.0, "Seconds between attempts to deliver waiting audit records.", minimum=0.1, maximum=600
    )
    log_level: str = _setting(
        "INFO", "Detail of the log files.", allowed=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    developer_insecure_tls: bool = _setting(
        False,
        "DEVELOPERS ONLY: do not verify the service's TLS certificate. Accepted only on the command "
        "line (--developer-insecure-tls), never from a file or the environment; every screen then "
        "shows a red banner.",
    )

    @property
    def uses_embedded_service(self) -> bool:
        return not self.service_url

    @property
    def data_dir(self) -> Path:
        return paths.data_dir()


# Settings a file or the environment may not turn on: they must be typed for each start.
COMMAND_LINE_ONLY = frozenset({"developer_insecure_tls"})
_COMMAND_LINE = "command line"


class SettingsError(ValueError):
    """A setting that cannot be used: names where it came from, the key and what is allowed."""


def is_loopback_host(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves this computer."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe() -> list[dict[str, Any]]:
    """The schema as data, for docs/configuration.md and `main.py settings`."""
    return [
        {
            "name": item.name,
            "type": _type_name(item),
            "default": item.default,
            **item.metadata,
        }
        for item in fields(Settings)
    ]


def _type_name(item: dataclasses.Field[Any]) -> str:
    return {str: "text", int: "whole number", float: "number", bool: "true/false", Decimal: "amount"}[
        item.type  # type: ignore[index]
    ]


def _shown(raw: Any) -> str:
    """A value for a message, cut short: a file or a variable may hold anything, of any size."""
    try:
        text = repr(raw)
    except (ValueError, RecursionError):  # an int too long to print, nesting deeper than repr recurses
        return f"a {type(raw).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


def _convert(item: dataclasses.Field[Any], raw: Any, origin: str) -> Any:
    kind = _type_name(item)
    where = f"{origin}: {item.name}"
    allowed = item.metadata["allowed"]
    value: Any
    try:
        if kind == "true/false":
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in ("1", "true", "yes", "on"):
                value = True
            elif str(raw).strip().lower() in ("0", "false", "no", "off"):
                value = False
            else:
                raise ValueError
        elif kind == "whole number":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(str(raw).strip())
        elif kind == "number":
            if isinstance(raw, bool):
                raise ValueError
            value = float(str(raw).strip())
            if not math.isfinite(value):  # NaN would pass every minimum and maximum check
                raise ValueError
        elif kind == "amount":
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise ValueError
        else:
            if not isinstance(raw, str):
                raise ValueError
            value = raw.strip()
    except (ValueError, InvalidOperation):
        raise SettingsError(f"{where} = {_shown(raw)} is not a {kind}") from None
    if kind == "text" and any(unicodedata.category(char) == "Cc" for char in value):
        # A line break or another control character: no URL, ID or path has one, and a file written
        # with it (configure-site) would no longer be TOML.
        raise SettingsError(
            f"{where} = {_shown(value)} contains a control character (a line break, a tab...)"
        )
    if allowed and value not in allowed:
        raise SettingsError(f"{where} = {_shown(value)} is not allowed; use one of: {', '.join(allowed)}")
    minimum, maximum = item.metadata["minimum"], item.metadata["maximum"]
    if minimum is not None and value < minimum:
        raise SettingsError(f"{where} = {value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{where} = {value} is above the maximum {maximum}")
    return value


def _check_together(settings: Settings, origins: Mapping[str, str]) -> None:
    """Settings that must agree; each message starts with where the values came from."""

    def origin(*keys: str) -> str:
        return " and ".join(dict.fromkeys(origins.get(key, "default") for key in keys))

    if settings.service_url:
        try:
            parsed = urlparse(settings.service_url)
            parsed.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
        except ValueError:  # e.g. "https://[::1" or a host that NFKC turns into a "#"
            parsed = None
        if parsed is None or parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise SettingsError(
                f"{origin('service_url')}: service_url = {_shown(settings.service_url)} is not a URL; "
                "use https://host[:port]"
            )
        if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
            raise SettingsError(
                f"{origin('service_url')}: service_url = {_shown(settings.service_url)} is plain http to "
                "another computer: the terminal "
                "key, passwords and customer data would cross the network unencrypted; use https:// "
                "(plain http is allowed only to this computer: localhost, 127.0.0.1, ::1)"
            )
    if settings.face_match_threshold >= settings.face_no_match_threshold:
        raise SettingsError(
            f"{origin('face_match_threshold', 'face_no_match_threshold')}: face_match_threshold must be "
            f"below face_no_match_threshold ({settings.face_match_threshold} >= "
            f"{settings.face_no_match_threshold})"
        )
    if bool(settings.client_certificate) != bool(settings.client_certificate_key):
        raise SettingsError(
            f"{origin('client_certificate', 'client_certificate_key')}: client_certificate and "
            "client_certificate_key must be set together"
        )


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot be read ({error})") from None
    except (ValueError, RecursionError) as error:
        # tomllib lets these through: a number too long for Python, nesting deeper than it recurses.
        raise SettingsError(f"{path}: not valid TOML ({type(error).__name__}: {str(error)[:100]})") from None


def load_settings(
    command_line: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    site_file: Path | None = None,
    user_file: Path | None = None,
) -> Settings:
    environ = os.environ if environ is None else environ
    by_name = {item.name: item for item in fields(Settings)}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}

    layers: list[tuple[str, Mapping[str, Any]]] = []
    for path in (site_file or paths.site_config_file(), user_file or paths.user_config_file()):
        layers.append((str(path), _read_file(path)))
    env_values = {}
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX) and key not in _ENV_NOT_SETTINGS:
            env_values[key[len(ENV_PREFIX) :].lower()] = raw
    layers.append(("environment COUNTERGUARD_*", env_values))
    layers.append((_COMMAND_LINE, command_line or {}))

    for origin, layer in layers:
        for key, raw in layer.items():
            item = by_name.get(key)
            if item is None:
                if origin.startswith("environment"):
                    continue  # other COUNTERGUARD_* variables are not ours to judge
                raise SettingsError(
                    f"{origin}: unknown setting {_shown(key)}; known settings: {', '.join(sorted(by_name))}"
                )
            if key in COMMAND_LINE_ONLY and origin != _COMMAND_LINE:
                raise SettingsError(
                    f"{origin}: {key} can only be given on the command line (--{key.replace('_', '-')}), "
                    "for one run; it is refused in files and the environment so that no installation "
                    "keeps it on"
                )
            values[key] = _convert(item, raw, origin)
            origins[key] = origin
    settings = Settings(**values)
    _check_together(settings, origins)
    return settings


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """`--set key=value` pairs from the command line."""
    result = {}
    for assignment in assignments:
        key, separator, value = assignment.partition("=")
        if not separator or not key.strip():
            raise SettingsError(f"command line: --set {_shown(assignment)} must look like key=value")
        result[key.strip()] = value
    return result
