"""Alembic environment: runs on the connection that `screening_service.database.migrate` hands over."""

from alembic import context
from sqlalchemy.engine import Connection

from screening_service.schema import metadata

connection = context.config.attributes["connection"]
assert isinstance(connection, Connection)
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
