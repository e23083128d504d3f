"""Teams as the habits' Chat: proactive messages from stored references, and the directory."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ResourceResponse,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from pepptalk.bot.services import Clock
from pepptalk.bot.teams.references import CHANNEL, MEMBER, USER, dump, load, remember_user
from pepptalk.bot.teams.references import stored as stored_reference
from pepptalk.bot.teams.render import render_card
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Message, Person, Rich
from pepptalk.core.ports import (
    SENDING_KEY,
    DeliveryError,
    RateLimitedError,
    SentMessage,
    UserProfile,
)
from pepptalk.store.database import Database

log = logging.getLogger(__name__)
# Teams asks bots to back off and retry on these; others will not get better by waiting.
RETRY_STATUSES = frozenset({412, 429, 502, 504})
Callback = Callable[[TurnContext], Awaitable[None]]
# The connector out of reach, or no token in time: worth another try later.
NETWORK_ERRORS = (TimeoutError, aiohttp.ClientError, OSError, ClientRequestError)
# In a channel, people address the bot by name; in the 1:1 chat they just type.
CHANNEL_PREFIX = "@Pepptalk "


def card_activity(
    message: Message, *, prefix: str = "", people: dict[str, str] | None = None
) -> Activity:
    """A message activity carrying the message as an Adaptive Card (`prefix`: how commands are
    typed where it lands; `people`: the Teams ids of those it mentions)."""
    card = render_card(message, prefix=prefix, people=people)
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = message.summary
    return activity


async def _post_as(
    turn_context: TurnContext, activity: Activity, activity_id: str
) -> ResourceResponse | None:
    """Post `activity` as `turn_context.send_activity` would, but under `activity_id`: the SDK
    clears any id a bot sets, and the same message tried again after a 502 or 504 (which Teams
    may have delivered all the same) must carry the same id for a connector that drops a
    repeated id to drop it."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if client is None:
        # No connector behind this turn (a test adapter): the SDK's own way, without the id.
        return await turn_context.send_activity(activity)
    reference = TurnContext.get_conversation_reference(turn_context.activity)
    activity = TurnContext.apply_conversation_reference(activity, reference)
    activity.id = activity_id
    activity.input_hint = activity.input_hint or "acceptingInput"
    conversation = activity.conversation.id
    if activity.reply_to_id:
        response = await client.conversations.reply_to_activity(
            conversation, activity.reply_to_id, activity
        )
    else:
        response = await client.conversations.send_to_conversation(conversation, activity)
    return response if isinstance(response, ResourceResponse) else None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date (None: not said)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _status(error: HttpOperationError) -> tuple[int, float | None]:
    response = error.response
    status = getattr(response, "status", None) or getattr(response, "status_code", 0)
    headers = getattr(response, "headers", {}) or {}
    return int(status or 0), _retry_after(headers.get("Retry-After"))


async def _connector_call(
    call: Awaitable[Any], failures: list[BaseException], *, scope: str
) -> None:
    """Run a proactive turn; what the connector answered, read as the outbox understands it.

    A failure inside the turn is collected in `failures` rather than raised there, since the
    adapter's turn-error handler would swallow it and the send would count as delivered.
    `scope` is the conversation the call went to: Teams limits and fails per conversation, so a
    retry status there holds back that conversation only.
    """
    try:
        await call
        if failures:
            raise failures[0]
    except HttpOperationError as error:
        status, wait = _status(error)
        if status in RETRY_STATUSES:
            raise RateLimitedError(wait, scope=scope) from error
        raise DeliveryError(f"teams: HTTP {status}", permanent=status in (401, 403, 404)) from error
    except NETWORK_ERRORS as error:
        raise DeliveryError(f"teams: network: {error!r}"[:200], permanent=False) from error


