"""The history pages: a leader's view of each team they lead, and each person's own page.

Who may see what is asked of the database on every request, never kept in the session: a
leader removed at 10:00 sees nothing at 10:01. A seller sees only their own page, so nothing a
non-leader sees is about anyone else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Protocol

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from pepptalk.bot.history.sessions import Visitor
from pepptalk.bot.history.team_page import team_context, team_csv
from pepptalk.bot.services import Services
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.store.teams import Membership

log = logging.getLogger(__name__)

ROOT = "/history"
CSS = f"{ROOT}/static/history.css"
# Pages show people's moods and notes: never kept by a browser or a proxy, never framed but by
# Teams (the personal tab shows the sign-in page).
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' https:;"
        " base-uri 'none'; frame-ancestors 'none'"
    ),
}
TEAMS_FRAMES = (
    "frame-ancestors https://teams.microsoft.com https://*.teams.microsoft.com"
    " https://*.cloud.microsoft https://*.office.com"
)


class Visitors(Protocol):
    """Who is asking: a signed-in person, or None."""

    async def visitor(self, request: web.Request) -> Visitor | None: ...


@dataclass(frozen=True)
class SignInWays:
    """Which sign-ins the operator set up, and the way back when there is no sign-in at all
    (the playground's)."""

    slack: bool
    microsoft: bool
    playground: bool = False


TEMPLATES = Environment(
    loader=PackageLoader("pepptalk.bot.history", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _html(
    template: str, *, status: int = 200, framed: bool = False, **context: Any
) -> web.Response:
    text = TEMPLATES.get_template(template).render(**context)
    headers = dict(PRIVATE_HEADERS)
    if framed:
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "frame-ancestors 'none'", TEAMS_FRAMES
        )
    return web.Response(text=text, content_type="text/html", status=status, headers=headers)


class HistoryPages:
    """The routes under /history that show history (sign-in itself lives beside them)."""

    def __init__(self, *, services: Services, visitors: Visitors, ways: SignInWays) -> None:
        self.services, self.visitors, self.ways = services, visitors, ways

    # --- who is asking ------------------------------------------------------------------------

    async def _seats(self, request: web.Request) -> tuple[Visitor, list[Membership]]:
        visitor = await self.visitors.visitor(request)
        if visitor is None:
            raise self._signed_out(request)
        async with self.services.database.uow() as uow:
            seats = await uow.history.seats(
                visitor.platform, visitor.workspace_ids, visitor.user_id
            )
        return visitor, seats

    def _signed_out(self, request: web.Request) -> web.HTTPException:
        copy = copy_for(_language(request))
        page = self._signin_page(copy, problem=None, status=401, teams=False)
        return web.HTTPUnauthorized(
            text=page.text, content_type="text/html", headers=PRIVATE_HEADERS
        )

    def _forbidden(
        self, copy: Copy, visitor: Visitor, seats: list[Membership]
    ) -> web.HTTPException:
        page = _html(
            "refused.html",
            status=403,
            **self._frame(copy, visitor, seats),
            title=copy("history.refused_title"),
        )
        return web.HTTPForbidden(text=page.text, content_type="text/html", headers=PRIVATE_HEADERS)

    def _frame(self, copy: Copy, visitor: Visitor, seats: list[Membership]) -> dict[str, Any]:
        return {
            "t": copy,
            "lang": copy.language,
            "css": CSS,
            "visitor": visitor,
            "seats": seats,
            "playground": self.ways.playground,
        }

    def _seat(self, request: web.Request, seats: list[Membership], *, lead: bool) -> Membership:
        """The seat the path names: one the visitor leads, or (own pages) any of theirs."""
        wanted = request.match_info.get("team", "")
        for seat in seats:
            if str(seat.team.id) == wanted and (seat.is_leader or not lead):
                return seat
        raise LookupError(wanted)

    # --- pages --------------------------------------------------------------------------------

    def _signin_page(
        self, copy: Copy, *, problem: str | None, status: int, teams: bool
    ) -> web.Response:
        known = problem in {"denied", "expired", "refused", "unavailable", "not_configured"}
        return _html(
            "signin.html",
            status=status,
            framed=teams,
            t=copy,
            lang=copy.language,
            css=CSS,
            ways=self.ways,
            problem=copy(f"history.problem_{problem}") if known else None,
            teams=teams,
            visitor=None,
            title=copy("history.signin_title"),
        )

    async def signin(self, request: web.Request) -> web.StreamResponse:
        """Where a person signs in, told what went wrong when a sign-in did not work."""
        copy = copy_for(_language(request))
        teams = request.query.get("from") == "teams"
        return self._signin_page(
            copy, problem=request.query.get("problem"), status=200, teams=teams
        )

    async def index(self, request: web.Request) -> web.StreamResponse:
        """The teams this person leads and their own pages."""
        visitor, seats = await self._seats(request)
        copy = _copy_of(seats, request)
        return _html("index.html", **self._frame(copy, visitor, seats), title=copy("history.title"))

    async def team(self, request: web.Request) -> web.StreamResponse:
        """A team's weeks, for its leaders."""
        visitor, seats = await self._seats(request)
        try:
            seat = self._seat(request, seats, lead=True)
        except LookupError:
            raise self._forbidden(_copy_of(seats, request), visitor, seats) from None
        copy = copy_for(seat.team.language)
        history = await self.services.habits.team_history(seat.team)
        context = team_context(copy, history)
        return _html(
            "team.html", **self._frame(copy, visitor, seats), **context, title=seat.team.name
        )

    async def team_csv(self, request: web.Request) -> web.StreamResponse:
        """The team's weeks as a CSV file: one row per seller and week."""
        visitor, seats = await self._seats(request)
        try:
            seat = self._seat(request, seats, lead=True)
        except LookupError:
            raise self._forbidden(_copy_of(seats, request), visitor, seats) from None
        history = await self.services.habits.team_history(seat.team)
        body = team_csv(history)
        name = f"pepptalk-{seat.team.id}-{history.today.isoformat()}.csv"
        return _download(body, name, "text/csv")

    async def own(self, request: web.Request) -> web.StreamResponse:
        """A person's own page in one team: everything Pepptalk keeps of them there."""
        visitor, seats = await self._seats(request)
        try:
            seat = self._seat(request, seats, lead=False)
        except LookupError:
            raise self._forbidden(_copy_of(seats, request), visitor, seats) from None
        copy = copy_for(seat.team.language)
        document = await self.services.habits.own_data(seat)
        mine = [c for c in document["checkins"] if c["team"] == seat.team.name]
        return _html(
            "own.html",
            **self._frame(copy, visitor, seats),
            seat=seat,
            doc=document,
            checkins=sorted(mine, key=lambda c: str(c["date"]), reverse=True),
            d=cache(lambda iso: copy.short_date(date.fromisoformat(iso))),
            title=copy("history.own_title", team=seat.team.name),
        )

    async def own_json(self, request: web.Request) -> web.StreamResponse:
        """The same file `export` gives, from the page."""
        visitor, seats = await self._seats(request)
        try:
            seat = self._seat(request, seats, lead=False)
        except LookupError:
            raise self._forbidden(_copy_of(seats, request), visitor, seats) from None
        document = await self.services.habits.own_data(seat)
        body = json.dumps(document, ensure_ascii=False, indent=2)
        name = f"pepptalk-export-{self.services.clock().date().isoformat()}.json"
        return _download(body, name, "application/json")


def _download(body: str, name: str, kind: str) -> web.Response:
    headers = dict(PRIVATE_HEADERS)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.Response(text=body, content_type=kind, charset="utf-8", headers=headers)


def _language(request: web.Request) -> str:
    """Before we know the person's team: the browser's first language we speak."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in {"nb", "no", "nn"}:
            return "nb"
        if code in {"en", "sv", "da"}:
            return code
    return "en"


def _copy_of(seats: list[Membership], request: web.Request) -> Copy:
    return copy_for(seats[0].team.language if seats else _language(request))
