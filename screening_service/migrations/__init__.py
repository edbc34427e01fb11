"""Alembic migrations of the screening service's schema."""
