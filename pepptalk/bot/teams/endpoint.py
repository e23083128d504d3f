"""POST /api/messages: Teams' activities into the adapter, refusals as 4xx, never a 500."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from pepptalk.bot.teams import shapes
from pepptalk.bot.teams.bot import PepptalkTeamsBot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeamsEndpoint:
    """What /api/messages needs: botbuilder's adapter and Pepptalk's bot."""

    adapter: CloudAdapter
    bot: PepptalkTeamsBot


def register(app: web.Application, teams: TeamsEndpoint) -> None:
    """Serve the Teams endpoint on `app`."""

    async def handle_messages(request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return web.json_response({"error": "expected application/json"}, status=400)
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            # RecursionError: nested deeper than the parser goes; not JSON we can take either.
            log.warning("Teams request refused: the body is not JSON")
            return web.json_response({"error": "bad_request"}, status=400)
        wrong = shapes.problem(body)
        if wrong is not None:
            log.warning("Teams request refused: %s", wrong)
            return web.json_response({"error": "bad_request"}, status=400)
        try:
            # botbuilder reads the same body again (aiohttp keeps it).
            response = await teams.adapter.process(request, teams.bot)
        except web.HTTPException:
            raise
        except (ValueError, RecursionError) as error:
            log.warning("unreadable Teams request: %s", type(error).__name__)
            return web.json_response({"error": "bad_request"}, status=400)
        except Exception as error:  # noqa: BLE001 - past parsing, what is left is the token
            # The turn itself runs inside the adapter's error handler; what escapes is a token
            # that could not be checked (bad signature, unknown key, keys unreachable).
            log.warning("Teams request refused: %r", error)
            return web.json_response({"error": "unauthorized"}, status=401)
        return response if response is not None else web.Response(status=200)

    app.router.add_post("/api/messages", handle_messages)
