"""Migrations take an empty database to a schema that matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.store.database import migrate
from pepptalk.store.tables import METADATA


async def test_empty_to_head_matches_the_models(engine: AsyncEngine) -> None:
    # The fixture already ran the migrations on an empty database; running again is a no-op.
    await migrate(engine)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, METADATA))

    def tables(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
        assert {"teams", "members", "checkins", "deliveries", "processed_events"} <= (
            await connection.run_sync(tables)
        )
