"""Submitted modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.guard import guarded
from pepptalk.bot.services import Services
from pepptalk.bot.slack.render import form_metadata, form_values
from pepptalk.bot.slack.replies import ResponsePoster, send_reply, slack_actor
from pepptalk.handlers.actions import FORM_ACTIONS, submit_form


def register(app: AsyncApp, services: Services, poster: ResponsePoster) -> None:
    """Listen for Pepptalk's forms."""

    async def handle_submission(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        context, response_url = form_metadata(view)
        actor = slack_actor(body)
        # The ack has to wait for the handler: only the ack can keep the modal open with errors.
        reply = await guarded(
            lambda: submit_form(
                store=services.store,
                actor=actor,
                action=str(view.get("callback_id", "")),
                context=context,
                values=form_values(view),
                now=services.clock(),
            ),
            what="a form",
        )
        if reply.form_errors:
            await ack(response_action="errors", errors=reply.form_errors)
            return
        await ack()
        await send_reply(reply, poster=poster, client=client, response_url=response_url)

    for action in FORM_ACTIONS:
        app.view(action)(handle_submission)
