"""The one HTTP server: Slack's endpoint, the metrics API and the health check."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy.exc import SQLAlchemyError

from pepptalk.bot import metrics_api
from pepptalk.bot.playground.web import Playground
from pepptalk.bot.playground.web import register as register_playground
from pepptalk.bot.services import Services
from pepptalk.bot.teams.endpoint import TeamsEndpoint
from pepptalk.bot.teams.endpoint import register as register_teams

log = logging.getLogger(__name__)
# Slack's payloads are small; a bigger body is not from Slack. The metrics API reads its own
# stream with its own limit (5 MB), so this one stays Slack's.
MAX_BODY = 1024 * 1024


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse (a broken chunk, a bad header line) with a
    traceback before any handler of ours runs. That is the sender's mistake: one line, no
    traceback; any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = "malformed HTTP request: %s", (error.message,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_MALFORMED = MalformedRequests()


@web.middleware
async def no_server_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A request we cannot read gets a 400, never a 500 with a traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        log.warning("bad request to %s: %r", request.path, error)
        return web.json_response({"ok": False, "error": "bad_request"}, status=400)


SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signature_headers_well_formed(request: web.Request) -> bool:
    """Whether the request carries Slack's signature headers in Slack's shapes (checking the
    signature itself is Bolt's)."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    return bool(SLACK_TIMESTAMP.fullmatch(timestamp) and SLACK_SIGNATURE.fullmatch(signature))


def create_web_app(
    *,
    services: Services,
    bolt: AsyncApp | None,
    teams: TeamsEndpoint | None = None,
    playground: Playground | None = None,
) -> web.Application:
    """The aiohttp application with every route Pepptalk serves."""
    app = web.Application(middlewares=[no_server_errors], client_max_size=MAX_BODY)
    logging.getLogger("aiohttp.server").addFilter(_MALFORMED)  # the same one, however many apps

    async def healthz(_request: web.Request) -> web.Response:
        try:
            await services.database.ping()
        except (SQLAlchemyError, OSError) as error:
            log.error("health check: database unreachable: %r", error)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        try:
            await services.database.check_writable()
        except (SQLAlchemyError, OSError) as error:
            log.error("health check: the database takes no writes: %r", error)
            return web.json_response({"ok": False, "database": "read-only"}, status=503)
        return web.json_response({"ok": True, "database": "ok", "slack": bolt is not None})

    app.router.add_get("/healthz", healthz)
    if playground is not None:
        register_playground(app, playground)
    else:
        # The playground's database is a demo: no real figures go there.
        metrics_api.register(app, services)
    if teams is not None:
        register_teams(app, teams)
    if bolt is not None:

        async def slack_events(request: web.Request) -> web.Response:
            if not signature_headers_well_formed(request):
                # Bolt's verifier throws on a timestamp that is not a whole number: refuse here.
                log.warning("Slack request refused: signature headers missing or malformed")
                return web.json_response({"ok": False, "error": "invalid_signature"}, status=401)
            try:
                bolt_request = await to_bolt_request(request)
            except Exception as error:  # noqa: BLE001 - any parse failure here is the sender's
                log.warning("unreadable Slack request: %r", error)
                return web.json_response({"ok": False, "error": "bad_request"}, status=400)
            bolt_response = await bolt.async_dispatch(bolt_request)
            if bolt_response.status >= 500:
                # Bolt answers 500 when a payload is not shaped as Slack's are; that is bad input.
                log.error(
                    "Slack request could not be processed (Bolt said %d)", bolt_response.status
                )
                return web.json_response({"ok": False, "error": "unprocessable"}, status=400)
            return await to_aiohttp_response(bolt_response)

        app.router.add_post("/slack/events", slack_events)
    return app
