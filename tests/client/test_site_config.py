"""What the MSI runs: `configure-site` merges its values into the site file; `remove-data` deletes data;
and the self-test's keyring check refuses keyring's stand-in backends."""

import tomllib
from pathlib import Path

import keyring.backends.fail
import pytest

import main
from teller_client import paths, selftest
from teller_client.settings import load_settings
from tests.conftest import MemoryKeyring


def test_configure_site_merges_and_keeps_other_keys(isolated_data_dir: Path) -> None:
    site = paths.site_config_file()
    site.parent.mkdir(parents=True)
    site.write_text('camera_source = "1"\nbranch_id = "OLD"\n', encoding="utf-8")
    assert main.main(["configure-site", "--service-url", "https://screening.bank.example", "--branch-id",
                      "SH0201", "--kiosk", "1"]) == 0  # fmt: skip
    assert tomllib.loads(site.read_text(encoding="utf-8")) == {
        "camera_source": "1",
        "branch_id": "SH0201",
        "service_url": "https://screening.bank.example",
        "kiosk": True,
    }
    settings = load_settings()
    assert settings.kiosk and settings.branch_id == "SH0201"
    # Empty properties (msiexec passes "" for the ones not given) leave the file as it is.
    assert main.main(["configure-site", "--service-url", "", "--branch-id", "", "--kiosk", ""]) == 0
    assert tomllib.loads(site.read_text(encoding="utf-8"))["branch_id"] == "SH0201"


def test_configure_site_refuses_a_wrong_value(
    isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["configure-site", "--service-url", "ftp://nowhere"]) == 2
    assert "service_url" in capsys.readouterr().err
    assert not paths.site_config_file().exists()


def test_remove_data_deletes_site_and_user_data(isolated_data_dir: Path) -> None:
    (paths.data_dir() / "audit.db").write_bytes(b"x")
    paths.site_config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.site_config_file().write_text('branch_id = "X"\n', encoding="utf-8")
    assert main.main(["remove-data"]) == 0
    assert not (isolated_data_dir / "audit.db").exists()
    assert not paths.site_config_file().exists()


def test_keyring_check_refuses_the_fail_backend() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(selftest.CheckFailedError, match="no OS keyring"):
            selftest.check_keyring()
    finally:
        keyring.set_keyring(previous)


def test_keyring_check_round_trips_a_secret(memory_keyring: MemoryKeyring) -> None:
    assert "stored, returned and deleted" in selftest.check_keyring()
    assert memory_keyring.secrets == {}


def test_sample_faces_picks_the_person_with_most_photos(tmp_path: Path) -> None:
    for person, count in (("a", 2), ("b", 3)):
        (tmp_path / "people" / person).mkdir(parents=True)
        for number in range(count):
            (tmp_path / "people" / person / f"{person}{number}.jpg").write_bytes(b"")
    same, others = selftest.sample_faces(tmp_path)
    assert [path.name for path in same] == ["b0.jpg", "b1.jpg", "b2.jpg"]
    assert [path.name for path in others] == ["a0.jpg", "a1.jpg"]
