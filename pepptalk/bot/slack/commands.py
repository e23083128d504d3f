"""The /pepptalk slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.slack.replies import answer, services_of, slack_actor


async def handle_command(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """/pepptalk ...: ack at once (Slack gives three seconds), answer at the response_url."""
    await ack()
    habits = services_of(context).habits
    reply = await habits.command(slack_actor(body), str(body.get("text") or ""))
    await answer(reply, body=body, context=context, client=client)


def register(app: AsyncApp) -> None:
    """Listen for /pepptalk."""
    app.command("/pepptalk")(handle_command)
