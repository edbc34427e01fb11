"""Initial schema: risk lists, name directory, tellers, terminals, sessions, screenings, acknowledgements.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from screening_service.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written out rather than taken from schema.py: a migration must stay as it
    # was when released, whatever the current schema looks like.
    # tests/service/test_migrations.py checks that the two agree.
    op.create_table(
        "listed_accounts",
        sa.Column("account_number", sa.String(34), primary_key=True),
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("bank", sa.String(100), nullable=False),
        sa.Column("typology", sa.String(40), nullable=False),
        sa.Column("listed_on", sa.Date, nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
    )
    op.create_table(
        "account_directory",
        sa.Column("account_number", sa.String(34), primary_key=True),
        sa.Column("holder_name", sa.String(100), nullable=False),
        sa.Column("bank", sa.String(100), nullable=False),
    )
    op.create_table(
        "tellers",
        sa.Column("teller_id", sa.String(32), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("branch_id", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "terminals",
        sa.Column("terminal_id", sa.String(32), primary_key=True),
        sa.Column("branch_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("teller_id", sa.String(32), sa.ForeignKey("tellers.teller_id"), nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime, nullable=True),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "screenings",
        sa.Column("screening_id", sa.String(40), primary_key=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("branch_id", sa.String(32), nullable=False),
        sa.Column("teller_id", sa.String(32), nullable=False),
        sa.Column("customer_key", sa.String(64), nullable=False),
        sa.Column("customer_id_masked", sa.String(40), nullable=False),
        sa.Column("payer_account", sa.String(34), nullable=False),
        sa.Column("payee_account", sa.String(34), nullable=False),
        sa.Column("payee_name", sa.String(100), nullable=False),
        sa.Column("payee_bank", sa.String(100), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("arrival_mode", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("new_payee", sa.Boolean, nullable=False),
        sa.Column("face_outcome", sa.String(16), nullable=False),
        sa.Column("response_json", sa.Text, nullable=False),
        sa.Column("final_action", sa.String(16), nullable=True),
    )
    op.create_index("ix_screenings_customer_time", "screenings", ["customer_key", "created_at"])
    op.create_index("ix_screenings_customer_payee", "screenings", ["customer_key", "payee_account"])
    op.create_table(
        "acknowledgements",
        sa.Column("ack_id", sa.String(40), primary_key=True),
        sa.Column(
            "screening_id",
            sa.String(40),
            sa.ForeignKey("screenings.screening_id"),
            nullable=False,
        ),
        sa.Column("client_event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("delay", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("answers_json", sa.Text, nullable=False),
        sa.Column("supervisor_id", sa.String(32), nullable=True),
        sa.Column("teller_id", sa.String(32), nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("response_json", sa.Text, nullable=False),
    )
    op.create_index("ix_acknowledgements_screening", "acknowledgements", ["screening_id"])
    op.create_table(
        "idempotency_records",
        sa.Column("terminal_id", sa.String(32), primary_key=True),
        sa.Column("idempotency_key", sa.String(100), primary_key=True),
        sa.Column("endpoint", sa.String(40), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response_json", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "rate_limit_counters",
        sa.Column("bucket", sa.String(80), primary_key=True),
        sa.Column("window_start", sa.Integer, primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(40), primary_key=True),
        sa.Column("account_number", sa.String(34), nullable=False),
        sa.Column("account_name", sa.String(100), nullable=False),
        sa.Column("bank", sa.String(100), nullable=False),
        sa.Column("typology", sa.String(40), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("teller_id", sa.String(32), nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "service_settings",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
