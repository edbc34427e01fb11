"""Fuzz of the configuration: the site and user files, COUNTERGUARD_* variables, --set, configure-site.

The files get arbitrary bytes, text that is not TOML, and TOML with every value type (huge and NaN
numbers, infinities, dates, arrays, nested tables), unknown and Unicode keys, and nesting deeper than
the parser recurses. The property: load_settings gives a Settings whose every value is of its declared
type and within its bounds, or a SettingsError that names where the value came from and the key; never
another exception. configure_site (what the installer runs) either refuses, or writes a file that
load_settings reads back to exactly what was asked.
"""

import dataclasses
import json
import math
import string
import unicodedata
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from teller_client import paths
from teller_client.settings import (
    COMMAND_LINE_ONLY,
    ENV_PREFIX,
    Settings,
    SettingsError,
    is_loopback_host,
    load_settings,
    parse_assignments,
)
from teller_client.site_config import configure_site
from tests.fuzz import fuzz

FIELDS = {item.name: item for item in dataclasses.fields(Settings)}
NAMES = sorted(FIELDS)
ENVIRONMENT = "environment COUNTERGUARD_*"
COMMAND_LINE = "command line"

# ================================================================ TOML, written by hand (any value, any key)


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except that DEL must be escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


toml_scalars = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.integers(4_300, 6_000).map(lambda digits: "9" * digits),  # more digits than Python turns into an int
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["nan", "+nan", "-nan", "inf", "+inf", "-inf", "1e400", "-0.0", "0x7fffffff", "0o777",
                     "0b1010", "1_000", "true", "false", "1979-05-27T07:32:00Z", "1979-05-27", "07:32:00"]),
    st.text(max_size=30).map(toml_string),
    st.sampled_from(["zh-CN", "en", "DEBUG", "https://screening.bank.example", "http://127.0.0.1:8470",
                     "http://[::1", "https://a\uff03b/", "https://host:99999", "https://:443", "0", "1",
                     "yes", "5000000.00", "0.2", "0.6", " 7 ", "\u00a05", "\u0665"]).map(toml_string),
)  # fmt: skip
toml_values = st.recursive(
    toml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), children, max_size=2).map(
            lambda table: "{" + ", ".join(f"{key} = {value}" for key, value in table.items()) + "}"
        ),
    ),
    max_leaves=6,
)
setting_keys = (
    st.sampled_from(NAMES) | st.text(max_size=12) | st.sampled_from(["Language", "语言", "kiosk\u200b"])
)


def toml_key(key: str) -> str:
    return (
        key
        if key and all(c in string.ascii_letters + string.digits + "_-" for c in key)
        else toml_string(key)
    )


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    lines = [
        f"{toml_key(key)} = {value}"
        for key, value in draw(st.dictionaries(setting_keys, toml_values, max_size=5)).items()
    ]
    if draw(st.booleans()):
        lines.append(f"[{toml_key(draw(setting_keys))}]")
        lines += [
            f"{toml_key(key)} = {value}"
            for key, value in draw(st.dictionaries(setting_keys, toml_values, max_size=2)).items()
        ]
    return "\n".join(lines) + "\n"


file_contents = st.one_of(
    st.none(),  # no file
    toml_documents().map(lambda text: text.encode()),
    toml_documents().map(lambda text: text.encode("utf-16")),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", errors="surrogatepass")),
    st.integers(1_000, 100_000).map(lambda depth: b"a = " + b"[" * depth + b"]" * depth),
    st.integers(1_000, 10_000).map(lambda depth: b"a = " + b"{b = " * depth + b"1" + b"}" * depth),
)

odd_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e400", "1e-400", "0", "-1", "15", "16", "1_0",
                     "\u0661\u0665", "\uff11\uff15", "true", "TRUE", "on", "off", "2", "zh-CN", "en",
                     "https://screening.bank.example", "http://10.0.0.5", "http://localhost:1", "https://[::1]:x",
                     "9" * 5_000, "0." + "0" * 5_000 + "1", "\x00", "a\nb"]),
)  # fmt: skip
environments = st.dictionaries(
    st.one_of(
        st.sampled_from(NAMES).map(lambda name: ENV_PREFIX + name.upper()),
        st.text(max_size=10).map(lambda name: ENV_PREFIX + name),
        st.sampled_from(["COUNTERGUARD_DATA_DIR", "COUNTERGUARD_TEST_DATABASE_URL", "PATH", "COUNTERGUARD_"]),
    ),
    odd_values,
    max_size=4,
)
command_lines = st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=10), odd_values, max_size=3)


