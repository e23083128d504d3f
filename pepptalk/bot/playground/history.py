"""The history pages in the playground: no sign-in, the demo people. `/history?as=U…` (the
playground's link) chooses whose pages to show, and a cookie keeps that choice."""

from __future__ import annotations

from aiohttp import web

from pepptalk.bot.history.sessions import Visitor
from pepptalk.bot.playground.seed import PLATFORM, WORKSPACE
from pepptalk.bot.playground.site import Playground

CHOSEN = "pepptalk_playground_as"


class PlaygroundVisitors:
    """Whoever the visitor chose to be in the playground."""

    def __init__(self, playground: Playground) -> None:
        self.playground = playground

    def _known(self, user_id: str | None) -> str | None:
        people = {person.user_id: person.name for person in self.playground.cast}
        return user_id if user_id in people else None

    async def visitor(self, request: web.Request) -> Visitor | None:
        """The demo person chosen by `?as=` (which also answers with the cookie that keeps
        the choice), or by that cookie."""
        chosen = self._known(request.query.get("as"))
        if chosen is not None:
            response = web.HTTPSeeOther(request.rel_url.with_query(None).path)
            response.set_cookie(CHOSEN, chosen, path="/history", httponly=True, samesite="Lax")
            raise response
        user_id = self._known(request.cookies.get(CHOSEN))
        if user_id is None:
            return None
        name = next(p.name for p in self.playground.cast if p.user_id == user_id)
        return Visitor(PLATFORM, frozenset({WORKSPACE}), user_id, name, "", "")
