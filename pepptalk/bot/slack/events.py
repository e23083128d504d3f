"""Slack events: profile changes, the App Home, and words written to Pepptalk in its DM."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.slack.chat import profile_of
from pepptalk.bot.slack.render import render_home, render_message
from pepptalk.bot.slack.replies import services_of, slack_actor


async def handle_user_change(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """People move and rename themselves; check-ins follow their own clock."""
    user = event.get("user")
    profile = profile_of(user) if isinstance(user, dict) else None
    if profile is not None:
        await services_of(context).habits.update_profile(str(body.get("team_id", "")), profile)


async def handle_home_opened(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The App Home tab: the person's own view."""
    if event.get("tab") != "home":
        return
    actor = slack_actor(body, user_id=event.get("user"))
    message = await services_of(context).habits.home(actor)
    await client.views_publish(user_id=actor.user_id, view=render_home(message))


async def handle_direct_message(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """What a person writes to Pepptalk in its DM: a command, or today's note."""
    # Only their own words: no edits, joins or bot echoes.
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    actor = slack_actor(body, user_id=event.get("user"))
    reply = await services_of(context).habits.direct_message(actor, str(event.get("text") or ""))
    if reply.message is not None:
        await client.chat_postMessage(
            channel=str(event.get("channel")), **render_message(reply.message)
        )


def register(app: AsyncApp) -> None:
    """Listen for the events in manifest.yml."""
    app.event("user_change")(handle_user_change)
    app.event("app_home_opened")(handle_home_opened)
    app.event("message")(handle_direct_message)