# ================================================================ what a good Settings is


def check_settings(settings: Settings) -> None:
    """Every value of its declared type, allowed and within its bounds; the URL usable."""
    for name, item in FIELDS.items():
        value = getattr(settings, name)
        kind = item.type
        if kind is float:
            assert isinstance(value, float) and math.isfinite(value), (name, value)
        elif kind is int:
            assert isinstance(value, int) and not isinstance(value, bool), (name, value)
        elif kind is bool:
            assert isinstance(value, bool), (name, value)
        elif kind is Decimal:
            assert isinstance(value, Decimal) and value.is_finite(), (name, value)
        else:
            assert isinstance(value, str) and value == value.strip(), (name, value)
            assert not any(unicodedata.category(char) == "Cc" for char in value), (name, value)
        minimum, maximum = item.metadata["minimum"], item.metadata["maximum"]
        if minimum is not None:
            assert minimum <= value <= maximum, (name, value)
        if item.metadata["allowed"]:
            assert value in item.metadata["allowed"], (name, value)
    if settings.service_url:
        parsed = urlparse(settings.service_url)
        assert parsed.hostname, settings.service_url
        assert parsed.port is None or 0 < parsed.port < 65536  # .port raises for a port that is not a number
        assert parsed.scheme == "https" or (parsed.scheme == "http" and is_loopback_host(parsed.hostname))
    assert settings.face_match_threshold < settings.face_no_match_threshold
    assert bool(settings.client_certificate) == bool(settings.client_certificate_key)


def check_error(error: SettingsError, origins: list[str]) -> None:
    """The message says where the value came from, and which setting it is (or that the whole file failed)."""
    message = str(error)
    assert any(origin in message for origin in origins), message
    names_a_key = any(name in message for name in NAMES) or "unknown setting" in message
    whole_file = "not valid TOML" in message or "cannot be read" in message
    assert names_a_key or whole_file, message
    assert len(message) < 2_000 or "known settings" in message, f"a message of {len(message)} characters"


def _write(path: Path, content: bytes | None) -> None:
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(content)


@fuzz(500, io=True)
@given(site=file_contents, user=file_contents, environ=environments, command_line=command_lines)
@example(site=b"a = " + b"[" * 5_000 + b"]" * 5_000, user=None, environ={}, command_line={})
@example(site=b"idle_lock_minutes = " + b"9" * 5_000, user=None, environ={}, command_line={})
@example(site=None, user=b"read_timeout_seconds = nan", environ={}, command_line={})
@example(site=None, user=None, environ={"COUNTERGUARD_CONNECT_TIMEOUT_SECONDS": "nan"}, command_line={})
@example(site=None, user=None, environ={}, command_line={"service_url": "https://[::1"})
@example(site=None, user=None, environ={}, command_line={"service_url": "https://a\uff03b/"})
@example(site=None, user=None, environ={}, command_line={"service_url": "https://host:99999"})
@example(site=None, user=None, environ={}, command_line={"branch_id": "BJ\n0101"})
def test_settings_load_or_say_where_and_what_is_wrong(
    tmp_path: Path,
    site: bytes | None,
    user: bytes | None,
    environ: dict[str, str],
    command_line: dict[str, str],
) -> None:
    site_file, user_file = tmp_path / "site.toml", tmp_path / "user.toml"
    _write(site_file, site)
    _write(user_file, user)
    try:
        settings = load_settings(command_line, environ, site_file, user_file)
    except SettingsError as error:
        check_error(error, [str(site_file), str(user_file), ENVIRONMENT, COMMAND_LINE])
        return
    check_settings(settings)


