"""The async engine, its migrations, and units of work on it."""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState

from pepptalk.store.uow import UnitOfWork


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for an async URL, with SQLite tuned for one process and many readers."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_reset_on_return=None, **options
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "handle_error")
        def _drop_read_only(context: ExceptionContext) -> None:
            # SQLite opens a file it cannot write read-only, and such a connection stays so
            # after the file is writable again: treat it as gone, so the pool opens fresh ones.
            if READ_ONLY in str(context.original_exception):
                context.is_disconnect = True

        @event.listens_for(engine.sync_engine, "reset")
        def _roll_back_if_open(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
            # The pool's own reset rolls back every connection it takes back, a round trip to
            # SQLite's thread even after a commit or after reads only (which open no
            # transaction): only one still open needs it.
            if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
                dbapi_connection.rollback()

        return engine
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A connection the server dropped while it sat in the pool is replaced before use (and
        # the rest of the pool with it), as pool_pre_ping does; but in one round trip, where
        # pool_pre_ping on asyncpg takes three (BEGIN, the ping, ROLLBACK).
        try:
            dbapi_connection.run_async(lambda driver: driver.execute("SELECT 1"))
        except Exception as error:
            raise InvalidatePoolError(f"ping failed: {type(error).__name__}") from error

    return engine


READ_ONLY = "readonly database"


def reconnected(error: BaseException) -> bool:
    """Whether `error` dropped its connection (the server went away, or SQLite found itself
    read-only), so the same work on a fresh connection may well succeed."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def out_of_reach(error: BaseException) -> bool:
    """Whether `error` says the database could not be used at all (down, unreachable, or
    taking no writes), rather than that something was wrong with what was asked of it."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return isinstance(error, OSError)


def alembic_config() -> Config:
    """Alembic's config, pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("pepptalk.store.migrations")))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# Any number, the same in every replica: the lock that lets one migrate while the others wait.
MIGRATION_LOCK = 0x5065_7074  # "Pept"


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema up to date. Replicas starting together on PostgreSQL take turns (a lock
    held until the migration commits): the first migrates, the others find nothing left to do."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
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

    async def check_writable(self) -> None:
        """Check the database takes a write (a database that only reads is no use to Pepptalk):
        a write that changes nothing, rolled back."""
        for attempt in (1, 2):
            try:
                async with self._sessions() as session:
                    await session.execute(
                        text("UPDATE alembic_version SET version_num = version_num")
                    )
                    await session.rollback()
                return
            except DBAPIError as error:
                # A connection left from a read-only spell: once more on a fresh one.
                if attempt == 2 or not reconnected(error):
                    raise

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