class TeamsChat:
    """Sends through the CloudAdapter to people we have a way to reach."""

    def __init__(
        self, adapter: CloudAdapter, database: Database, app_id: str, clock: Clock
    ) -> None:
        self.adapter, self.database, self.app_id, self.clock = adapter, database, app_id, clock

    async def _stored(self, workspace_id: str, scope: str, key: str) -> str | None:
        async with self.database.uow() as uow:
            return await stored_reference(
                uow.references, workspace=workspace_id, scope=scope, key=key
            )

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        """Post a card in the person's 1:1 chat with Pepptalk, starting one if need be."""
        stored = await self._stored(workspace_id, USER, user_id)
        scope = RateLimitedError.direct_scope(user_id)
        if stored:
            reference = load(stored)
            return await self._deliver(
                message,
                lambda post: self.adapter.continue_conversation(reference, post, self.app_id),
                scope=scope,
            )

        async def start(post: Callback) -> None:
            await self._start_conversation(workspace_id, user_id, post)

        # Once a 1:1 exists, keep it, so the next message goes straight there.
        return await self._deliver(message, start, scope=scope, remember=(workspace_id, user_id))

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        """Post a card in a team channel Pepptalk has been mentioned in."""
        stored = await self._stored(workspace_id, CHANNEL, channel_id)
        if not stored:
            raise DeliveryError(
                "Pepptalk has not been mentioned in that channel yet", permanent=True
            )
        reference = load(stored)
        return await self._deliver(
            message,
            lambda post: self.adapter.continue_conversation(reference, post, self.app_id),
            scope=RateLimitedError.channel_scope(channel_id),
            prefix=CHANNEL_PREFIX,
            people=await self._teams_ids(workspace_id, message),
        )

    async def _teams_ids(self, workspace_id: str, message: Message) -> dict[str, str]:
        """The Teams ids of the people a message names, as far as Pepptalk has seen them: a
        mention needs the Teams id, and people are known by their AAD id."""
        people: dict[str, str] = {}
        for block in message.blocks:
            text = getattr(block, "text", None)
            for part in text.parts if isinstance(text, Rich) else ():
                if isinstance(part, Person) and part.user_id not in people:
                    seen = await self._stored(workspace_id, MEMBER, part.user_id)
                    teams_id = json.loads(seen).get("teams_id") if seen else None
                    if teams_id:
                        people[part.user_id] = str(teams_id)
        return people

    async def _deliver(
        self,
        message: Message,
        run: Callable[[Callback], Awaitable[Any]],
        *,
        scope: str,
        remember: tuple[str, str] | None = None,
        prefix: str = "",
        people: dict[str, str] | None = None,
    ) -> SentMessage:
        sent: dict[str, str] = {}
        failures: list[BaseException] = []
        # Set while the outbox sends: the same on every try of this message.
        key = SENDING_KEY.get()

        async def post(turn_context: TurnContext) -> None:
            activity = card_activity(message, prefix=prefix, people=people)
            # The adapter's turn error handler would swallow a failed send; carry it out instead.
            try:
                if key:
                    response = await _post_as(turn_context, activity, key)
                else:
                    response = await turn_context.send_activity(activity)
            except (HttpOperationError, *NETWORK_ERRORS) as error:
                failures.append(error)
                return
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            sent["conversation"] = reference.conversation.id if reference.conversation else ""
            # Teams may accept with 202 and no body: accepted all the same (and sending it
            # again would show it twice), only it cannot be updated later.
            sent["id"] = response.id if response and response.id else ""
            if remember is not None:
                workspace_id, user_id = remember
                async with self.database.uow() as uow:
                    await remember_user(
                        uow.references, workspace_id, user_id, dump(reference), now=self.clock()
                    )

        await _connector_call(run(post), failures, scope=scope)
        if "id" not in sent:
            raise DeliveryError("teams: the message was not accepted", permanent=False)
        return SentMessage(channel=sent["conversation"], ref=sent["id"])

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        """Change a card sent earlier in the person's 1:1 chat, in place."""
        stored = await self._stored(workspace_id, USER, user_id)
        if not stored:
            raise DeliveryError("no way to reach this person in Teams yet", permanent=True)
        reference = load(stored)
        failures: list[BaseException] = []

        async def update(turn_context: TurnContext) -> None:
            activity = card_activity(message)
            activity.id = sent.ref
            try:
                await turn_context.update_activity(activity)
            except (HttpOperationError, *NETWORK_ERRORS) as error:
                failures.append(error)

        await _connector_call(
            self.adapter.continue_conversation(reference, update, self.app_id),
            failures,
            scope=RateLimitedError.direct_scope(user_id),
        )

    async def _start_conversation(self, workspace_id: str, user_id: str, post: Callback) -> None:
        member_text = await self._stored(workspace_id, MEMBER, user_id)
        if not member_text:
            raise DeliveryError("no way to reach this person in Teams yet", permanent=True)
        member = json.loads(member_text)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=f"28:{self.app_id}"),
            members=[ChannelAccount(id=member["teams_id"])],
            tenant_id=workspace_id,
            channel_data={"tenant": {"id": workspace_id}},
        )
        await self.adapter.create_conversation(
            self.app_id, post, parameters, channel_id="msteams", service_url=member["service_url"]
        )

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        """Someone Pepptalk has seen in this tenant (in a turn, or mentioned)."""
        member_text = await self._stored(workspace_id, MEMBER, user_id)
        if not member_text:
            return None
        member = json.loads(member_text)
        return UserProfile(user_id=user_id, name=str(member.get("name") or user_id)[:120])
