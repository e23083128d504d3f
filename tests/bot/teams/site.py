"""Pepptalk served over HTTP with Teams' side faked: post activities to /api/messages as Teams
does, read what Pepptalk sent back through the fake connector."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from botbuilder.schema import Activity, ChannelAccount

from pepptalk.bot.app import Pepptalk, create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import drain
from tests.bot.teams.activities import message
from tests.fakes.clock import FakeClock
from tests.fakes.serving import served
from tests.fakes.teams_connector import FakeConnector, Sent

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


class TeamsSite:
    def __init__(self, pepptalk: Pepptalk, url: str, connector: FakeConnector) -> None:
        self.pepptalk, self.url, self.connector = pepptalk, url, connector
        self.http = aiohttp.ClientSession()

    async def post(
        self, activity: Activity | dict[str, Any] | str, token: str | None = None
    ) -> int:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(activity, Activity):
            activity.service_url = self.connector.url
            body: Any = activity.serialize()
            # msrest drops an entity's extra fields on serialize; send them as Teams does.
            body["entities"] = [
                {"type": e.type, **(e.additional_properties or {})} for e in activity.entities or []
            ]
        else:
            body = activity
        kwargs = {"data": body} if isinstance(body, str) else {"json": body}
        async with self.http.post(
            f"{self.url}/api/messages", headers=headers, **kwargs
        ) as response:
            await response.read()
            return response.status


@asynccontextmanager
async def teams_site(tmp_path: Path, **settings: Any) -> AsyncIterator[TeamsSite]:
    connector = await FakeConnector().start()
    pepptalk = await create_app(
        Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'p.db'}", **settings),
        clock=FakeClock(MONDAY_0830_OSLO),
    )
    try:
        async with served(pepptalk.web) as url:
            harness = TeamsSite(pepptalk, url, connector)
            try:
                yield harness
            finally:
                await harness.http.close()
    finally:
        await pepptalk.close()
        await connector.stop()


def texts(cards: list[dict[str, Any]]) -> str:
    """Every word on some cards, for asserting on content."""
    return json.dumps(cards, ensure_ascii=False).replace("\\\\", "")


def cards_of(sent: Sent) -> list[dict[str, Any]]:
    """The cards one call to the connector carried."""
    return [a["content"] for a in sent.activity.get("attachments") or []]


async def welcome_team(
    site: TeamsSite, leader: ChannelAccount, sellers: list[ChannelAccount]
) -> None:
    """A team created by `leader` with `sellers` added from a channel, their welcomes sent."""
    for seller in sellers:
        await site.post(message(seller, "hi"))
    await site.post(message(leader, "team create Oslo"))
    mentions = " ".join(f"<at>{s.name}</at>" for s in sellers)
    await site.post(message(leader, f"team add {mentions}", channel="s", mentions=sellers))
    assert (await drain(site.pepptalk.services)).sent == len(sellers)
