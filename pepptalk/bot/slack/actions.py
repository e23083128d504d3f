"""Button presses in Pepptalk's messages."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.render import action_name
from pepptalk.bot.slack.replies import ResponsePoster, answer, slack_actor
from pepptalk.handlers.actions import BUTTON_ACTIONS, press_button

_OURS = re.compile(r"^(" + "|".join(sorted(BUTTON_ACTIONS)) + r")(#\d+)?$")


def register(app: AsyncApp, services: Services, poster: ResponsePoster) -> None:
    """Listen for Pepptalk's buttons."""

    async def handle_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        await answer(
            lambda: press_button(
                store=services.store,
                chat=services.chat,
                actor=slack_actor(body),
                action=action_name(str(action.get("action_id", ""))),
                group=str(action.get("block_id", "")),
                value=str(action.get("value", "")),
                now=services.clock(),
            ),
            what="a button",
            body=body,
            poster=poster,
            client=client,
        )

    app.action(_OURS)(handle_button)