@fuzz(200, io=True)
@given(
    minutes=st.lists(st.one_of(st.none(), st.integers(1, 15)), min_size=4, max_size=4),
)
def test_each_layer_overrides_the_one_before(tmp_path: Path, minutes: list[int | None]) -> None:
    site, user, environment, command = minutes
    site_file, user_file = tmp_path / "site.toml", tmp_path / "user.toml"
    _write(site_file, None if site is None else f"idle_lock_minutes = {site}\n".encode())
    _write(user_file, None if user is None else f'idle_lock_minutes = "{user}"\n'.encode())
    environ = {} if environment is None else {"COUNTERGUARD_IDLE_LOCK_MINUTES": str(environment)}
    line = {} if command is None else {"idle_lock_minutes": f" {command} "}
    expected = next((value for value in (command, environment, user, site) if value is not None), 15)
    assert load_settings(line, environ, site_file, user_file).idle_lock_minutes == expected


@fuzz(200)
@given(
    assignments=st.lists(
        st.text(max_size=30) | st.sampled_from(["a=b", "=x", "k=", "language=en=zh"]), max_size=5
    )
)
def test_set_assignments_parse_or_name_the_command_line(assignments: list[str]) -> None:
    parsed: dict[str, str] | SettingsError
    try:
        parsed = parse_assignments(assignments)
    except SettingsError as error:
        parsed = error
    if isinstance(parsed, SettingsError):
        assert COMMAND_LINE in str(parsed)
        return
    for key, value in parsed.items():
        assert key == key.strip() and key
        assert any(assignment.partition("=")[0].strip() == key and assignment.partition("=")[2] == value
                   for assignment in assignments)  # fmt: skip


# ================================================================ configure-site, as the installer runs it

site_inputs = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.sampled_from(["https://screening.bank.example", " https://screening.bank.example:8443/ ", "BJ0101",
                     "SH0201", "BJ\n0101", "BJ\x7f01", 'BJ"01', "BJ\\01", "北京0101", "https://[::1", "1",
                     "0", "yes", "true", "TRUE", "no", "on", "maybe", "ture", " 1 "]),
)  # fmt: skip
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@fuzz(300, io=True)
@given(service_url=site_inputs, branch_id=site_inputs, kiosk=site_inputs, existing=st.booleans())
@example(service_url="", branch_id="", kiosk="maybe", existing=False)
@example(service_url="", branch_id="BJ\x7f01", kiosk="", existing=False)
def test_configure_site_writes_only_what_loads_back(
    isolated_data_dir: Path, service_url: str, branch_id: str, kiosk: str, existing: bool
) -> None:
    site = paths.site_config_file()
    site.parent.mkdir(parents=True, exist_ok=True)
    _write(site, b'camera_source = "1"\nidle_lock_minutes = 10\n' if existing else None)
    before = site.read_bytes() if site.exists() else None
    refused: SettingsError | None = None
    try:
        configure_site(service_url, branch_id, kiosk)
    except SettingsError as error:
        refused = error
    if refused is not None:
        check_error(refused, [COMMAND_LINE, str(site)])
        assert (site.read_bytes() if site.exists() else None) == before, "a refused value changed the file"
        return
    settings = load_settings(environ={})
    if service_url.strip():
        assert settings.service_url == service_url.strip()
    if branch_id.strip():
        assert settings.branch_id == branch_id.strip()
    if kiosk.strip():
        word = kiosk.strip().lower()
        assert word in TRUE_WORDS + FALSE_WORDS, f"kiosk={kiosk!r} was accepted"
        assert settings.kiosk is (word in TRUE_WORDS)
    if existing:
        assert (settings.camera_source, settings.idle_lock_minutes) == ("1", 10)


def test_command_line_only_settings_stay_off_in_files(tmp_path: Path) -> None:
    """The fuzz above also writes developer_insecure_tls into files; it must never load from there."""
    for name in COMMAND_LINE_ONLY:
        site_file = tmp_path / "site.toml"
        site_file.write_text(f"{name} = true\n", encoding="utf-8")
        with pytest.raises(SettingsError) as refused:
            load_settings({}, {}, site_file, tmp_path / "none.toml")
        check_error(refused.value, [str(site_file)])
