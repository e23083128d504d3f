"""What every adapter and job is handed: the habits' one door, and the parts behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pepptalk.core.ports import Chat
from pepptalk.handlers.habit import Registry
from pepptalk.handlers.service import Habits
from pepptalk.store.database import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Built once in bot.app: the habits (for adapters), and the database, chat, clock and
    registry (for the schedule and the outbox sender)."""

    database: Database
    chat: Chat
    registry: Registry
    clock: Clock = system_clock
    habits: Habits = field(init=False)

    def __post_init__(self) -> None:
        self.habits = Habits(
            registry=self.registry, database=self.database, chat=self.chat, clock=self.clock
        )
