"""Lobby pre-screens (kiosk mode) and the link from a screening to its pre-screen.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from screening_service.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prescreens",
        sa.Column("prescreen_id", sa.String(40), primary_key=True),
        sa.Column("code", sa.String(6), nullable=True, unique=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("terminal_id", sa.String(32), nullable=False),
        sa.Column("branch_id", sa.String(32), nullable=False),
        sa.Column("answers_json", sa.Text, nullable=False),
    )
    op.add_column("screenings", sa.Column("prescreen_id", sa.String(40), nullable=True))
