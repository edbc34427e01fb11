"""The service's command line: import-list, add-teller, issue-terminal-key, and clear errors."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, text

from screening_service.database import make_engine
from screening_service.lists import luhn_valid
from screening_service.schema import listed_accounts
from tests.service.conftest import PROJECT_ROOT, Api, remittance, start_service


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screening_service", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def listed(database_url: str, source: str) -> dict[str, tuple[str, str]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = {
            row.account_number: (row.typology, row.reference)
            for row in connection.execute(select(listed_accounts).where(listed_accounts.c.source == source))
        }
    engine.dispose()
    return rows


def planner_rows(database_url: str) -> float:
    """How many listed accounts the database's query planner believes there are (0: no statistics)."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            found = connection.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'listed_accounts'")
            ).scalar_one()
        else:
            has_statistics = connection.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).scalar_one()
            stat = (
                has_statistics
                and connection.execute(
                    text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'listed_accounts' LIMIT 1")
                ).scalar()
            )
            found = stat.split()[0] if stat else 0
    engine.dispose()
    return max(float(found), 0.0)


HEADER = "account_number,bank,typology,listed_on,reference\n"


def card_number(payload: str) -> str:
    """`payload` and its Luhn check digit: listed card numbers must pass the check."""
    return next(payload + digit for digit in "0123456789" if luhn_valid(payload + digit))


def test_import_reports_bad_rows_and_keeps_good_ones(database_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "police.csv"
    csv_file.write_text(
        HEADER
        + "6222111122223333446,工商银行,safe_account,2026-11-01,案 1\n"
        + "12ab,工商银行,safe_account,2026-11-01,案 2\n"
        + "6222111122223333552,工商银行,astrology,2026-11-01,案 3\n"
        + "6222111122223333669,工商银行,investment,2026-13-01,案 4\n"
        + "6222 1111 2222 3333 776,建设银行,investment,2026-11-02,案 5\n"
        + "6222111122223333883,建设银行,investment,2026-11-02,案 6,extra\n",
        encoding="utf-8",
    )
    result = cli("import-list", str(csv_file), "--source", "police", "--database", database_url)
    assert result.returncode == 1, result.stderr
    assert f"{csv_file}: line 3: account_number '12ab'" in result.stderr
    assert "line 4: typology 'astrology' is unknown" in result.stderr
    assert "line 5: listed_on '2026-13-01' is not a date" in result.stderr
    assert "line 7: more cells than the header has columns" in result.stderr
    assert "6 rows read, 2 added, 0 updated, 0 unchanged, 4 rejected" in result.stdout
    assert set(listed(database_url, "police")) == {"6222111122223333446", "6222111122223333776"}


def test_reimporting_the_same_file_changes_nothing(database_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "peer.csv"
    rows = "".join(
        f"{card_number(f'62280000{n:010d}')},招商银行,loan_fee,2026-10-{1 + n % 28:02d},通报 {n}\n"
        for n in range(12_000)
    )
    csv_file.write_text(HEADER + rows, encoding="utf-8")
    first = cli("import-list", str(csv_file), "--source", "peer", "--database", database_url)
    assert first.returncode == 0, first.stderr
    assert "12000 added" in first.stdout
    assert "importing: 100% (12000/12000)" in first.stderr  # progress on long imports
    # The planner is told at once (PostgreSQL's autovacuum would take a minute or more).
    assert 6_000 <= planner_rows(database_url) <= 24_000
    before = listed(database_url, "peer")
    again = cli("import-list", str(csv_file), "--source", "peer", "--database", database_url)
    assert "0 added, 0 updated, 12000 unchanged, 0 rejected" in again.stdout
    assert listed(database_url, "peer") == before
    # A corrected row is an update, not a duplicate.
    csv_file.write_text(HEADER + rows.replace("通报 7\n", "通报 7-修订\n"), encoding="utf-8")
    fixed = cli("import-list", str(csv_file), "--source", "peer", "--database", database_url)
    assert "0 added, 1 updated, 11999 unchanged" in fixed.stdout
    assert listed(database_url, "peer")[card_number("622800000000000007")] == ("loan_fee", "通报 7-修订")


def test_import_with_a_wrong_header_imports_nothing(database_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("account,bank\n6222111122223333444,x\n", encoding="utf-8")
    result = cli("import-list", str(csv_file), "--source", "internal", "--database", database_url)
    assert result.returncode == 1
    assert "line 1: header lacks account_number, typology, listed_on, reference" in result.stderr
    assert listed(database_url, "internal") == {}


def test_imported_police_listing_blocks_a_screening(database_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "police.csv"
    csv_file.write_text(HEADER + "6229990011223344555,某银行,investment,2026-11-20,公安 77\n")
    assert cli("import-list", str(csv_file), "--source", "police", "--database", database_url).returncode == 0
    key = cli(
        "issue-terminal-key", "--terminal", "BJ0101-C07", "--branch", "BJ0101", "--database", database_url
    )
    assert key.returncode == 0, key.stderr
    assert "not shown again" in key.stderr
    added = cli(
        "add-teller",
        "--id",
        "T7001",
        "--name",
        "孙丽",
        "--branch",
        "BJ0101",
        "--password-stdin",
        "--database",
        database_url,
        stdin="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    service = start_service(database_url, tmp_path)
    try:
        teller = Api(service.url, key.stdout.strip()).signed_in("T7001", "a-long-password")
        response = teller.screen(remittance(payee_account="6229990011223344555", payee_name="某人"))
        assert response.json()["decision"] == "block"
        assert response.json()["reasons"][0]["typology"] == "investment"
    finally:
        service.stop()


def test_admin_errors_name_the_option(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'admin.db'}"
    weak = cli(
        "add-teller",
        "--id",
        "T100",
        "--name",
        "x",
        "--branch",
        "BJ0101",
        "--password-stdin",
        "--database",
        database,
        stdin="short\n",
    )
    assert weak.returncode == 2 and "password: use at least 8 characters" in weak.stderr
    bad_terminal = cli(
        "issue-terminal-key", "--terminal", "bad id!", "--branch", "BJ0101", "--database", database
    )
    assert bad_terminal.returncode == 2 and "--terminal 'bad id!'" in bad_terminal.stderr
    again = cli(
        "add-teller",
        "--id",
        "T100",
        "--name",
        "x",
        "--branch",
        "BJ0101",
        "--password-stdin",
        "--database",
        database,
        stdin="long-enough\n",
    )
    assert again.returncode == 0
    duplicate = cli(
        "add-teller",
        "--id",
        "T100",
        "--name",
        "x",
        "--branch",
        "BJ0101",
        "--password-stdin",
        "--database",
        database,
        stdin="long-enough\n",
    )
    assert duplicate.returncode == 2 and "already exists; add --replace" in duplicate.stderr


def test_bad_database_and_rules_are_reported_plainly(tmp_path: Path) -> None:
    nonsense = cli("migrate", "--database", "nonsense")
    assert nonsense.returncode == 2 and "--database 'nonsense' is not a database URL" in nonsense.stderr
    rules = tmp_path / "rules.toml"
    rules.write_text("[decision]\nwarn_at = 50\nhold_at = 40\nblock_at = 90\nvalid_minutes = 5\n")
    broken = cli("serve", "--rules", str(rules), "--database", f"sqlite:///{tmp_path / 'r.db'}")
    assert broken.returncode == 2
    assert f"{rules}: [decision]: needs warn_at < hold_at < block_at" in broken.stderr
