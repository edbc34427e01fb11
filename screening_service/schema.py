"""Database tables of the screening service (SQLAlchemy Core), shared by the app, the CLI and migrations."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, also on SQLite (which stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        general = super().result_processor(dialect, coltype)
        assert general is not None  # a TypeDecorator with process_result_value always has one

        def process(value: Any) -> datetime | None:
            # SQLite keeps the naive UTC text SQLAlchemy wrote ("2026-11-27 09:30:00.000000"); the C
            # parser reads it in a fraction of the time of SQLAlchemy's regular expression, which
            # counts on a screening that reads a customer's history.
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value).replace(tzinfo=UTC)
                except ValueError:
                    pass
            return general(value)

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

# One row per (account, source): the same account may be listed by the police and by a peer bank.
listed_accounts = Table(
    "listed_accounts",
    metadata,
    Column("account_number", String(34), primary_key=True),
    Column("source", String(16), primary_key=True),
    Column("bank", String(100), nullable=False),
    Column("typology", String(40), nullable=False),
    Column("listed_on", Date, nullable=False),
    Column("reference", String(100), nullable=False),
)

# The account-name directory the payee name check consults (Confirmation of Payee).
account_directory = Table(
    "account_directory",
    metadata,
    Column("account_number", String(34), primary_key=True),
    Column("holder_name", String(100), nullable=False),
    Column("bank", String(100), nullable=False),
)

tellers = Table(
    "tellers",
    metadata,
    Column("teller_id", String(32), primary_key=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("branch_id", String(32), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

terminals = Table(
    "terminals",
    metadata,
    Column("terminal_id", String(32), primary_key=True),
    Column("branch_id", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

# Teller sessions and one-shot supervisor approvals; only a hash of the token is kept.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("teller_id", String(32), ForeignKey("tellers.teller_id"), nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

screenings = Table(
    "screenings",
    metadata,
    Column("screening_id", String(40), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("branch_id", String(32), nullable=False),
    Column("teller_id", String(32), nullable=False),
    # A keyed hash of the customer's ID document: links a customer across counters
    # without keeping the ID number in clear.
    Column("customer_key", String(64), nullable=False),
    Column("customer_id_masked", String(40), nullable=False),
    Column("payer_account", String(34), nullable=False),
    Column("payee_account", String(34), nullable=False),
    Column("payee_name", String(100), nullable=False),
    Column("payee_bank", String(100), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("arrival_mode", String(16), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("score", Integer, nullable=False),
    Column("new_payee", Boolean, nullable=False),
    Column("face_outcome", String(16), nullable=False),
    Column("response_json", Text, nullable=False),
    Column("final_action", String(16), nullable=True),
    # The lobby pre-screen the teller linked (prescreens.prescreen_id), if any.
    Column("prescreen_id", String(40), nullable=True),
    Index("ix_screenings_customer_time", "customer_key", "created_at"),
    Index("ix_screenings_customer_payee", "customer_key", "payee_account"),
)

acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("ack_id", String(40), primary_key=True),
    Column("screening_id", String(40), ForeignKey("screenings.screening_id"), nullable=False),
    Column("client_event_id", String(64), nullable=False, unique=True),
    Column("request_hash", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("delay", String(16), nullable=True),
    Column("note", Text, nullable=False),
    Column("answers_json", Text, nullable=False),
    Column("supervisor_id", String(32), nullable=True),
    Column("teller_id", String(32), nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("response_json", Text, nullable=False),
    Index("ix_acknowledgements_screening", "screening_id"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("terminal_id", String(32), primary_key=True),
    Column("idempotency_key", String(100), primary_key=True),
    Column("endpoint", String(40), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_json", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Fixed-window counters; a row per (bucket, window) so every instance counts in the same place.
rate_limit_counters = Table(
    "rate_limit_counters",
    metadata,
    Column("bucket", String(80), primary_key=True),
    Column("window_start", Integer, primary_key=True),
    Column("hits", Integer, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(40), primary_key=True),
    Column("account_number", String(34), nullable=False),
    Column("account_name", String(100), nullable=False),
    Column("bank", String(100), nullable=False),
    Column("typology", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("teller_id", String(32), nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

service_settings = Table(
    "service_settings",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Decision records delivered by the counters' audit outboxes; one row per (terminal, record).
audit_records = Table(
    "audit_records",
    metadata,
    Column("terminal_id", String(32), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Index("ix_audit_records_terminal_sequence", "terminal_id", "sequence"),
)

# Lobby pre-screen questionnaires (kiosk mode): structured answers only, no names or account
# numbers. `code` is what the customer carries to the counter; an expired pre-screen gives its
# code up (set to NULL) when a new pre-screen draws the same code, so codes are unique among
# the pre-screens that can still be used.
prescreens = Table(
    "prescreens",
    metadata,
    Column("prescreen_id", String(40), primary_key=True),
    Column("code", String(6), nullable=True, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("branch_id", String(32), nullable=False),
    Column("answers_json", Text, nullable=False),
)
