"""The async engine, sessions and schema migrations."""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from pepptalk.handlers.store import Store


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for an async URL, with SQLite tuned for one process and many readers."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, **options)


def create_store(engine: AsyncEngine) -> Store:
    """A Store on an engine."""
    return Store(async_sessionmaker(engine, expire_on_commit=False))


def alembic_config() -> Config:
    """Alembic's config, pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("pepptalk.bot.migrations")))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema up to date."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def open_database(url: str) -> tuple[AsyncEngine, Store]:
    """An engine for an async URL, migrated to head, and the store on it."""
    engine = create_engine(url)
    await migrate(engine)
    return engine, create_store(engine)
