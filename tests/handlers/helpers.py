"""Driving the habits the way users do: through the command grammar."""

from __future__ import annotations

from pepptalk.handlers.commands import run_command
from pepptalk.handlers.messages import Message, Paragraph, Reply
from pepptalk.handlers.ports import Actor
from pepptalk.handlers.store import Store
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock

WORKSPACE = "T1"


def actor(user_id: str) -> Actor:
    return Actor(workspace_id=WORKSPACE, user_id=user_id, platform="slack")


def words(reply: Reply | Message | None) -> str:
    """All the text a person would read in a reply."""
    message = reply.message if isinstance(reply, Reply) else reply
    if message is None:
        return ""
    parts = [message.summary]
    for block in message.blocks:
        if hasattr(block, "text"):
            parts.append(block.text)
        if hasattr(block, "pairs"):
            parts.extend(f"{label}: {value}" for label, value in block.pairs)
        if hasattr(block, "buttons"):
            parts.extend(b.label for b in block.buttons)
    return "\n".join(parts)


class Team:
    """A leader and sellers, set up through /pepptalk commands."""

    def __init__(self, store: Store, chat: FakeChat, clock: FakeClock) -> None:
        self.store, self.chat, self.clock = store, chat, clock

    async def say(self, user_id: str, text: str) -> str:
        reply = await run_command(
            store=self.store, chat=self.chat, actor=actor(user_id), text=text, now=self.clock()
        )
        return words(reply)

    async def reply(self, user_id: str, text: str) -> Reply:
        return await run_command(
            store=self.store, chat=self.chat, actor=actor(user_id), text=text, now=self.clock()
        )

    async def create(
        self, sellers: dict[str, str | None], *, leader: str = "ULEAD", name: str = "Oslo"
    ) -> None:
        """A team led by `leader` with sellers {user_id: timezone}."""
        self.chat.add_user(leader, "Kari Nordmann", "Europe/Oslo")
        for user_id, tz in sellers.items():
            self.chat.add_user(user_id, f"Seller {user_id}", tz)
        assert "is ready" in await self.say(leader, f"team create {name}")
        if sellers:
            mentions = " ".join(f"<@{u}>" for u in sellers)
            assert "Added" in await self.say(leader, f"team add {mentions}")


def paragraph_texts(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Paragraph)]
