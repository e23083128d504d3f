"""Slack events: profile changes and the App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.guard import guarded
from pepptalk.bot.services import Services
from pepptalk.bot.slack.chat import profile_of
from pepptalk.bot.slack.render import render_home, render_message
from pepptalk.bot.slack.replies import ResponsePoster, slack_actor
from pepptalk.handlers.commands import answer_direct_message
from pepptalk.handlers.home import home_view


def register(app: AsyncApp, services: Services, poster: ResponsePoster) -> None:
    """Listen for the events in manifest.yml."""

    async def handle_user_change(event: dict[str, Any], body: dict[str, Any]) -> None:
        # People move and rename themselves; check-ins follow their own clock.
        user = event.get("user")
        profile = profile_of(user) if isinstance(user, dict) else None
        if profile is None:
            return
        await services.store.update_profile(
            workspace_id=str(body.get("team_id", "")),
            user_id=profile.user_id,
            name=profile.name,
            timezone=profile.timezone,
        )

    async def handle_home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home":
            return
        user_id = str(event.get("user", ""))
        seat = await services.store.membership(str(body.get("team_id", "")), user_id)
        message = await home_view(store=services.store, seat=seat, now=services.clock())
        await client.views_publish(user_id=user_id, view=render_home(message))

    async def handle_direct_message(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        # Only what a person writes to Pepptalk in its DM: no edits, joins or bot echoes.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        actor = slack_actor(body, user_id=event.get("user"))
        reply = await guarded(
            lambda: answer_direct_message(
                store=services.store,
                chat=services.chat,
                actor=actor,
                text=str(event.get("text") or ""),
                now=services.clock(),
            ),
            what="a direct message",
        )
        if reply.message is not None:
            await client.chat_postMessage(
                channel=str(event.get("channel")), **render_message(reply.message)
            )

    app.event("user_change")(handle_user_change)
    app.event("app_home_opened")(handle_home_opened)
    app.event("message")(handle_direct_message)
