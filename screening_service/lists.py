"""The risk lists: the public account lookup, teller reports, and CSV imports from police and peer banks."""

import csv
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from screening_service.api_models import (
    AccountRiskResponse,
    ReportRequest,
    ReportResponse,
    RiskStatus,
    name_problem,
    normalise_account,
)
from screening_service.auth import TellerSession, Terminal
from screening_service.context import ServiceContext
from screening_service.database import insert_for, write_transaction
from screening_service.idempotency import StoredResponse, remember, replay, request_fingerprint
from screening_service.problems import invalid_field
from screening_service.ratelimit import hit
from screening_service.schema import listed_accounts, reports
from screening_service.security import mask_tail
from screening_service.timeutil import iso, utc_now

log = logging.getLogger("screening_service.lists")

ADVICE = {
    RiskStatus.POLICE_LISTED: {
        "zh-CN": "该账户在公安机关涉案账户名单上。请立即停止转账，不要向该账户汇款，"
        "如已被要求转账请拨打 110 或反诈专线 96110，并告知银行工作人员。",
        "en": "This account is on the police list of accounts linked to fraud cases. Do not send "
        "money to it. If someone asked you to, call 110 or the anti-fraud line 96110 and tell "
        "a member of staff.",
    },
    RiskStatus.REPORTED: {
        "zh-CN": "该账户被报告为疑似涉诈账户，请谨慎。转账前请向银行工作人员咨询，"
        "并通过可靠渠道核实收款人身份。",
        "en": "This account has been reported as suspected of fraud: be careful. Speak to a "
        "member of staff before you transfer, and check the payee through a channel you trust.",
    },
    RiskStatus.NO_RECORD: {
        "zh-CN": "暂未发现该账户的风险记录。没有记录不代表一定安全：凡是要求转账到“安全账户”、"
        "先交费再放款、刷单返利的，都是诈骗。",
        "en": "No risk record was found for this account. No record does not mean safe: anyone "
        'asking you to move money to a "safe account", pay a fee before a loan, or pay to '
        "earn rebates is a scammer.",
    },
}


def account_risk(ctx: ServiceContext, terminal: Terminal, number: str) -> AccountRiskResponse:
    try:
        account = normalise_account(number)
    except ValueError as error:
        raise invalid_field("account_number", str(error)) from error
    hit(ctx.engine, f"lookup:{terminal.terminal_id}", ctx.settings.lookup_per_minute)
    with ctx.engine.connect() as connection:
        sources = set(
            connection.execute(
                select(listed_accounts.c.source).where(listed_accounts.c.account_number == account)
            ).scalars()
        )
    if "police" in sources:
        status = RiskStatus.POLICE_LISTED
    elif sources:
        status = RiskStatus.REPORTED
    else:
        status = RiskStatus.NO_RECORD
    return AccountRiskResponse.model_validate(
        {"account": mask_tail(account), "status": status, "advice": ADVICE[status]}
    )


def report_account(
    ctx: ServiceContext,
    terminal: Terminal,
    teller: TellerSession,
    request: ReportRequest,
    idempotency_key: str | None,
) -> StoredResponse:
    if request.typology not in ctx.rules.typologies:
        raise invalid_field("typology", f"must be one of: {', '.join(sorted(ctx.rules.typologies))}")
    fingerprint = request_fingerprint(request.model_dump(mode="json"))
    with write_transaction(ctx.engine) as connection:
        if idempotency_key:
            stored = replay(connection, terminal.terminal_id, idempotency_key, "reports", fingerprint)
            if stored is not None:
                return stored
        now = utc_now()
        report_id = f"rep_{secrets.token_hex(12)}"
        connection.execute(
            reports.insert().values(
                report_id=report_id,
                account_number=request.account_number,
                account_name=request.account_name,
                bank=request.bank,
                typology=request.typology,
                description=request.description,
                teller_id=teller.teller_id,
                terminal_id=terminal.terminal_id,
                created_at=now,
            )
        )
        # The first internal report lists the account; later reports add to the evidence only.
        connection.execute(
            insert_for(ctx.engine)(listed_accounts)
            .values(
                account_number=request.account_number,
                source="internal",
                bank=request.bank,
                typology=request.typology,
                listed_on=now.date(),
                reference=report_id,
            )
            .on_conflict_do_nothing(index_elements=["account_number", "source"])
        )
        body = ReportResponse(
            report_id=report_id, account=mask_tail(request.account_number), recorded_at=iso(now)
        ).model_dump()
        stored = StoredResponse(201, body)
        if idempotency_key:
            remember(connection, terminal.terminal_id, idempotency_key, "reports", fingerprint, stored)
    log.info("teller %s reported %s", teller.teller_id, mask_tail(request.account_number))
    return stored


