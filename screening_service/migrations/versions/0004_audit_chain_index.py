"""Audit records by terminal and sequence: each arriving record is checked against its neighbours.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_records_terminal_sequence", "audit_records", ["terminal_id", "sequence"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_terminal_sequence", table_name="audit_records")
