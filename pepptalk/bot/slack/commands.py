"""The /pepptalk slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.replies import guarded, send_reply, slack_actor
from pepptalk.handlers.commands import run_command


def register(app: AsyncApp, services: Services) -> None:
    """Listen for /pepptalk."""

    async def handle_command(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        # Ack at once: Slack gives us three seconds, and the answer goes to the response_url.
        await ack()
        actor = slack_actor(body)
        reply = await guarded(
            lambda: run_command(
                store=services.store,
                chat=services.chat,
                actor=actor,
                text=str(body.get("text") or ""),
                now=services.clock(),
            ),
            what="/pepptalk",
        )
        await send_reply(reply, respond=respond, client=client, trigger_id=body.get("trigger_id"))

    app.command("/pepptalk")(handle_command)
