"""Turning a handler's Reply into what Slack expects: a response_url post, a modal, an update."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from pepptalk.bot.slack.render import render_form, render_message
from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.messages import Reply, text_reply
from pepptalk.handlers.ports import Actor

log = logging.getLogger(__name__)


async def send_reply(
    reply: Reply,
    *,
    respond: AsyncRespond | None,
    client: AsyncWebClient,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> None:
    """Show a reply to the person who acted: open its form, or answer privately or in place."""
    if reply.form is not None and trigger_id:
        await client.views_open(
            trigger_id=trigger_id, view=render_form(reply.form, response_url=response_url)
        )
        return
    if reply.message is None:
        return
    body = render_message(reply.message)
    if respond is not None:
        if reply.replace:
            await respond(replace_original=True, **body)
        else:
            await respond(response_type="ephemeral", replace_original=False, **body)
    elif response_url:
        await AsyncWebhookClient(response_url).send(
            replace_original=reply.replace, response_type="ephemeral", **body
        )


async def guarded(
    work: Callable[[], Awaitable[Reply]], *, language: str = "en", what: str
) -> Reply:
    """Run a handler; if it breaks, log it and give the user a calm word instead of silence."""
    try:
        return await work()
    except Exception:
        log.exception("handling %s failed", what)
        return text_reply(copy_for(language)("errors.something_wrong"))


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
