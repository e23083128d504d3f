"""The Bolt app: Slack's signing, retries and routing around Pepptalk's listeners."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack import actions, commands, events, views
from pepptalk.bot.slack.after_ack import AfterAck
from pepptalk.bot.slack.replies import AFTER_ACK, SERVICES, services_of

log = logging.getLogger(__name__)


class _TokenFromClient(logging.Filter):
    """Bolt warns SLACK_BOT_TOKEN is unused when a client is given; it is the client's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_TokenFromClient())


async def skip_retried_events(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    """Slack retries an event it thinks we missed: handle each event id once."""
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str):
        services = services_of(context)
        async with services.database.uow() as uow:
            fresh = await uow.events.remember(
                event_id=event_id, workspace_id=str(body.get("team_id", "")), now=services.clock()
            )
        if not fresh:
            log.info("event %s already handled; acknowledging the retry", event_id)
            return BoltResponse(status=200, body="")
    await next()
    return None


def create_bolt_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    services: Services,
    after_ack: AfterAck,
) -> AsyncApp:
    """A Bolt AsyncApp with every Pepptalk listener registered (no secret: Socket Mode only)."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        # Listeners run before the answer goes back, so a quick answer rides in the ack; what
        # must wait for the ack is spawned on AfterAck (Bolt would poll for the ack otherwise).
        process_before_response=True,
    )

    async def attach_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        # Listeners are plain module functions; they find Pepptalk's parts in the context.
        context[SERVICES], context[AFTER_ACK] = services, after_ack
        await next()

    app.middleware(attach_services)
    app.middleware(skip_retried_events)
    commands.register(app)
    actions.register(app, frozenset(services.registry.buttons))
    views.register(app, frozenset(services.registry.forms))
    events.register(app)
    return app
