"""Enrolment stores the terminal key in the keyring only; start-up finds it there or says what to do."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import main
from teller_client import credentials
from teller_client.runtime import StartupError, open_runtime
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.settings import load_settings
from tests.conftest import MemoryKeyring
from tests.service.conftest import RunningService, ServiceProcess, seeded, start_service


@pytest.fixture(scope="module")
def sqlite_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    folder = tmp_path_factory.mktemp("enroll")
    database = f"sqlite:///{folder / 'screening.db'}"
    seed = seeded(database)
    process: ServiceProcess = start_service(database, folder)
    yield RunningService(process, seed)
    process.stop()


def enroll(monkeypatch: pytest.MonkeyPatch, url: str, key: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(key + "\n"))
    return main.main(["enroll", "--service", url, "--key-stdin"])


def every_file_text(folder: Path) -> str:
    return "".join(
        path.read_bytes().decode("utf-8", "replace") for path in folder.rglob("*") if path.is_file()
    )


def test_enroll_stores_the_key_in_the_keyring_only(
    sqlite_service: RunningService,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    isolated_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = sqlite_service.seed.counter_key
    assert enroll(monkeypatch, sqlite_service.url, key) == 0
    assert credentials.terminal_key(sqlite_service.url) == key
    assert "BJ0101-C01" in capsys.readouterr().out
    # The key is in no file: not the settings, not the logs, not the audit store.
    assert key not in every_file_text(isolated_data_dir)
    settings = load_settings()
    assert settings.service_url == sqlite_service.url
    assert settings.terminal_id == "BJ0101-C01"

    runtime = open_runtime(settings, start_delivery=False)
    try:
        assert not runtime.demo
        health = runtime.client.health()
        assert not isinstance(health, ServiceFailure)
        assert health["terminal_id"] == "BJ0101-C01"
    finally:
        runtime.close()


def test_enroll_refuses_a_wrong_key(
    sqlite_service: RunningService,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert enroll(monkeypatch, sqlite_service.url, "cgk_000000000000_nope") == 1
    assert "did not accept this key" in capsys.readouterr().err
    assert memory_keyring.secrets == {}


def test_start_without_a_key_says_how_to_enroll(isolated_data_dir: Path) -> None:
    settings = load_settings({"service_url": "https://screening.bank.example"})
    with pytest.raises(StartupError, match=r"enroll --service https://screening\.bank\.example"):
        open_runtime(settings)


def test_bad_settings_stop_start_up_with_the_key_named(
    isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (isolated_data_dir / "counterguard.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "counterguard.toml").write_text("idle_lock_minutes = 99\n", encoding="utf-8")
    assert main.main(["audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert "counterguard.toml: idle_lock_minutes = 99 is above the maximum 15" in err


def test_embedded_runtime_is_marked_demo(isolated_data_dir: Path) -> None:
    runtime = open_runtime(load_settings(), start_delivery=False)
    try:
        assert runtime.demo
        assert {teller.teller_id for teller in runtime.demo_accounts} >= {"T1001", "S2001"}
        grant = runtime.client.sign_in("T1001", "teller-demo-1")
        assert not isinstance(grant, ServiceFailure)
        wrong = runtime.client.sign_in("T1001", "wrong-password")
        assert isinstance(wrong, ServiceFailure) and wrong.reason is FailureReason.UNAUTHORIZED
    finally:
        runtime.close()


def test_an_offline_queue_that_cannot_open_stops_start_up_and_says_so(isolated_data_dir: Path) -> None:
    url = "https://screening.bank.example"
    credentials.store_terminal_key(url, "cgk_000000000000_test")
    (isolated_data_dir / "offline_queue.db").mkdir(parents=True)  # not a database file: cannot open
    with pytest.raises(StartupError, match=r"offline queue .*offline_queue\.db cannot be opened.*Call IT"):
        open_runtime(load_settings({"service_url": url}), start_delivery=False)
