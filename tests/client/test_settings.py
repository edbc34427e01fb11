"""The settings schema: layers in order, and every bad value stops start-up with a precise message."""

from dataclasses import fields
from decimal import Decimal
from pathlib import Path

import pytest

from teller_client.settings import Settings, SettingsError, describe, load_settings, parse_assignments
from tools.update_configuration_doc import settings_table

ROOT = Path(__file__).resolve().parents[2]


def load(
    tmp_path: Path,
    *,
    site: str = "",
    user: str = "",
    env: dict[str, str] | None = None,
    cli: dict[str, str] | None = None,
) -> Settings:
    site_file, user_file = tmp_path / "site.toml", tmp_path / "user.toml"
    for path, text in ((site_file, site), (user_file, user)):
        if text:
            path.write_text(text, encoding="utf-8")
        else:
            path.unlink(missing_ok=True)
    return load_settings(cli or {}, env or {}, site_file, user_file)


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings == Settings()
    assert settings.uses_embedded_service
    assert settings.language == "zh-CN"
    assert settings.idle_lock_minutes == 15


def test_each_layer_overrides_the_one_before(tmp_path: Path) -> None:
    site = 'idle_lock_minutes = 10\nlanguage = "en"\nbranch_id = "SH0201"\nkiosk_idle_seconds = 90\n'
    user = 'idle_lock_minutes = 8\nlanguage = "zh-CN"\n'
    env = {"COUNTERGUARD_IDLE_LOCK_MINUTES": "6", "COUNTERGUARD_KIOSK": "yes"}
    cli = {"idle_lock_minutes": "4"}
    settings = load(tmp_path, site=site, user=user, env=env, cli=cli)
    assert settings.idle_lock_minutes == 4  # command line
    assert settings.kiosk is True  # environment
    assert settings.language == "zh-CN"  # user file over site file
    assert settings.branch_id == "SH0201"  # site file over default
    assert settings.kiosk_idle_seconds == 90
    assert load(tmp_path, site=site, user=user, env=env).idle_lock_minutes == 6
    assert load(tmp_path, site=site, user=user).idle_lock_minutes == 8
    assert load(tmp_path, site=site).idle_lock_minutes == 10


def test_values_are_typed(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        site='amount_limit = "250000.00"\nretry_budget_seconds = 2.5\n',
        env={"COUNTERGUARD_SERVICE_URL": "https://screening.bank.example:8443"},
    )
    assert settings.amount_limit == Decimal("250000.00")
    assert settings.retry_budget_seconds == 2.5
    assert not settings.uses_embedded_service


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("idle_lock_minutes = 30\n", "idle_lock_minutes = 30 is above the maximum 15"),
        ("idle_lock_minutes = 0\n", "idle_lock_minutes = 0 is below the minimum 1"),
        ('idle_lock_minutes = "soon"\n', "idle_lock_minutes = 'soon' is not a whole number"),
        ("idle_lock_minutes = 2.5\n", "idle_lock_minutes = 2.5 is not a whole number"),
        ('language = "fr"\n', "language = 'fr' is not allowed; use one of: zh-CN, en"),
        ("kiosk = 3\n", "kiosk = 3 is not a true/false"),
        ('amount_limit = "lots"\n', "amount_limit = 'lots' is not a amount"),
        ("branch_id = 7\n", "branch_id = 7 is not a text"),
        ("idle_lock_minuts = 5\n", "unknown setting 'idle_lock_minuts'; known settings:"),
        ("idle_lock_minutes = \n", "not valid TOML"),
    ],
)
def test_a_wrong_value_names_the_file_and_key(tmp_path: Path, site: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load(tmp_path, site=site)
    assert str(raised.value).startswith(str(tmp_path / "site.toml"))
    assert message in str(raised.value)


def test_environment_and_command_line_errors_name_their_origin(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^environment COUNTERGUARD_\*: log_level = 'LOUD'"):
        load(tmp_path, env={"COUNTERGUARD_LOG_LEVEL": "LOUD"})
    with pytest.raises(SettingsError, match=r"^command line: minimum_reading_seconds = 99 is above"):
        load(tmp_path, cli={"minimum_reading_seconds": "99"})
    with pytest.raises(SettingsError, match="command line: unknown setting 'colour'"):
        load(tmp_path, cli={"colour": "red"})


def test_other_counterguard_variables_are_not_settings(tmp_path: Path) -> None:
    env = {"COUNTERGUARD_DATA_DIR": "elsewhere", "COUNTERGUARD_SOMETHING_ELSE": "1"}
    assert load(tmp_path, env=env) == Settings()


def test_settings_that_must_agree(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="service_url = 'ftp://x' is not a URL"):
        load(tmp_path, cli={"service_url": "ftp://x"})
    with pytest.raises(SettingsError, match="face_match_threshold must be below face_no_match_threshold"):
        load(tmp_path, cli={"face_match_threshold": "0.5", "face_no_match_threshold": "0.5"})
    with pytest.raises(SettingsError, match="set together"):
        load(tmp_path, cli={"client_certificate": "/etc/cg/client.pem"})


def test_set_assignments_from_the_command_line() -> None:
    assert parse_assignments(["language=en", "kiosk = true"]) == {"language": "en", "kiosk": " true"}
    with pytest.raises(SettingsError, match="must look like key=value"):
        parse_assignments(["language"])


def test_every_setting_has_a_description_and_is_documented() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_table() in documented, "run `uv run python tools/update_configuration_doc.py`"
    schema = describe()
    assert {item["name"] for item in schema} == {item.name for item in fields(Settings)}
    for item in schema:
        assert len(item["description"]) > 20, item["name"]
        assert f"`{item['name']}`" in documented, f"{item['name']} is missing from docs/configuration.md"
