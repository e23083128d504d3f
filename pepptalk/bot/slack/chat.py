"""The Slack Web API as the habits' Chat: direct messages and the user directory."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from pepptalk.bot.slack.clients import WorkspaceClients
from pepptalk.bot.slack.render import render_blocks, render_message
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Attachment, Message, Picture
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
        "invalid_arguments",
    }
)
# A workspace that will not take a file from the app: an install from before it asked for
# files:write, uploads turned off or limited by an admin. Retrying cannot change that, so the
# message goes without the image, its words standing in (as everywhere Block Kit is used).
UPLOAD_REFUSED = frozenset(
    {
        "missing_scope",
        "file_uploads_disabled",
        "file_upload_size_restricted",
        "file_type_not_allowed",
    }
)
# Why a message for a workspace Pepptalk is not (or no longer) installed in ends unsent.
NOT_INSTALLED = "not_installed"
MAX_ALT_TEXT = 1000
MAX_FILE_TITLE = 250


def _retry_after(error: SlackApiError) -> float | None:
    """The seconds Slack said to wait (it always says, with every 429); None when the answer
    came without a readable Retry-After (a proxy's 429, say): the sender then backs off on its
    own, and gives up for a while when that goes on."""
    headers = error.response.headers
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


class SlackChat:
    """Sends and looks up through the bot token of the workspace each message is for."""

    def __init__(self, clients: WorkspaceClients) -> None:
        self.clients = clients

    async def _client(self, workspace_id: str) -> AsyncWebClient:
        """The workspace's client; a workspace Pepptalk is not installed in gets nothing more."""
        try:
            client = await self.clients.client_for(workspace_id)
        except SlackTokenRotationError as error:
            reason = str(error.api_error.response.get("error", "token_rotation_failed"))
            raise DeliveryError(f"token rotation: {reason}", permanent=False) from None
        if client is None:
            raise DeliveryError(NOT_INSTALLED, permanent=True)
        return client

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Post a DM (posting to a user id lands in the app's Messages tab with them); a message
        with a picture or a file uploads it, shared in the DM as one message with the other
        blocks."""
        client = await self._client(workspace_id)
        files = [
            (i, b) for i, b in enumerate(message.blocks) if isinstance(b, Picture | Attachment)
        ]
        if not files:
            return await self._post(client, user_id, message)
        at, block = files[0]
        return await self._post_with_file(client, user_id, message, _upload_of(block), at)

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post in a channel (the app must be in it: /invite @Pepptalk)."""
        return await self._post(await self._client(workspace_id), channel_id, message)

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
        client = await self._client(workspace_id)
        await self._call(
            client.chat_update(channel=sent.channel, ts=sent.ref, **render_message(message))
        )

    async def _post(self, client: AsyncWebClient, channel: str, message: Message) -> SentMessage:
        response = await self._call(
            client.chat_postMessage(channel=channel, **render_message(message))
        )
        return SentMessage(channel=str(response["channel"]), ref=str(response["ts"]))

    async def _post_with_file(
        self, client: AsyncWebClient, user_id: str, message: Message, file: Upload, at: int
    ) -> SentMessage:
        """Upload the file (block `at`) and share it in the person's DM with the message's
        other blocks (further files stay words). Every step raises on failure, so the outbox
        tries the whole message again: a retry uploads afresh, and the earlier file, never
        shared, stays private; the message becomes visible only at the last step, once."""
        # completeUploadExternal shares only into a conversation id (C, G, D or Z), never a U id.
        opened = await self._call(client.conversations_open(users=user_id))
        channel = str(opened["channel"]["id"])
        rest = Message(message.summary, message.blocks[:at] + message.blocks[at + 1 :])
        try:
            ticket = await self._call(
                client.files_getUploadURLExternal(
                    filename=file.name,
                    length=len(file.data),
                    alt_txt=file.alt[:MAX_ALT_TEXT] or None,
                )
            )
            await self._upload(client, str(ticket["upload_url"]), file.data)
            shared: dict[str, Any] = {
                "files": json.dumps([{"id": ticket["file_id"], "title": file.title}]),
                "channel_id": channel,
            }
            blocks = render_blocks(rest)
            if blocks:
                # Not initial_comment: Slack drops the blocks when both are given.
                shared["blocks"] = json.dumps(blocks)
            # In the body, not the query string the SDK's method would use: blocks can be long.
            done = await self._call(client.api_call("files.completeUploadExternal", data=shared))
        except DeliveryError as error:
            # A file is the whole point of its message (an export); a picture has its words.
            if error.reason not in UPLOAD_REFUSED or not file.words_will_do:
                raise
            log.warning("Slack refused the upload (%s); sending the words instead", error.reason)
            return await self._post(client, channel, message)
        return SentMessage(channel=channel, ref=_share_ts(done, channel) or str(ticket["file_id"]))

    async def _upload(self, client: AsyncWebClient, url: str, data: bytes) -> None:
        """POST the bytes to the upload URL Slack gave; it takes them raw, with no token."""
        timeout = aiohttp.ClientTimeout(total=client.timeout)
        ssl = client.ssl if client.ssl is not None else True
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, data=data, proxy=client.proxy, ssl=ssl) as response,
            ):
                if response.status != 200:
                    said = (await response.text())[:100]
                    raise DeliveryError(f"upload: HTTP {response.status} {said}", permanent=False)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"upload: {error!r}"[:200], permanent=False) from error

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
        """A person's name and time zone from users.info; None when Slack does not know them (or
        Pepptalk is not installed in their workspace)."""
        try:
            client = await self._client(workspace_id)
        except DeliveryError:
            return None
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "invalid_arguments"):
                return None
            raise
        return profile_of(response["user"])


@dataclass(frozen=True)
class Upload:
    """What goes up to Slack as a file: a picture (whose words may stand in for it when Slack
    refuses the upload) or a file made for the reader (which nothing can stand in for)."""

    name: str
    data: bytes
    title: str
    alt: str = ""
    words_will_do: bool = False


def _upload_of(block: Picture | Attachment) -> Upload:
    if isinstance(block, Attachment):
        return Upload(name=block.name, data=block.data, title=_cut(block.title) or block.name)
    return Upload(
        name=block.name, data=block.png, title=_title(block), alt=block.alt, words_will_do=True
    )


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_FILE_TITLE else text[: MAX_FILE_TITLE - 1] + "…"


def _title(picture: Picture) -> str:
    """The file's title, shown above the image: the picture's own title, else what it shows,
    else its file name."""
    return _cut(picture.title or picture.alt) or picture.name


def _share_ts(response: AsyncSlackResponse, channel: str) -> str | None:
    """The ts of the message that shared the file in `channel`, when Slack says it already
    (it usually shares after answering; the file id then names what was sent)."""
    for file in response.get("files") or []:
        shares = (file.get("shares") or {}) if isinstance(file, dict) else {}
        for scope in ("private", "public"):
            found = (shares.get(scope) or {}).get(channel) or []
            if found and isinstance(found[0], dict) and found[0].get("ts"):
                return str(found[0]["ts"])
    return None


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
