"""Migrations take an empty database to a schema that matches the models exactly."""

from __future__ import annotations

import asyncio
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.store.database import migrate
from pepptalk.store.tables import METADATA
from tests.conftest import POSTGRES_URL, admin, postgres_engine


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


@pytest.mark.skipif(POSTGRES_URL is None, reason="set PEPPTALK_TEST_POSTGRES_URL")
async def test_replicas_starting_together_migrate_one_after_the_other() -> None:
    """Three servers starting at once on an empty PostgreSQL schema, three times over: each
    migrates or finds it done, none fails on a table another is creating."""
    for round_ in range(3):
        schema = f"migrate_race_{os.getpid()}_{round_}"
        await admin(f'CREATE SCHEMA "{schema}"')
        engines = [postgres_engine(schema) for _ in range(3)]
        try:
            await asyncio.gather(*(migrate(engine) for engine in engines))
            async with engines[0].connect() as connection:
                version = await connection.scalar(text("SELECT count(*) FROM alembic_version"))
            assert version == 1
        finally:
            for engine in engines:
                await engine.dispose()
            await admin(f'DROP SCHEMA "{schema}" CASCADE')
