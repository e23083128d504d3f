"""The playground's Chat: direct messages land in the inbox; the directory is the demo cast."""

from __future__ import annotations

from pepptalk.bot.playground.inbox import Inbox, channel_key
from pepptalk.bot.services import Clock
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Message
from pepptalk.core.ports import SentMessage, UserProfile


class PlaygroundChat:
    """Sends into the inbox and looks people up in the demo directory."""

    def __init__(self, inbox: Inbox, directory: dict[str, UserProfile], clock: Clock) -> None:
        self.inbox = inbox
        self.directory = directory
        self.clock = clock

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Put a message in the person's thread."""
        posted = await self.inbox.post(user_id, message, at=self.clock())
        return SentMessage(channel=f"dm-{user_id}", ref=str(posted.id))

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post in the team channel, which everyone in the playground can read."""
        posted = await self.inbox.post(channel_key(channel_id), message, at=self.clock())
        return SentMessage(channel=channel_id, ref=str(posted.id))

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        """Change a message in the person's thread, where it is."""
        if sent.ref.isdigit():
            await self.inbox.replace(user_id, int(sent.ref), message)

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """Someone from the demo cast."""
        return self.directory.get(user_id)
