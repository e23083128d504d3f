"""The /pepptalk slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.replies import ResponsePoster, answer, slack_actor
from pepptalk.handlers.commands import run_command


def register(app: AsyncApp, services: Services, poster: ResponsePoster) -> None:
    """Listen for /pepptalk."""

    async def handle_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        # Ack at once: Slack gives us three seconds, and the answer goes to the response_url.
        await ack()
        await answer(
            lambda: run_command(
                store=services.store,
                chat=services.chat,
                actor=slack_actor(body),
                text=str(body.get("text") or ""),
                now=services.clock(),
            ),
            what="/pepptalk",
            body=body,
            poster=poster,
            client=client,
        )

    app.command("/pepptalk")(handle_command)
