"""What the service-side security suites share: the rows a request could write, and a screening."""

from typing import Any

from sqlalchemy import Table, func, select

from screening_service.database import make_engine
from screening_service.schema import (
    acknowledgements,
    audit_records,
    idempotency_records,
    listed_accounts,
    prescreens,
    reports,
    screenings,
    sessions,
)
from tests.service.conftest import Api, remittance

BUSINESS_TABLES: tuple[Table, ...] = (
    screenings,
    acknowledgements,
    reports,
    listed_accounts,
    prescreens,
    audit_records,
    idempotency_records,
    sessions,
)


def table_counts(database_url: str) -> dict[str, int]:
    """Row counts of the tables a request could write; counting also proves each table still exists."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        counts = {
            table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for table in BUSINESS_TABLES
        }
    engine.dispose()
    return counts


def screened(api: Api, **changes: Any) -> dict[str, Any]:
    """A remittance screened through the API (201 expected)."""
    response = api.screen(remittance(**changes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
