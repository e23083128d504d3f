"""The history pages' routes, in one place."""

from __future__ import annotations

from functools import cache
from importlib import resources

from aiohttp import web

from pepptalk.bot.history.pages import CSS, ROOT, HistoryPages

TEAM = ROOT + r"/team/{team:\d{1,12}}"
OWN = ROOT + r"/own/{team:\d{1,12}}"


@cache
def _stylesheet() -> str:
    return resources.files("pepptalk.bot.history").joinpath("history.css").read_text("utf-8")


async def stylesheet(_request: web.Request) -> web.Response:
    """The pages' one stylesheet (served here: no CDN, nothing from elsewhere)."""
    return web.Response(
        text=_stylesheet(),
        content_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def register(app: web.Application, pages: HistoryPages) -> None:
    """Add the history pages to the one HTTP server."""
    app.router.add_get(ROOT, pages.index)
    app.router.add_get(f"{ROOT}/signin", pages.signin)
    app.router.add_get(TEAM, pages.team)
    app.router.add_get(f"{TEAM}/weeks.csv", pages.team_csv)
    app.router.add_get(OWN, pages.own)
    app.router.add_get(f"{OWN}/export.json", pages.own_json)
    app.router.add_get(CSS, stylesheet)
