"""Turning a handler's Reply into what Slack expects: a response_url post, a modal, an update."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.guard import guarded
from pepptalk.bot.slack.render import render_form, render_message
from pepptalk.handlers.messages import Reply
from pepptalk.handlers.ports import Actor

log = logging.getLogger(__name__)


class ResponsePoster:
    """Posts replies to Slack's response_urls over one shared HTTP session.

    Bolt's respond() opens a session per reply; under load that work competes with the acks.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: dict[str, Any]) -> None:
        """POST one reply; Slack's answer is logged when it refuses."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(url, json=body) as response:
                if response.status >= 400:
                    log.warning("response_url refused a reply: %d", response.status)
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("response_url unreachable: %r", error)

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()


async def send_reply(
    reply: Reply,
    *,
    poster: ResponsePoster,
    client: AsyncWebClient,
    response_url: str | None,
    trigger_id: str | None = None,
) -> None:
    """Show a reply to the person who acted: open its form, or answer privately or in place."""
    if reply.form is not None and trigger_id:
        await client.views_open(
            trigger_id=trigger_id, view=render_form(reply.form, response_url=response_url)
        )
        return
    if reply.message is None or not response_url:
        return
    body = render_message(reply.message)
    if reply.replace:
        await poster.post(response_url, {"replace_original": True, **body})
    else:
        await poster.post(
            response_url, {"response_type": "ephemeral", "replace_original": False, **body}
        )


async def answer(
    work: Callable[[], Awaitable[Reply]],
    *,
    what: str,
    body: dict[str, Any],
    poster: ResponsePoster,
    client: AsyncWebClient,
) -> None:
    """Run a handler for an interactive payload and show its reply to the person who acted."""
    reply = await guarded(work, what=what)
    await send_reply(
        reply,
        poster=poster,
        client=client,
        response_url=body.get("response_url"),
        trigger_id=body.get("trigger_id"),
    )


def slack_actor(body: dict[str, Any], *, user_id: object = None) -> Actor:
    """The person acting, from any Slack payload: a slash command, an interaction or an event."""
    raw_user, raw_team = body.get("user"), body.get("team")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    team: dict[str, Any] = raw_team if isinstance(raw_team, dict) else {}
    return Actor(
        workspace_id=str(team.get("id") or body.get("team_id") or user.get("team_id") or ""),
        user_id=str(user_id or user.get("id") or body.get("user_id") or ""),
        platform="slack",
    )
