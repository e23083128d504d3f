"""What every adapter and job is handed: the store, the chat, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pepptalk.handlers.ports import Chat
from pepptalk.handlers.store import Store

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The ports the habits run on, built once in bot.app."""

    store: Store
    chat: Chat
    clock: Clock = system_clock
