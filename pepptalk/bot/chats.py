"""One Chat across platforms: each message goes out through its team's own platform."""

from __future__ import annotations

from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Message
from pepptalk.core.ports import Chat, DeliveryError, SentMessage, UserProfile


class PlatformChats:
    """One Chat per platform, behind the one Chat the habits use."""

    def __init__(self, chats: dict[Platform, Chat]) -> None:
        self.chats = chats

    def _chat(self, platform: Platform) -> Chat:
        chat = self.chats.get(platform)
        if chat is None:
            # Not configured (yet): the outbox keeps the message and tries again later.
            raise DeliveryError(f"{platform} is not configured", permanent=False)
        return chat

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Send through the person's platform."""
        return await self._chat(platform).send_direct(
            platform=platform, workspace_id=workspace_id, user_id=user_id, message=message
        )

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post in a channel on the team's platform."""
        return await self._chat(platform).send_channel(
            platform=platform, workspace_id=workspace_id, channel_id=channel_id, message=message
        )

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        """Change a direct message through its platform."""
        await self._chat(platform).update_direct(
            platform=platform,
            workspace_id=workspace_id,
            user_id=user_id,
            sent=sent,
            message=message,
        )

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """Look up on the person's platform; nobody is known on one that is not configured."""
        chat = self.chats.get(platform)
        if chat is None:
            return None
        return await chat.find_user(platform=platform, workspace_id=workspace_id, user_id=user_id)
