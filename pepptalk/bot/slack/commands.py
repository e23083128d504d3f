"""The /pepptalk slash command."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.slack.replies import acked, after_ack, answer, services_of, slack_actor

# Slack waits three seconds for the ack: an answer ready well within that goes in the ack itself
# (no second request); a slower one is acked empty and posted to the response_url when ready.
ANSWER_IN_ACK_WITHIN = 2.0


async def handle_command(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """/pepptalk ...: answered in the ack when the answer is quick, else at the response_url."""
    habits = services_of(context).habits
    working = asyncio.ensure_future(habits.command(slack_actor(body), str(body.get("text") or "")))
    done, _ = await asyncio.wait({working}, timeout=ANSWER_IN_ACK_WITHIN)
    if done:
        whole = acked(working.result())
        if whole is not None:
            await ack(whole)
            return
    await ack()

    async def answer_when_ready() -> None:
        await answer(await working, body=body, context=context, client=client)

    after_ack(context).spawn(answer_when_ready())


def register(app: AsyncApp) -> None:
    """Listen for /pepptalk."""
    app.command("/pepptalk")(handle_command)
