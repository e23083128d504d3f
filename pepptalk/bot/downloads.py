"""The one-time download link of an export: `GET /download/{token}` gives the file once, within
its quarter of an hour; after that, or for a token Pepptalk never gave, a short page says so."""

from __future__ import annotations

from html import escape

from aiohttp import web

from pepptalk.bot.services import Services
from pepptalk.core.i18n import copy_for
from pepptalk.store.downloads import Fetched, File

ROUTE = "/download/{token}"
# The page and the file are for one person: no cache keeps them, no referrer carries the link.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(language: str, key: str, status: int) -> web.Response:
    copy = copy_for(language)
    said = escape(copy(key), quote=False)
    body = (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(copy('privacy.page_title'))}</title></head>"
        f"<body><p>{said}</p></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html", headers=PRIVATE)


def register(app: web.Application, services: Services) -> None:
    """Serve export downloads on the app."""

    async def download(request: web.Request) -> web.Response:
        async with services.database.uow() as uow:
            found = await uow.downloads.take(request.match_info["token"], now=services.clock())
        if isinstance(found, File):
            headers = {
                **PRIVATE,
                "Content-Disposition": f'attachment; filename="{found.name}"',
                "X-Content-Type-Options": "nosniff",
            }
            return web.Response(
                body=found.data, content_type=found.mime, charset="utf-8", headers=headers
            )
        why, language = found
        if why is Fetched.GONE:
            return _page(language, "privacy.link_gone", 410)
        return _page(language, "privacy.link_unknown", 404)

    app.router.add_get(ROUTE, download)
