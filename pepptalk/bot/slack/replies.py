"""Turning a handler's Reply into what Slack expects: a response_url post, a modal, an update;
and reading who acts from any Slack payload."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.render import render_form, render_message
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Reply
from pepptalk.core.ports import Actor

log = logging.getLogger(__name__)
# Where the app keeps its parts in Bolt's per-request context (set by a middleware in app.py).
SERVICES = "pepptalk_services"
POSTER = "pepptalk_poster"
INSTALLS = "pepptalk_installs"


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


def services_of(context: AsyncBoltContext) -> Services:
    """Pepptalk's services, from a listener's context."""
    services: Services = context[SERVICES]
    return services


async def send_reply(
    reply: Reply,
    *,
    context: AsyncBoltContext,
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
    poster: ResponsePoster = context[POSTER]
    body = render_message(reply.message)
    if reply.replace:
        await poster.post(response_url, {"replace_original": True, **body})
    else:
        await poster.post(
            response_url, {"response_type": "ephemeral", "replace_original": False, **body}
        )


async def answer(
    reply: Reply, *, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Show the reply to an interactive payload to the person who acted."""
    await send_reply(
        reply,
        context=context,
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
        platform=Platform.SLACK,
    )
