"""Backing off per conversation: when Teams answers 412, 429, 502 or 504 in one conversation,
only that conversation waits (Retry-After when Teams says, growing with jitter when not), and
everyone else's messages go at once. Through the real adapter and connector client, over HTTP.

Sleeping is held by the test: it sees who waits, and how long, before letting the wait end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.delivery import BACKOFF_FIRST, DrainReport, deliver_pending
from pepptalk.bot.jobs import claim
from tests.bot.teams.activities import person
from tests.bot.teams.site import MONDAY_0830_OSLO, TeamsSite, teams_site, welcome_team
from tests.bot.told import as_told
from tests.fakes.clock import FakeClock
from tests.fakes.teams_connector import FakeConnector, Refused

KARI = person("Kari Nordmann")
SELLERS = [person(f"Seller{i} X") for i in range(5)]
TROUBLED = SELLERS[2]


async def eventually(check: Callable[[], bool]) -> None:
    """Until `check` holds, for a few seconds at most."""
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("it never happened")


class HeldSleep:
    """A sleep that waits until the test lets go; the fake clock then moves by what was asked."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self._held: list[tuple[datetime, asyncio.Future[None]]] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        future = asyncio.get_running_loop().create_future()
        self._held.append((self.clock() + timedelta(seconds=seconds), future))
        await future

    async def asked(self, count: int) -> None:
        """Until `count` waits have been asked for."""
        await eventually(lambda: len(self.waits) >= count)

    def release(self) -> None:
        for until, future in self._held:
            self.clock.set(max(self.clock(), until))
            future.set_result(None)
        self._held.clear()


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[TeamsSite]:
    """A Teams team of five sellers, welcomed; authentication off (tokens are not the point)."""
    async with teams_site(tmp_path, microsoft_app_id="") as site:
        await welcome_team(site, KARI, list(SELLERS))
        yield site


def mornings(connector: FakeConnector, seller: Any) -> int:
    """How many check-ins reached the seller's 1:1 chat."""
    return sum("Good morning" in json.dumps(card) for card in connector.cards(f"1on1-{seller.id}"))


async def checkins_held(site: TeamsSite, sleep: HeldSleep) -> asyncio.Task[DrainReport]:
    """Queue Monday's check-ins and start sending them, with `sleep` for every wait."""
    services = site.pepptalk.services
    assert await claim(services, "checkins", at=MONDAY_0830_OSLO, queued_at=services.clock())
    return asyncio.create_task(
        deliver_pending(
            database=services.database,
            registry=services.registry,
            chat=services.chat,
            clock=services.clock,
            sleep=sleep,
            # Fewer slots than sellers: those after the troubled one start only once it failed.
            concurrency=2,
        )
    )


async def everyone_else_has_theirs(connector: FakeConnector) -> None:
    await eventually(lambda: all(mornings(connector, s) == 1 for s in SELLERS if s is not TROUBLED))


def clock_of(site: TeamsSite) -> FakeClock:
    clock = site.pepptalk.services.clock
    assert isinstance(clock, FakeClock)
    return clock


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_one_conversation_failing_twice_waits_longer_each_time_alone(
    site: TeamsSite, status: int
) -> None:
    connector = site.connector
    connector.trouble(f"1on1-{TROUBLED.id}", status, status)
    sleep = HeldSleep(clock_of(site))
    sending = await checkins_held(site, sleep)

    await sleep.asked(1)
    await everyone_else_has_theirs(connector)
    assert mornings(connector, TROUBLED) == 0
    assert len(sleep.waits) == 1, "nobody else waited"
    sleep.release()

    await sleep.asked(2)
    assert mornings(connector, TROUBLED) == 0
    sleep.release()
    report = await sending

    first, second = sleep.waits
    # No Retry-After: 1 s, then 2 s, each with up to half again of jitter.
    assert BACKOFF_FIRST <= first < 1.5 * BACKOFF_FIRST <= 2 * BACKOFF_FIRST <= second
    assert report.sent == len(SELLERS) and report.rate_limited == 2 and report.failed == 0
    assert connector.refused == [Refused(f"a:1on1-{TROUBLED.id}", status)] * 2
    for seller in SELLERS:
        assert mornings(connector, seller) == 1, seller.name


async def test_a_429_with_retry_after_holds_back_that_conversation_for_as_long(
    site: TeamsSite,
) -> None:
    connector = site.connector
    connector.trouble(f"1on1-{TROUBLED.id}", 429, retry_after=2)
    sleep = HeldSleep(clock_of(site))
    sending = await checkins_held(site, sleep)

    await sleep.asked(1)
    await everyone_else_has_theirs(connector)
    assert as_told(sleep.waits, 2.0) and mornings(connector, TROUBLED) == 0
    sleep.release()
    report = await sending

    assert report.sent == len(SELLERS) and report.rate_limited == 1
    assert as_told(sleep.waits, 2.0)
    for seller in SELLERS:
        assert mornings(connector, seller) == 1, seller.name
