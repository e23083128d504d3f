"""The Bolt app: Slack's signing, retries and routing around Pepptalk's listeners."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack import actions, commands, events, views
from pepptalk.bot.slack.after_ack import AfterAck
from pepptalk.bot.slack.clients import SlackInstalls
from pepptalk.bot.slack.oauth import PepptalkOAuthFlow
from pepptalk.bot.slack.replies import AFTER_ACK, INSTALLS, SERVICES, services_of, slack_actor
from pepptalk.core.i18n import copy_for

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
                event_id=event_id, workspace_id=str(body.get("team_id") or ""), now=services.clock()
            )
        if not fresh:
            log.info("event %s already handled; acknowledging the retry", event_id)
            return BoltResponse(status=200, body="")
    await next()
    return None


async def note_grid_workspaces(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
) -> None:
    """A request from a workspace of an Enterprise Grid organisation: remember which
    organisation it belongs to, so the messages queued for its people later find the
    organisation's token. (Not from a channel shared with another company: the workspace
    named there may be theirs.)"""
    workspace_id = slack_actor(body).workspace_id
    if context.enterprise_id and workspace_id and body.get("is_ext_shared_channel") is not True:
        installs: SlackInstalls = context[INSTALLS]
        await installs.note(context.enterprise_id, [workspace_id], now=services_of(context).clock())
    await next()


def create_bolt_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    services: Services,
    after_ack: AfterAck,
    installs: SlackInstalls,
    oauth: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """A Bolt AsyncApp with every Pepptalk listener registered (no secret: Socket Mode only);
    with `oauth`, one for many workspaces, each request authorised by its workspace's install."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        oauth_flow=None if oauth is None else PepptalkOAuthFlow(client=client, settings=oauth),
        # A workspace that is not installed hears why (Bolt answers it; the team's language is
        # unknown there, so it is said in English).
        user_facing_authorize_error_message=copy_for("en")("install.not_installed"),
        # Listeners run before the answer goes back, so a quick answer rides in the ack; what
        # must wait for the ack is spawned on AfterAck (Bolt would poll for the ack otherwise).
        process_before_response=True,
    )

    async def attach_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        # Listeners are plain module functions; they find Pepptalk's parts in the context.
        context[SERVICES], context[AFTER_ACK], context[INSTALLS] = services, after_ack, installs
        await next()

    app.middleware(attach_services)
    app.middleware(skip_retried_events)
    app.middleware(note_grid_workspaces)
    commands.register(app)
    actions.register(app, frozenset(services.registry.buttons))
    views.register(app, frozenset(services.registry.forms))
    events.register(app)
    return app
