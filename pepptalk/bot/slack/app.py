"""The Bolt app: Slack's signing, retries and routing around Pepptalk's listeners."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack import actions, commands, events, views
from pepptalk.bot.slack.replies import ResponsePoster

log = logging.getLogger(__name__)


class _TokenFromClient(logging.Filter):
    """Bolt warns SLACK_BOT_TOKEN is unused when a client is given; it is the client's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_TokenFromClient())


def create_bolt_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    services: Services,
    poster: ResponsePoster,
) -> AsyncApp:
    """A Bolt AsyncApp with every Pepptalk listener registered (no secret: Socket Mode only)."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
    )

    async def skip_retried_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and isinstance(event_id, str):
            fresh = await services.store.remember_event(
                event_id=event_id,
                workspace_id=str(body.get("team_id", "")),
                now=services.clock(),
            )
            if not fresh:
                log.info("event %s already handled; acknowledging the retry", event_id)
                return BoltResponse(status=200, body="")
        await next()
        return None

    app.middleware(skip_retried_events)
    for listeners in (commands, actions, views, events):
        listeners.register(app, services, poster)
    return app
