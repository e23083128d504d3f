"""What the playground's people have received: direct messages, private replies, open forms.

Threads are kept in memory for the page and written through to the playground's own database,
so they are all there again after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from pepptalk.bot.playground.codec import dumps, loads
from pepptalk.bot.playground.state import PlaygroundState
from pepptalk.core.messages import Form, Message

log = logging.getLogger(__name__)
# A person's thread keeps this many messages; older ones scroll away as in a chat.
THREAD_LIMIT = 200


def channel_key(channel_id: str) -> str:
    """The thread a channel's posts are kept under, beside people's DMs."""
    return f"#{channel_id}"


@dataclass
class Posted:
    """One message in a person's thread with Pepptalk."""

    id: int
    user_id: str
    message: Message
    at: datetime
    private: bool = False


@dataclass
class OpenForm:
    """A form a person has open, the message it came from, and what was wrong last time."""

    form: Form
    source_id: int | None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str | bool] = field(default_factory=dict)


class Inbox:
    """Every thread: the playground's stand-in for a workspace's DMs and its team channel.

    A message often arrives while the use case that sent it still holds its transaction (and, on
    SQLite, the write lock), so writes to the playground's tables are gathered here and written
    just after, by `flush` or by a task of their own."""

    def __init__(self, state: PlaygroundState) -> None:
        self._state = state
        self._threads: dict[str, list[Posted]] = defaultdict(list)
        self._last_id = 0
        self._added: list[tuple[int, str, datetime, bool, str]] = []
        self._changed: dict[int, str] = {}
        self._kept_from: dict[str, int] = {}
        self._writing = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        self.forms: dict[str, OpenForm] = {}
        self.version = 0

    async def load(self) -> None:
        """Read the kept threads back (a message that cannot be read is left out)."""
        await self.flush()
        self._threads.clear()
        self.forms.clear()
        self._last_id = 0
        for post_id, thread, at, private, text in await self._state.posts():
            self._last_id = max(self._last_id, post_id)
            try:
                message = loads(text, Message)
            except (ValueError, TypeError, KeyError):
                continue
            self._threads[thread].append(Posted(post_id, thread, message, at, private))
        self.version += 1

    def _changed_now(self) -> None:
        self.version += 1
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_soon())

    async def _write_soon(self) -> None:
        try:
            await self.flush()
        except (SQLAlchemyError, OSError) as error:
            # Kept for the next write; the page goes on from memory meanwhile.
            log.warning("playground: messages not kept yet, will try again: %r", error)

    async def flush(self) -> None:
        """Write what has changed since the last write (and what changes while writing)."""
        async with self._writing:
            while self._added or self._changed or self._kept_from:
                added, changed, kept_from = self._added, self._changed, self._kept_from
                self._added, self._changed, self._kept_from = [], {}, {}
                try:
                    await self._state.write(added, dict(changed), kept_from)
                except BaseException:
                    self._added[:0] = added
                    self._changed = {**changed, **self._changed}
                    self._kept_from = {**kept_from, **self._kept_from}
                    raise

    async def post(
        self, user_id: str, message: Message, *, at: datetime, private: bool = False
    ) -> Posted:
        """Add a message to a person's thread."""
        self._last_id += 1
        posted = Posted(self._last_id, user_id, message, at, private)
        self._added.append((posted.id, user_id, at, private, dumps(message)))
        thread = self._threads[user_id]
        thread.append(posted)
        if len(thread) > THREAD_LIMIT:
            del thread[:-THREAD_LIMIT]
            self._kept_from[user_id] = thread[0].id
        self._changed_now()
        return posted

    async def replace(self, user_id: str, posted_id: int, message: Message) -> bool:
        """Update a message in place, as a platform does when a button confirms."""
        for posted in self._threads.get(user_id, []):
            if posted.id == posted_id:
                posted.message = message
                self._changed[posted_id] = dumps(message)
                self._changed_now()
                return True
        return False

    def thread(self, user_id: str) -> list[Posted]:
        """A person's messages, oldest first."""
        return list(self._threads.get(user_id, []))
