"""Slack events: profile changes and the App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.chat import profile_of
from pepptalk.bot.slack.render import render_home
from pepptalk.handlers.team import help_message


def register(app: AsyncApp, services: Services) -> None:
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
        message = help_message(seat=seat).message
        if message is not None:
            await client.views_publish(user_id=user_id, view=render_home(message))

    app.event("user_change")(handle_user_change)
    app.event("app_home_opened")(handle_home_opened)
    # Pepptalk does not read channel messages; acknowledging them keeps Slack from retrying.
    app.event("message")(_ignore)


async def _ignore() -> None:
    return None
