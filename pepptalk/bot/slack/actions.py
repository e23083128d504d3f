"""Button presses in Pepptalk's messages."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.slack.render import action_name
from pepptalk.bot.slack.replies import after_ack, answer, services_of, slack_actor
from pepptalk.core.ports import Press


async def handle_button(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """A button in one of Pepptalk's messages: ack, then answer in place or privately."""
    await ack()
    action = (body.get("actions") or [{}])[0]
    press = Press(
        action=action_name(str(action.get("action_id", ""))),
        group=str(action.get("block_id", "")),
        value=str(action.get("value", "")),
    )

    async def press_and_answer() -> None:
        reply = await services_of(context).habits.press(slack_actor(body), press)
        await answer(reply, body=body, context=context, client=client)

    # Slack shows a button's answer from the response_url, never from the ack.
    after_ack(context).spawn(press_and_answer())


def register(app: AsyncApp, actions: frozenset[str]) -> None:
    """Listen for Pepptalk's buttons (renderers suffix an action id with #n within a row)."""
    ours = re.compile(r"^(" + "|".join(sorted(map(re.escape, actions))) + r")(#\d+)?$")
    app.action(ours)(handle_button)
