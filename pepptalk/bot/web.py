"""The one HTTP server: Slack's endpoint, the metrics API and the health check."""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from functools import cache

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from sqlalchemy.exc import SQLAlchemyError

from pepptalk.bot import downloads, metrics_api
from pepptalk.bot.crm.access import CrmParts
from pepptalk.bot.crm.salesforce_web import register as register_salesforce
from pepptalk.bot.history.pages import HistoryPages
from pepptalk.bot.history.routes import register as register_history
from pepptalk.bot.history.signin import SignIn
from pepptalk.bot.history.signin import register as register_signin
from pepptalk.bot.observability import Observability
from pepptalk.bot.playground.site import Playground
from pepptalk.bot.playground.web import register as register_playground
from pepptalk.bot.services import Services
from pepptalk.bot.slack.endpoint import SlackEndpoint
from pepptalk.bot.slack.endpoint import register as register_slack
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


@cache
def _freeze_startup() -> None:
    """Leave what exists when serving starts out of the collector's full passes, once."""
    # Modules, mappers, prompts and the app itself live as long as the process; a full pass
    # over them all pauses every request in flight (about 0.1 s under load on a small machine).
    gc.freeze()


async def _serving(_app: web.Application) -> None:
    _freeze_startup()


@web.middleware
async def no_server_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A request we cannot read gets a 400, never a 500 with a traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as error:
        # A RecursionError here is a body nested deeper than a parser goes: the sender's doing.
        log.warning("bad request to %s: %s", request.path, type(error).__name__)
        return web.json_response({"ok": False, "error": "bad_request"}, status=400)


def create_web_app(
    *,
    services: Services,
    slack: SlackEndpoint | None,
    teams: TeamsEndpoint | None = None,
    playground: Playground | None = None,
    crm: CrmParts | None = None,
    history: HistoryPages | None = None,
    signin: SignIn | None = None,
) -> web.Application:
    """The aiohttp application with every route Pepptalk serves."""
    observability = Observability(services)
    app = web.Application(
        middlewares=[observability.timing, no_server_errors], client_max_size=MAX_BODY
    )
    logging.getLogger("aiohttp.server").addFilter(_MALFORMED)  # the same one, however many apps
    app.on_startup.append(_serving)

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
        return web.json_response({"ok": True, "database": "ok", "slack": slack is not None})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", observability.metrics)
    downloads.register(app, services)
    if history is not None:
        register_history(app, history)
    if signin is not None:
        register_signin(app, signin)
    if playground is not None:
        register_playground(app, playground)
    else:
        # The playground's database is a demo: no real figures go there.
        metrics_api.register(app, services)
    if crm is not None:
        register_salesforce(app, services, crm)
    if teams is not None:
        register_teams(app, teams)
    if slack is not None:
        register_slack(app, slack)
    return app
