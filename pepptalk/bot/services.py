"""What every adapter and job is handed: the habits' one door, and the parts behind it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pepptalk.bot.charts import drawn_reply
from pepptalk.bot.spacing import Spacing
from pepptalk.core.messages import Reply
from pepptalk.core.ports import Actor, Chat, Press, Submission
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.habit import Registry
from pepptalk.handlers.service import Habits
from pepptalk.store.database import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class DrawingHabits(Habits):
    """The habits' door with the runtime's drawing behind it: a reply that describes a chart (the
    `digest` command's) comes back with the chart drawn, whichever adapter asked."""

    async def command(self, actor: Actor, text: str) -> Reply:
        return await drawn_reply(await super().command(actor, text))

    async def direct_message(self, actor: Actor, text: str) -> Reply:
        return await drawn_reply(await super().direct_message(actor, text))

    async def press(self, actor: Actor, press: Press) -> Reply:
        return await drawn_reply(await super().press(actor, press))

    async def submit(self, actor: Actor, submission: Submission) -> Reply:
        return await drawn_reply(await super().submit(actor, submission))


@dataclass
class Services:
    """Built once in bot.app: the habits (for adapters), and the database, chat, clock and
    registry (for the schedule and the outbox sender)."""

    database: Database
    chat: Chat
    registry: Registry
    clock: Clock = system_clock
    policy: Policy = DEFAULT_POLICY
    habits: Habits = field(init=False)
    # Set when the server is stopping: senders hand back what they have not sent yet.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Held while the schedule's tick runs, so a stopping server can wait for it to end.
    ticking: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Jobs that work beside the tick (a CRM sync), by name: one run of each at a time.
    working: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Every delivery outcome since start, by (platform, kind, outcome), for /metrics.
    delivered: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # How fast the outbox may send to each platform before it says "too many": one for the
    # process, so each drain keeps to what the one before it sent.
    spacing: Spacing = field(default_factory=Spacing)

    def __post_init__(self) -> None:
        self.habits = DrawingHabits(
            registry=self.registry,
            database=self.database,
            chat=self.chat,
            clock=self.clock,
            policy=self.policy,
        )
