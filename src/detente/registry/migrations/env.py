"""Alembic environment: runs on the connection detente passes in (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from detente.registry.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - detente always passes a connection
    raise RuntimeError("detente registry migrations run through detente.registry.db.upgrade")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
