"""What the habits need from the outside world, as small protocols the runtime implements."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Message

FormValues = dict[str, str | bool]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user in a workspace on a platform."""

    workspace_id: str
    user_id: str
    platform: Platform


@dataclass(frozen=True)
class Press:
    """A button pressed: the action it names, its row (`group`) and the value it carries."""

    action: str
    group: str
    value: str


@dataclass(frozen=True)
class Submission:
    """A form sent back: the form's action, the context it was opened with, and its values."""

    action: str
    context: str
    values: FormValues


@dataclass(frozen=True)
class UserProfile:
    """What the platform's directory knows about a person."""

    user_id: str
    name: str
    timezone: str | None = None
    is_bot: bool = False
    # From the directory when the app may read it (Slack: users:read.email), for CRM exports.
    email: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """Where a sent message landed, so it can be updated later."""

    channel: str
    ref: str


class RateLimitedError(Exception):
    """The platform asked us to slow down: for `retry_after` seconds when it said how long (None:
    back off as we see fit), for what `scope` names (None: the whole workspace or tenant).

    A scope names what the send was addressed to, so the sender can hold back other sends there
    before they fail too: `direct_scope(user_id)` for a direct message, `channel_scope(...)` for
    a channel post.
    """

    def __init__(self, retry_after: float | None = None, *, scope: str | None = None) -> None:
        wait = "a while" if retry_after is None else f"{retry_after}s"
        super().__init__(f"rate limited for {wait}" + (f" ({scope})" if scope else ""))
        self.retry_after = retry_after
        self.scope = scope

    @staticmethod
    def direct_scope(user_id: str) -> str:
        """The scope of one person's direct messages."""
        return f"user:{user_id}"

    @staticmethod
    def channel_scope(channel_id: str) -> str:
        """The scope of one channel's posts."""
        return f"channel:{channel_id}"


# While the outbox sender sends a delivery: a key that stays the same on every try of it, in any
# drain, so a platform that drops a repeated message by its id can be given one. The Chat port
# stays as it is; a Chat that can use the key reads it here.
SENDING_KEY: ContextVar[str | None] = ContextVar("pepptalk_sending_key", default=None)


class DeliveryError(Exception):
    """A send failed. `permanent` failures (user gone, bot removed) are not retried."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Chat(Protocol):
    """A chat platform as the habits see it."""

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Send a direct message to one person."""
        ...

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """Look a person up; None when the platform does not know them."""
        ...

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post a message in a team channel."""
        ...

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        """Change a direct message sent earlier (where `send_direct` said it landed)."""
        ...
