"""Submitted modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.slack.render import form_metadata, form_values
from pepptalk.bot.slack.replies import after_ack, send_reply, services_of, slack_actor
from pepptalk.core.ports import Submission


async def handle_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    """A Pepptalk modal sent: keep it open with errors, or close it and show the result."""
    form_context, response_url = form_metadata(view)
    submission = Submission(
        action=str(view.get("callback_id", "")), context=form_context, values=form_values(view)
    )
    # The ack has to wait for the handler: only the ack can keep the modal open with errors.
    reply = await services_of(context).habits.submit(slack_actor(body), submission)
    if reply.form_errors:
        await ack(response_action="errors", errors=reply.form_errors)
        return
    await ack()
    after_ack(context).spawn(
        send_reply(reply, context=context, client=client, response_url=response_url)
    )


def register(app: AsyncApp, forms: frozenset[str]) -> None:
    """Listen for Pepptalk's forms."""
    for action in sorted(forms):
        app.view(action)(handle_submission)
