"""Shared fixtures: isolated data folders and real databases (SQLite files, PostgreSQL when configured)."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "COUNTERGUARD_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = (
    f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"
)


def pytest_configure(config: pytest.Config) -> None:
    # Qt runs offscreen in tests (no screen on CI): set before any QApplication exists.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the real user data folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("COUNTERGUARD_DATA_DIR", str(folder))
    return folder


def _postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def create_postgres_database() -> tuple[str, str]:
    """A fresh database on the configured server: returns (url, name)."""
    admin_url = _postgres_admin_url()
    assert admin_url
    name = f"cg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_postgres_database(name: str) -> None:
    admin_url = _postgres_admin_url()
    assert admin_url
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / f'screening-{uuid.uuid4().hex[:8]}.db'}"
        return
    if not _postgres_admin_url():
        pytest.skip(POSTGRES_SKIP_REASON)
    url, name = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each kind."""
    yield from _database(request.param, tmp_path / "db")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of each kind shared by one test module (for a service started once per module)."""
    yield from _database(request.param, tmp_path_factory.mktemp("db"))


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The OS keyring stand-in for tests: secrets live in this dict, never in the real store."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.secrets:
            raise keyring.errors.PasswordDeleteError(username)
        del self.secrets[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """No test reads or writes the machine's real keyring."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
