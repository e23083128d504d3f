"""A Chat that records what the habits send, with a directory tests fill in."""

from __future__ import annotations

from dataclasses import dataclass, field

from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Message, plain
from pepptalk.core.ports import DeliveryError, RateLimitedError, SentMessage, UserProfile


@dataclass
class Sent:
    """One recorded direct message."""

    workspace_id: str
    user_id: str
    message: Message

    def text(self) -> str:
        """Every word in the message, for asserting on content."""
        parts = [self.message.summary]
        for block in self.message.blocks:
            if hasattr(block, "text"):
                parts.append(plain(block.text, prefix="/pepptalk "))
            if hasattr(block, "pairs"):
                parts.extend(f"{label}: {value}" for label, value in block.pairs)
            if hasattr(block, "buttons"):
                parts.extend(button.label for button in block.buttons)
        return "\n".join(parts)


@dataclass
class FakeChat:
    """Records sends; `fail_next` queues exceptions to raise on the next sends, in order."""

    users: dict[str, UserProfile] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    channel_posts: list[Sent] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)
    updates: list[tuple[SentMessage, Sent]] = field(default_factory=list)
    attempts: int = 0

    def add_user(
        self, user_id: str, name: str, timezone: str | None = None, *, is_bot: bool = False
    ) -> UserProfile:
        profile = UserProfile(user_id=user_id, name=name, timezone=timezone, is_bot=is_bot)
        self.users[user_id] = profile
        return profile

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        self.attempts += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.sent.append(Sent(workspace_id, user_id, message))
        return SentMessage(channel=f"D{user_id}", ref=f"{len(self.sent)}.000")

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        self.attempts += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.channel_posts.append(Sent(workspace_id, channel_id, message))
        return SentMessage(channel=channel_id, ref=f"c{len(self.channel_posts)}")

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        self.attempts += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.updates.append((sent, Sent(workspace_id, user_id, message)))

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        return self.users.get(user_id)

    def to(self, user_id: str) -> list[Sent]:
        """What was sent to one person."""
        return [s for s in self.sent if s.user_id == user_id]


__all__ = ["DeliveryError", "FakeChat", "RateLimitedError", "Sent"]
