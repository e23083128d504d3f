"""The Slack Web API as the habits' Chat: direct messages and the user directory."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from pepptalk.bot.slack.render import render_message
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Message
from pepptalk.core.ports import DeliveryError, RateLimitedError, SentMessage, UserProfile

log = logging.getLogger(__name__)

# Errors that will not go away by trying again: the person or the install is gone or misconfigured.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "messages_tab_disabled",
        "msg_too_long",
        "not_authed",
        "not_in_channel",
        "token_revoked",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "no_text",
    }
)


def _retry_after(error: SlackApiError) -> float:
    try:
        return max(float(error.response.headers.get("Retry-After", "1")), 0.0)
    except (TypeError, ValueError):
        return 1.0


class SlackChat:
    """Sends and looks up through one workspace's bot token."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Post a DM (posting to a user id lands in the app's Messages tab with them)."""
        return await self._post(user_id, message)

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post in a channel (the app must be in it: /invite @Pepptalk)."""
        return await self._post(channel_id, message)

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        """Change a message sent earlier, in place (chat.update on its channel and ts)."""
        await self._call(
            self.client.chat_update(channel=sent.channel, ts=sent.ref, **render_message(message))
        )

    async def _post(self, channel: str, message: Message) -> SentMessage:
        response = await self._call(
            self.client.chat_postMessage(channel=channel, **render_message(message))
        )
        return SentMessage(channel=str(response["channel"]), ref=str(response["ts"]))

    async def _call(self, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        """One Web API call, its failures read as the outbox understands them."""
        try:
            return await call
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise RateLimitedError(_retry_after(error)) from error
            code = str(error.response.get("error", "unknown_error"))
            raise DeliveryError(code, permanent=code in PERMANENT_ERRORS) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"network: {error!r}"[:200], permanent=False) from error

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """A person's name and time zone from users.info; None when Slack does not know them."""
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "invalid_arguments"):
                return None
            raise
        return profile_of(response["user"])


def profile_of(user: dict[str, object]) -> UserProfile | None:
    """A UserProfile from a Slack user object (as in users.info or a user_change event)."""
    if user.get("deleted"):
        return None
    raw_profile = user.get("profile")
    profile: dict[str, object] = raw_profile if isinstance(raw_profile, dict) else {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user.get("id")
    )
    tz = user.get("tz")
    email = profile.get("email")
    return UserProfile(
        user_id=str(user.get("id")),
        name=str(name)[:120],
        timezone=tz if isinstance(tz, str) else None,
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        email=email[:254] if isinstance(email, str) and "@" in email else None,
    )
