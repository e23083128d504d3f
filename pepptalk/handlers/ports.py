"""What the habits need from the outside world, as small protocols the runtime implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pepptalk.handlers.messages import Message


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user in a workspace on a platform."""

    workspace_id: str
    user_id: str
    platform: str


@dataclass(frozen=True)
class UserProfile:
    """What the platform's directory knows about a person."""

    user_id: str
    name: str
    timezone: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class SentMessage:
    """Where a sent message landed, so it can be updated later."""

    channel: str
    ref: str


class RateLimitedError(Exception):
    """The platform asked us to slow down for `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after}s")
        self.retry_after = retry_after


class DeliveryError(Exception):
    """A send failed. `permanent` failures (user gone, bot removed) are not retried."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Chat(Protocol):
    """A chat platform as the habits see it."""

    async def send_direct(
        self, *, platform: str, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Send a direct message to one person."""
        ...

    async def find_user(
        self, *, platform: str, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """Look a person up; None when the platform does not know them."""
        ...

    async def send_channel(
        self, *, platform: str, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post a message in a team channel."""
        ...


class PlatformChats:
    """One Chat per platform, behind the one Chat the habits use."""

    def __init__(self, chats: dict[str, Chat]) -> None:
        self.chats = chats

    async def send_direct(
        self, *, platform: str, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Send through the person's platform; one not configured (yet) is retried later."""
        chat = self.chats.get(platform)
        if chat is None:
            raise DeliveryError(f"{platform} is not configured", permanent=False)
        return await chat.send_direct(
            platform=platform, workspace_id=workspace_id, user_id=user_id, message=message
        )

    async def send_channel(
        self, *, platform: str, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post in a channel on the team's platform."""
        chat = self.chats.get(platform)
        if chat is None:
            raise DeliveryError(f"{platform} is not configured", permanent=False)
        return await chat.send_channel(
            platform=platform, workspace_id=workspace_id, channel_id=channel_id, message=message
        )

    async def find_user(
        self, *, platform: str, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """Look up on the person's platform; nobody is known on one that is not configured."""
        chat = self.chats.get(platform)
        if chat is None:
            return None
        return await chat.find_user(platform=platform, workspace_id=workspace_id, user_id=user_id)
