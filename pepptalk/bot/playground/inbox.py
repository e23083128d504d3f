"""What the playground's people have received: direct messages, private replies, open forms."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from pepptalk.core.messages import Form, Message

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
    """Every thread, in memory: the playground's stand-in for a workspace's DMs."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._threads: dict[str, list[Posted]] = {}
        self.forms: dict[str, OpenForm] = {}

    def post(
        self, user_id: str, message: Message, *, at: datetime, private: bool = False
    ) -> Posted:
        """Add a message to a person's thread."""
        posted = Posted(next(self._ids), user_id, message, at, private)
        thread = self._threads.setdefault(user_id, [])
        thread.append(posted)
        del thread[:-THREAD_LIMIT]
        return posted

    def replace(self, user_id: str, posted_id: int, message: Message) -> bool:
        """Update a message in place, as a platform does when a button confirms."""
        for posted in self._threads.get(user_id, []):
            if posted.id == posted_id:
                posted.message = message
                return True
        return False

    def thread(self, user_id: str) -> list[Posted]:
        """A person's messages, oldest first."""
        return list(self._threads.get(user_id, []))
