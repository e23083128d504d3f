"""The async engine, its migrations, and units of work on it."""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from pepptalk.store.uow import UnitOfWork


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


def alembic_config() -> Config:
    """Alembic's config, pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("pepptalk.store.migrations")))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema up to date."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


class Database:
    """Pepptalk's database: where units of work come from."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def uow(self) -> UnitOfWork:
        """A new unit of work: use it as `async with database.uow() as uow:`."""
        return UnitOfWork(self._sessions)

    async def ping(self) -> None:
        """Check the database answers."""
        async with self._sessions() as session:
            await session.execute(select(1))

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()


async def open_database(url: str) -> Database:
    """The database at an async URL, migrated to head."""
    engine = create_engine(url)
    try:
        await migrate(engine)
    except BaseException:
        # Let go of what was opened, so a process that says why and exits leaves nothing behind.
        await engine.dispose()
        raise
    return Database(engine)
