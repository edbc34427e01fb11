"""Schema migrations: a new database reaches the head revision, matches the code, keeps its data."""

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from screening_service.database import current_revision, head_revision, make_engine, migrate
from screening_service.demo import seed_demo
from screening_service.schema import listed_accounts, metadata
from tests.service.conftest import PROJECT_ROOT


def test_migrations_build_exactly_the_schema_in_code(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    engine.dispose()
    assert differences == []


def test_migrating_again_keeps_the_data(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    seed_demo(engine)
    with engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(listed_accounts)).scalar_one()
    migrate(engine)
    with engine.connect() as connection:
        after = connection.execute(select(func.count()).select_from(listed_accounts)).scalar_one()
    engine.dispose()
    assert before == after > 0


def test_serve_without_migrating_refuses_an_old_schema(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "screening_service",
            "serve",
            "--port",
            "1",
            "--database",
            database,
            "--no-migrate",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "python -m screening_service migrate" in result.stdout + result.stderr
