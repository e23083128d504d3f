"""Slack's routes. POST /slack/events: a request is checked for Slack's signature and shape
before Bolt sees it, so anything else is refused with a 4xx and one log line, never a traceback
or a 5xx. With many workspaces, GET /slack/install and /slack/oauth_redirect too."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from pepptalk.bot.slack import shapes

log = logging.getLogger(__name__)
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True)
class SlackEndpoint:
    """What /slack/events needs: the Bolt app, and the secret Slack signs with."""

    bolt: AsyncApp
    signing_secret: str

    def signed(self, request: web.Request, body: str) -> bool:
        """Whether Slack signed `body` with our secret, lately (Bolt checks it again)."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # slack_sdk's verifier throws on a timestamp that is not a whole number: look first.
        if not (TIMESTAMP.fullmatch(timestamp) and SIGNATURE.fullmatch(signature)):
            return False
        return SignatureVerifier(self.signing_secret).is_valid(body, timestamp, signature)


def _refused(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def register(app: web.Application, slack: SlackEndpoint) -> None:
    """Serve Slack's endpoint on `app`."""

    async def slack_events(request: web.Request) -> web.Response:
        try:
            body = await request.text()
        except UnicodeDecodeError:
            return _refused(400, "bad_request")
        if not slack.signed(request, body):
            log.warning("Slack request refused: not signed with our secret")
            return _refused(401, "invalid_signature")
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as error:  # noqa: BLE001 - any parse failure here is the sender's
            log.warning("unreadable Slack request: %s", type(error).__name__)
            return _refused(400, "bad_request")
        wrong = shapes.problem(bolt_request.body)
        if wrong is not None:
            log.warning("Slack request refused: %s", wrong)
            return _refused(400, "bad_request")
        bolt_response = await slack.bolt.async_dispatch(bolt_request)
        if bolt_response.status >= 500:
            # Bolt answers 500 when a payload is not shaped as Slack's are; that is bad input.
            log.error("Slack request could not be processed (Bolt said %d)", bolt_response.status)
            return _refused(400, "unprocessable")
        return await to_aiohttp_response(bolt_response)

    app.router.add_post("/slack/events", slack_events)
    flow = slack.bolt.oauth_flow
    if flow is not None:
        # Many workspaces: "Add to Slack" and the redirect that completes an install.

        async def slack_install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def slack_oauth_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        app.router.add_get(flow.install_path, slack_install)
        app.router.add_get(flow.redirect_uri_path, slack_oauth_redirect)
