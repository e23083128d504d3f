"""The playground's own tables: its clock, its page token and every thread, so a restart goes on
where the demo was.

They live only in the playground's database (PLAYGROUND_DATABASE_URL) and are created here, not
by the production migrations: a real Pepptalk database never has them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

METADATA = MetaData()
SETTINGS = Table(
    "playground_settings",
    METADATA,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)
POSTS = Table(
    "playground_posts",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A person's user id, or "#" and a channel id.
    Column("thread", String(80), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("private", Boolean, nullable=False, default=False),
    Column("message", Text, nullable=False),
)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes: they were stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class PlaygroundState:
    """Reads and writes the playground's own tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self) -> None:
        """Create the tables if this database has none yet."""
        async with self.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)

    async def setting(self, key: str) -> str | None:
        """A stored value, or None."""
        async with self.engine.connect() as connection:
            value = await connection.scalar(select(SETTINGS.c.value).where(SETTINGS.c.key == key))
        return None if value is None else str(value)

    async def put_setting(self, key: str, value: str) -> None:
        """Store a value under `key`, replacing what was there."""
        async with self.engine.begin() as connection:
            done = await connection.execute(
                update(SETTINGS).where(SETTINGS.c.key == key).values(value=value)
            )
            if not done.rowcount:
                await connection.execute(insert(SETTINGS).values(key=key, value=value))

    async def clock_offset(self) -> timedelta:
        """How far ahead of real time the demo's clock was moved."""
        stored = await self.setting("clock_offset_seconds")
        return timedelta(seconds=float(stored)) if stored else timedelta()

    async def write(
        self,
        added: list[tuple[int, str, datetime, bool, str]],
        changed: dict[int, str],
        kept_from: dict[str, int],
    ) -> None:
        """Keep new messages (id, thread, when, private, JSON), changed ones, and forget what
        fell off each thread's end, in one transaction."""
        async with self.engine.begin() as connection:
            for post_id, thread, at, private, message in added:
                await connection.execute(
                    insert(POSTS).values(
                        id=post_id,
                        thread=thread,
                        at=at.astimezone(UTC),
                        private=private,
                        message=changed.pop(post_id, message),
                    )
                )
            for post_id, message in changed.items():
                await connection.execute(
                    update(POSTS).where(POSTS.c.id == post_id).values(message=message)
                )
            for thread, first in kept_from.items():
                await connection.execute(
                    delete(POSTS).where(POSTS.c.thread == thread, POSTS.c.id < first)
                )

    async def posts(self) -> list[tuple[int, str, datetime, bool, str]]:
        """Every kept message, oldest first: id, thread, when, private, the message as JSON."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(POSTS).order_by(POSTS.c.id))
            return [
                (row.id, row.thread, _utc(row.at), bool(row.private), row.message) for row in rows
            ]

    async def clear(self) -> None:
        """Empty every table of this database (the demo's and the playground's own): a reset."""
        reflected = MetaData()
        async with self.engine.begin() as connection:
            await connection.run_sync(reflected.reflect)
            for table in reversed(reflected.sorted_tables):
                if table.name != "alembic_version":
                    await connection.execute(table.delete())