# ---------------------------------------------------------------- CSV import

IMPORT_COLUMNS = ("account_number", "bank", "typology", "listed_on", "reference")
BATCH_ROWS = 5_000
# A good row, in IMPORT_COLUMNS order. Tuples, not dicts: a police list has a million rows.
ListRow = tuple[str, str, str, date, str]
MAX_TEXT = 100


@dataclass
class ImportReport:
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_card_number(number: str) -> bool:
    """16-19 digits with a card scheme's prefix (UnionPay 62, Visa 4, JCB 35, Mastercard 51-55 and
    2221-2720): its last digit is a Luhn check digit. The teller client applies the same rule, so a
    listed card number that fails it could never be keyed at a counter."""
    if not (16 <= len(number) <= 19 and number.isdigit()):
        return False
    if number.startswith(("62", "4", "35")):
        return True
    return 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720


class _Lines:
    """The physical lines the csv reader takes, counted and kept until the next record."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.number = 0
        self.taken: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        self.taken.append(line)
        return line


# (line number, cells, or why the line is no record)
Record = tuple[int, list[str] | None, str | None]


def _one_line(number: int, line: str) -> Record:
    try:
        return number, next(csv.reader([line]), []), None
    except csv.Error as error:
        return number, None, str(error)


def _records(lines: Iterable[str]) -> Iterator[Record]:
    """CSV records, one per line. No field of a list holds a line break, so a record that runs over
    several lines is a quote opened and never closed: that line is reported, and the lines it swallowed
    are read again one by one instead of disappearing into one field (a police list loses no rows)."""
    source = _Lines(lines)
    reader = csv.reader(source)
    while True:
        source.taken.clear()
        first = source.number + 1
        try:
            cells: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as error:  # a field over the size limit, often after an unclosed quote
            cells, problem = None, str(error)
        if len(source.taken) <= 1:
            yield first, cells, problem
            continue
        # (When the swallowed lines passed the field size limit, that is only the symptom.)
        yield first, None, "a quote opened on this line is not closed on it"
        for offset, line in enumerate(source.taken[1:], 1):
            yield _one_line(first + offset, line)


def parse_list_rows(
    lines: Iterable[str], typologies: Iterable[str], origin: str, report: ImportReport
) -> list[ListRow]:
    """Validate every row; bad rows go to report.errors with their line number, and never stop the import.

    `lines` must come from a file opened with errors="surrogateescape", so that bytes which are not
    UTF-8 reach the row they are in and reject only that row.
    """
    known = set(typologies)
    records = _records(lines)
    _line, header_cells, _problem = next(records, (1, None, None))
    header = [name.strip() for name in header_cells or []]
    missing = [column for column in IMPORT_COLUMNS if column not in header]
    if missing:
        report.errors.append(
            f"{origin}: line 1: header lacks {', '.join(missing)}; "
            f"the header must be {','.join(IMPORT_COLUMNS)}"
        )
        return []
    columns = [header.index(column) for column in IMPORT_COLUMNS]
    # account -> (row, line); one copy of each bank, typology and date, however many rows have it
    rows: dict[str, tuple[ListRow, int]] = {}
    shared: dict[Any, Any] = {}
    for line, cells, unreadable in records:
        if cells == []:
            continue  # a blank line
        report.rows_read += 1
        problem, row = (unreadable, None) if cells is None else _parse_row(cells, len(header), columns, known)
        if problem is not None or row is None:
            report.errors.append(f"{origin}: line {line}: {problem}")
            continue
        earlier = rows.get(row[0])
        if earlier is not None:
            if earlier[0] != row:
                report.errors.append(
                    f"{origin}: line {line}: account_number {row[0]} is already on line {earlier[1]} "
                    "with other values; this row is skipped (correct the file and import it again)"
                )
            continue  # an exact repeat changes nothing
        rows[row[0]] = (
            (
                row[0],
                shared.setdefault(row[1], row[1]),
                shared.setdefault(row[2], row[2]),
                shared.setdefault(row[3], row[3]),
                row[4],
            ),
            line,
        )
    return [row for row, _line in rows.values()]


def _parse_row(
    cells: list[str], width: int, columns: list[int], known: set[str]
) -> tuple[str | None, ListRow | None]:
    if len(cells) > width:
        return "more cells than the header has columns", None
    if len(cells) < width:
        return "fewer cells than the header has columns", None
    values = [cells[index].strip() for index in columns]
    if any("\udc80" <= char <= "\udcff" for value in values for char in value):
        return "has bytes that are not UTF-8 text; save the file as UTF-8", None
    account_text, bank, typology, listed_text, reference = values
    try:
        account = normalise_account(account_text)
    except ValueError as error:
        return f"account_number {account_text[:40]!r} {error}", None
    if is_card_number(account) and not luhn_valid(account):
        return (
            f"account_number {account} is a card number whose check digit is wrong (Luhn); "
            "check it with the list's source"
        ), None
    if typology not in known:
        return f"typology {typology[:40]!r} is unknown; use one of {', '.join(sorted(known))}", None
    try:
        listed_on = date.fromisoformat(listed_text)
    except ValueError:
        return f"listed_on {listed_text[:40]!r} is not a date like 2026-11-27", None
    if len(bank) > MAX_TEXT or len(reference) > MAX_TEXT:
        return f"bank and reference may have at most {MAX_TEXT} characters", None
    for name, value in (("bank", bank), ("reference", reference)):
        problem = name_problem(value)
        if problem:
            return f"{name} {problem}", None
    return None, (account, bank, typology, listed_on, reference)


def import_list(
    engine: Engine,
    path: Path,
    source: str,
    typologies: Iterable[str],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the good rows in one transaction; importing the same file again changes nothing."""
    report = ImportReport()
    # Streamed, not read whole; bytes that are not UTF-8 reject their own row only.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as lines:
        rows = parse_list_rows(lines, typologies, str(path), report)
    if not rows:
        return report
    insert = insert_for(engine)
    with write_transaction(engine) as connection:
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            accounts = [row[0] for row in batch]
            existing = {
                row.account_number: (row.bank, row.typology, row.listed_on, row.reference)
                for row in connection.execute(
                    select(listed_accounts).where(
                        listed_accounts.c.source == source,
                        listed_accounts.c.account_number.in_(accounts),
                    )
                )
            }
            changed = []
            for row in batch:
                before = existing.get(row[0])
                after = row[1:]
                if before is None:
                    report.added += 1
                elif before != after:
                    report.updated += 1
                else:
                    report.unchanged += 1
                    continue
                changed.append(dict(zip(IMPORT_COLUMNS, row, strict=True), source=source))
            if changed:
                statement = insert(listed_accounts)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["account_number", "source"],
                        set_={
                            column: getattr(statement.excluded, column)
                            for column in ("bank", "typology", "listed_on", "reference")
                        },
                    ),
                    changed,
                )
            if progress:
                progress(min(start + BATCH_ROWS, len(rows)), len(rows))
    if report.added or report.updated:
        refresh_statistics(engine)
    log.info(
        "imported %s as %s: %d added, %d updated, %d unchanged, %d rejected",
        path,
        source,
        report.added,
        report.updated,
        report.unchanged,
        len(report.errors),
    )
    return report


def refresh_statistics(engine: Engine) -> None:
    """Tell the query planner how large the lists now are. Until PostgreSQL's autovacuum gets round
    to it (a minute or more after a large import), it plans the payee look-up for a table it believes
    empty; SQLite keeps no statistics until asked."""
    with write_transaction(engine) as connection:
        if engine.dialect.name == "sqlite":
            # A sample is enough to know that an account number picks out one row or two.
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql(f"ANALYZE {listed_accounts.name}")
