"""The risk lists: the public account lookup, teller reports, and CSV imports from police and peer banks."""

import csv
import logging
import secrets
from collections.abc import Callable, Iterable
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


@dataclass
class ImportReport:
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def parse_list_rows(
    lines: Iterable[str], typologies: Iterable[str], origin: str, report: ImportReport
) -> list[ListRow]:
    """Validate every row; bad rows go to report.errors with their line number."""
    known = set(typologies)
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    missing = [column for column in IMPORT_COLUMNS if column not in header]
    if missing:
        report.errors.append(
            f"{origin}: line 1: header lacks {', '.join(missing)}; "
            f"the header must be {','.join(IMPORT_COLUMNS)}"
        )
        return []
    rows: dict[str, ListRow] = {}
    shared: dict[Any, Any] = {}  # one copy of each bank, typology and date, however many rows have it
    for record in reader:
        report.rows_read += 1
        line = reader.line_num
        problem, row = _parse_row(record, known)
        if problem:
            report.errors.append(f"{origin}: line {line}: {problem}")
        elif row is not None:
            # a later row for the same account wins
            rows[row["account_number"]] = (
                row["account_number"],
                shared.setdefault(row["bank"], row["bank"]),
                shared.setdefault(row["typology"], row["typology"]),
                shared.setdefault(row["listed_on"], row["listed_on"]),
                row["reference"],
            )
    return list(rows.values())


def _parse_row(record: dict[str, str | None], known: set[str]) -> tuple[str | None, dict[str, Any] | None]:
    values = {key: (record.get(key) or "").strip() for key in IMPORT_COLUMNS}
    if None in record:  # csv puts surplus cells under the key None
        return "more cells than the header has columns", None
    try:
        account = normalise_account(values["account_number"])
    except ValueError as error:
        return f"account_number {values['account_number']!r} {error}", None
    if values["typology"] not in known:
        return (
            f"typology {values['typology']!r} is unknown; use one of {', '.join(sorted(known))}",
            None,
        )
    try:
        listed_on = date.fromisoformat(values["listed_on"])
    except ValueError:
        return f"listed_on {values['listed_on']!r} is not a date like 2026-11-27", None
    if len(values["bank"]) > 100 or len(values["reference"]) > 100:
        return "bank and reference may have at most 100 characters", None
    return None, {
        "account_number": account,
        "bank": values["bank"],
        "typology": values["typology"],
        "listed_on": listed_on,
        "reference": values["reference"],
    }


def import_list(
    engine: Engine,
    path: Path,
    source: str,
    typologies: Iterable[str],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the good rows in one transaction; importing the same file again changes nothing."""
    report = ImportReport()
    with path.open(encoding="utf-8-sig", newline="") as lines:  # streamed, not read whole
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
