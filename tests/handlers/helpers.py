"""Driving the habits the way users do: through the one entry every adapter calls."""

from __future__ import annotations

from datetime import date, datetime

from pepptalk.bot.delivery import DrainReport
from pepptalk.bot.jobs import claim, drain
from pepptalk.bot.services import Services
from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.core.messages import Message, Paragraph, Reply, plain
from pepptalk.core.ports import Actor, FormValues, Press, Submission
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from pepptalk.store.models import Checkin
from pepptalk.store.teams import Membership
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock

WORKSPACE = "T1"
# Tests read commands the way a Slack user sees them.
SLACK_PREFIX = "/pepptalk "


def actor(user_id: str) -> Actor:
    return Actor(workspace_id=WORKSPACE, user_id=user_id, platform=Platform.SLACK)


def words(reply: Reply | Message | None) -> str:
    """All the text a person would read in a reply."""
    message = reply.message if isinstance(reply, Reply) else reply
    if message is None:
        return ""
    parts = [message.summary]
    for block in message.blocks:
        if hasattr(block, "text"):
            parts.append(plain(block.text, prefix=SLACK_PREFIX))
        if hasattr(block, "pairs"):
            parts.extend(f"{label}: {value}" for label, value in block.pairs)
        if hasattr(block, "buttons"):
            parts.extend(b.label for b in block.buttons)
    return "\n".join(parts)


class Team:
    """A leader and sellers, set up and driven through Pepptalk's own entry."""

    def __init__(
        self,
        database: Database,
        chat: FakeChat,
        clock: FakeClock,
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.database, self.chat, self.clock = database, chat, clock
        self.services = Services(
            database=database, chat=chat, registry=REGISTRY, clock=clock, policy=policy
        )
        self.habits = self.services.habits

    async def say(self, user_id: str, text: str) -> str:
        return words(await self.reply(user_id, text))

    async def reply(self, user_id: str, text: str) -> Reply:
        return await self.habits.command(actor(user_id), text)

    async def press(self, user_id: str, action: str, value: str, group: str = "g") -> Reply:
        return await self.habits.press(actor(user_id), Press(action, group, value))

    async def submit(self, user_id: str, action: str, context: str, values: FormValues) -> Reply:
        return await self.habits.submit(actor(user_id), Submission(action, context, values))

    async def import_csv(self, user_id: str, text: str) -> str:
        """Figures in, as a leader drops a CSV file into the chat with Pepptalk."""
        return words(await self.habits.import_metrics_file(actor(user_id), text))

    async def run(self, *jobs: str, at: datetime | None = None) -> DrainReport:
        """Run jobs as the schedule does at `at` (default: now), then drain the outbox."""
        if at is not None:
            self.clock.set(at)
        for job in jobs:
            await claim(self.services, job, at=self.clock(), queued_at=self.clock())
        return await drain(self.services)

    async def seat_of(self, user_id: str) -> Membership | None:
        async with self.database.uow() as uow:
            return await uow.teams.membership(WORKSPACE, user_id)

    async def seat(self, user_id: str) -> Membership:
        seat = await self.seat_of(user_id)
        assert seat is not None, f"{user_id} is in no team"
        return seat

    async def checkin_of(self, user_id: str, day: date | None = None) -> Checkin | None:
        seat = await self.seat(user_id)
        async with self.database.uow() as uow:
            return await uow.checkins.of(member_id=seat.member.id, day=day or self.clock().date())

    async def counts(self) -> dict[DeliveryStatus, int]:
        async with self.database.uow() as uow:
            return await uow.outbox.counts()

    async def create(
        self,
        sellers: dict[str, str | None],
        *,
        leader: str = "ULEAD",
        name: str = "Oslo",
        names: dict[str, str] | None = None,
    ) -> None:
        """A team led by `leader` with sellers {user_id: timezone} (named "Seller <id>" unless
        `names` says otherwise)."""
        self.chat.add_user(leader, "Kari Nordmann", "Europe/Oslo")
        for user_id, tz in sellers.items():
            self.chat.add_user(user_id, (names or {}).get(user_id, f"Seller {user_id}"), tz)
        assert "is ready" in await self.say(leader, f"team create {name}")
        if sellers:
            mentions = " ".join(f"<@{u}>" for u in sellers)
            assert "Added" in await self.say(leader, f"team add {mentions}")
            # The welcomes go out now; tests of what comes later start from a clean slate.
            assert (await self.run()).sent == len(sellers)
            self.chat.sent.clear()


def paragraph_texts(message: Message) -> list[str]:
    return [plain(b.text, prefix=SLACK_PREFIX) for b in message.blocks if isinstance(b, Paragraph)]
