"""Alembic environment: runs on the connection Pepptalk hands it."""

from __future__ import annotations

from alembic import context

from pepptalk.store.tables import METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `pepptalk migrate`")
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
