"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL.

The schema is migrated once per test session; each test then starts from a copy of that empty,
migrated database (a copied SQLite file; on PostgreSQL, the session's schema emptied again).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot.config import async_database_url
from pepptalk.store.database import Database, create_engine, migrate
from pepptalk.store.tables import METADATA
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


async def admin(statement: str) -> None:
    """Run one statement on the test PostgreSQL server, outside any test's schema."""
    assert POSTGRES_URL is not None
    engine = create_engine(async_database_url(POSTGRES_URL))
    async with engine.begin() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


def postgres_engine(schema: str) -> AsyncEngine:
    """An engine whose tables live in `schema` on the test PostgreSQL server."""
    assert POSTGRES_URL is not None
    return create_engine(
        async_database_url(POSTGRES_URL),
        connect_args={"server_settings": {"search_path": schema}},
    )


def run_apart(work: Coroutine[object, object, None]) -> None:
    """Run a coroutine to the end on its own loop in its own thread (session fixtures may be
    first asked for from inside a test's running loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, work).result()


async def _migrated(engine: AsyncEngine) -> None:
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database, migrated once for the whole test session."""
    path = tmp_path_factory.mktemp("template") / "pepptalk.db"
    run_apart(_migrated(create_engine(f"sqlite+aiosqlite:///{path}")))
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A schema on the test PostgreSQL server, migrated once for the whole test session."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    run_apart(admin(f'CREATE SCHEMA "{schema}"'))
    try:
        run_apart(_migrated(postgres_engine(schema)))
        yield schema
    finally:
        run_apart(admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


async def _emptied(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in METADATA.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database: a copy of the SQLite template, or the PostgreSQL schema."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "pepptalk.db"
        shutil.copyfile(template, path)
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
    else:
        engine = postgres_engine(request.getfixturevalue("postgres_schema"))
        await _emptied(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def database(engine: AsyncEngine) -> Database:
    return Database(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0800_OSLO)


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()
