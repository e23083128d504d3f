"""Shared fixtures: a migrated store on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot.config import async_database_url
from pepptalk.bot.db import create_engine, create_store, migrate
from pepptalk.handlers.store import Store
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock

POSTGRES_URL = os.environ.get("PEPPTALK_TEST_POSTGRES_URL")
DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="set PEPPTALK_TEST_POSTGRES_URL to run on PostgreSQL"
        ),
    ),
]
# Monday 23 November 2026, 07:00 UTC = 08:00 in Oslo.
MONDAY_0800_OSLO = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


async def _admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    admin = create_engine(async_database_url(POSTGRES_URL))
    async with admin.begin() as connection:
        await connection.execute(text(statement))
    await admin.dispose()


async def _postgres_engine(schema: str) -> AsyncEngine:
    assert POSTGRES_URL is not None
    await _admin(f'CREATE SCHEMA "{schema}"')
    # Each test gets its own schema, so tests never see each other's rows.
    return create_engine(
        async_database_url(POSTGRES_URL),
        connect_args={"server_settings": {"search_path": schema}},
    )


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[AsyncEngine]:  # type: ignore[no-untyped-def]
    """A migrated, empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pepptalk.db'}")
        await migrate(engine)
        yield engine
        await engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = await _postgres_engine(schema)
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.dispose()
        await _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
async def store(engine: AsyncEngine) -> Store:
    return create_store(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0800_OSLO)


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()
