"""The playground on a real port, with its clock starting on a Sunday evening in Oslo."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import aiohttp

from pepptalk.bot.app import Pepptalk, create_playground
from pepptalk.bot.config import Settings
from pepptalk.bot.playground.render import field_name
from pepptalk.bot.playground.site import Playground
from tests.fakes.clock import FakeClock
from tests.fakes.serving import served

# Sunday 22 November 2026, 20:00 in Oslo: the next check-in is Monday's.
SUNDAY_EVENING = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)


class PlaygroundSite:
    """A running playground and an HTTP client for it."""

    def __init__(self, pepptalk: Pepptalk, url: str) -> None:
        self.pepptalk, self.url = pepptalk, url
        self.http = aiohttp.ClientSession()

    @property
    def playground(self) -> Playground:
        assert self.pepptalk.playground is not None
        return self.pepptalk.playground

    async def page(self, who: str, view: str = "dm") -> str:
        async with self.http.get(f"{self.url}/?as={who}&view={view}") as response:
            assert response.status == 200
            return await response.text()

    async def post(self, path: str, who: str, **fields: str) -> tuple[int, str]:
        data = {"as": who, "token": self.playground.token, **fields}
        async with self.http.post(f"{self.url}{path}", data=data) as response:
            return response.status, await response.text()

    async def submit(self, who: str, submit: str = "save", **values: str) -> tuple[int, str]:
        """Send the open form with these values, as its dialog posts them."""
        fields = {field_name(name): value for name, value in values.items()}
        return await self.post("/playground/form", who, submit=submit, **fields)

    async def command(self, who: str, text: str) -> str:
        status, body = await self.post("/playground/command", who, text=text)
        assert status == 200
        return body

    async def clock(self, who: str, to: str, at: str = "") -> str:
        status, body = await self.post("/playground/clock", who, to=to, at=at)
        assert status == 200
        return body


def visible_text(html: str) -> str:
    """Roughly what a person reads on the page."""
    without_style = re.sub(r"<(style|script)>.*?</\1>", "", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without_style)))


@asynccontextmanager
async def running_playground(
    tmp_path: Path, real_clock: FakeClock | None = None
) -> AsyncIterator[PlaygroundSite]:
    """The playground on `tmp_path`'s demo database: run it again on the same path to restart."""
    settings = Settings(
        _env_file=None,
        playground_database_url=f"sqlite:///{tmp_path / 'demo.db'}",
    )
    pepptalk = await create_playground(settings, real_clock=real_clock or FakeClock(SUNDAY_EVENING))
    try:
        async with served(pepptalk.web) as url:
            harness = PlaygroundSite(pepptalk, url)
            try:
                yield harness
            finally:
                await harness.http.close()
    finally:
        await pepptalk.close()
