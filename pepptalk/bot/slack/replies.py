"""Turning a handler's Reply into what Slack expects: a response_url post, a modal, an update;
and reading who acts from any Slack payload."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.after_ack import AfterAck
from pepptalk.bot.slack.render import render_form, render_message
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Reply
from pepptalk.core.ports import Actor

log = logging.getLogger(__name__)
# Where the app keeps its parts in Bolt's per-request context (set by a middleware in app.py).
SERVICES = "pepptalk_services"
AFTER_ACK = "pepptalk_after_ack"
INSTALLS = "pepptalk_installs"


def after_ack(context: AsyncBoltContext) -> AfterAck:
    """Where a listener's work after the ack runs, from its context."""
    later: AfterAck = context[AFTER_ACK]
    return later


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
    later = after_ack(context)
    body = render_message(reply.message)
    if reply.replace:
        await later.post(response_url, {"replace_original": True, **body})
    else:
        await later.post(
            response_url, {"response_type": "ephemeral", "replace_original": False, **body}
        )


def acked(reply: Reply) -> dict[str, Any] | None:
    """The reply as a slash command's ack body (seen only by the person who typed it), or None
    when there is nothing for it to carry (a form opens after the ack)."""
    if reply.form is not None or reply.message is None:
        return None
    return {"response_type": "ephemeral", **render_message(reply.message)}


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
    """The person acting, from any Slack payload: a slash command, an interaction or an event.
    The workspace is always a workspace's own team id, also in an Enterprise Grid organisation
    (whose interactions may come with no `team`: the view's or the person's then names it)."""
    raw_user, raw_team, raw_view = body.get("user"), body.get("team"), body.get("view")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    team: dict[str, Any] = raw_team if isinstance(raw_team, dict) else {}
    view: dict[str, Any] = raw_view if isinstance(raw_view, dict) else {}
    workspace = (
        team.get("id") or body.get("team_id") or view.get("team_id") or user.get("team_id") or ""
    )
    return Actor(
        workspace_id=str(workspace),
        user_id=str(user_id or user.get("id") or body.get("user_id") or ""),
        platform=Platform.SLACK,
    )
