"""Metrics in: 100,000 figures posted to the real POST /api/metrics, then the weekly read.

Seeds a fresh SQLite database with teams of sellers through the repositories, gives each team
a token through the real `team token` command, then posts every team's history (sellers x
metrics x days) as CSV over HTTP, a few requests per team, and prints rows per second. Then it
times `uow.metrics.weeks(...)` for a team with that whole history and for a team with five days
of it: the read looks at five weeks, so its cost must not grow with history. Last, it times the
leader's `agenda` command (the draft composed from those figures) for both teams.

    .venv/bin/python -m bench.metrics [--teams 20] [--sellers 10] [--days 100] [--rows 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from pepptalk.bot.app import Pepptalk, create_app
from pepptalk.bot.config import Settings
from pepptalk.core.kinds import Platform
from pepptalk.core.messages import Paragraph
from pepptalk.core.ports import Actor, UserProfile
from pepptalk.store.database import open_database
from tests.fakes.clock import FakeClock
from tests.fakes.serving import served
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi

METRICS = ("calls", "meetings", "sales", "demos", "emails")
# The history ends on Sunday 22 November 2026; the weekly read looks at the week ending then.
LAST = date(2026, 11, 22)
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ZONE = "Europe/Oslo"


@dataclass(frozen=True)
class Team:
    """A seeded team: its id, its leader, its sellers' user ids."""

    id: int
    leader: str
    sellers: list[str]


@dataclass(frozen=True)
class Posted:
    """What the HTTP phase did: rows sent, rows the API said it stored, per-request latencies."""

    rows: int
    stored: int
    rejected: int
    failures: list[str]
    latencies: list[float]
    wall: float


async def seed(url: str, *, teams: int, sellers: int, prefix: str = "") -> list[Team]:
    """Create teams of sellers straight through the repositories, as bench.fanout does."""
    database = await open_database(url)
    seeded = []
    try:
        for t in range(teams):
            leader = UserProfile(user_id=f"ULEAD{prefix}{t:03d}", name=f"Leader {t}", timezone=ZONE)
            people = [
                UserProfile(user_id=f"U{prefix}{t:03d}S{s:03d}", name=f"Seller {t}-{s}")
                for s in range(sellers)
            ]
            async with database.uow() as uow:
                seat = await uow.teams.create(
                    workspace_id=WORKSPACE,
                    platform=Platform.SLACK,
                    name=f"Sales {prefix}{t}",
                    leader=leader,
                    timezone=ZONE,
                    country="NO",
                    now=CREATED,
                )
                await uow.teams.add_sellers(team=seat.team, people=people, now=CREATED)
                seeded.append(Team(seat.team.id, leader.user_id, [p.user_id for p in people]))
    finally:
        await database.close()
    return seeded


async def token_for(pepptalk: Pepptalk, team: Team) -> str:
    """The token a leader gets with `team token` (the reply's second paragraph)."""
    reply = await pepptalk.services.habits.command(
        Actor(workspace_id=WORKSPACE, user_id=team.leader, platform=Platform.SLACK), "team token"
    )
    assert reply.message is not None
    paragraph = reply.message.blocks[1]
    assert isinstance(paragraph, Paragraph) and isinstance(paragraph.text, str)
    return paragraph.text


def history(team: Team, days: int) -> list[str]:
    """CSV lines (no header) for every seller, metric and day of the last `days` days."""
    lines = []
    for back in range(days):
        day = (LAST - timedelta(days=back)).isoformat()
        for s, seller in enumerate(team.sellers):
            for m, metric in enumerate(METRICS):
                lines.append(f"{day},{seller},{metric},{(s * 7 + m * 3 + back) % 60},50")
    return lines


async def post_all(url: str, batches: list[tuple[str, list[str]]], *, concurrency: int) -> Posted:
    """POST each (token, lines) batch as one CSV request, `concurrency` at a time."""
    slots = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failures: list[str] = []
    stored = rejected = 0

    async def one(session: aiohttp.ClientSession, token: str, lines: list[str]) -> None:
        nonlocal stored, rejected
        body = ("date,seller,metric,value,goal\n" + "\n".join(lines) + "\n").encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
        async with slots:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                answer = await response.json()
                latencies.append(time.perf_counter() - started)
        if response.status != 200:
            failures.append(f"HTTP {response.status}: {answer}")
            return
        stored += int(answer["stored"])
        rejected += len(answer["rejected"])

    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(one(session, token, lines) for token, lines in batches))
    return Posted(
        rows=sum(len(lines) for _, lines in batches),
        stored=stored,
        rejected=rejected,
        failures=failures,
        latencies=latencies,
        wall=time.perf_counter() - started,
    )


async def time_weeks(pepptalk: Pepptalk, team: Team, last: date, repeat: int) -> list[float]:
    """Seconds each `weeks(...)` call took, after a few untimed ones."""
    times = []
    async with pepptalk.database.uow() as uow:
        for i in range(repeat + 5):
            started = time.perf_counter()
            found = await uow.metrics.weeks(team_id=team.id, last=last)
            if i >= 5:
                times.append(time.perf_counter() - started)
        assert len(found) == len(team.sellers) * len(METRICS)
    return times


async def time_agenda(pepptalk: Pepptalk, team: Team, repeat: int) -> tuple[list[float], str]:
    """Seconds each `agenda` command took for the team's leader (the first drafts it, the rest
    bring it up to date and compose it), and the draft's heading, as the leader reads it."""
    habits = pepptalk.services.habits
    leader = Actor(workspace_id=WORKSPACE, user_id=team.leader, platform=Platform.SLACK)
    await habits.command(leader, "team set meeting thu 09:00")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        reply = await habits.command(leader, "agenda")
        times.append(time.perf_counter() - started)
    assert reply.message is not None and "Draft agenda" in reply.message.summary
    return times, reply.message.summary


def ms(times: list[float]) -> str:
    """Median and p95 (nearest rank) in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered), math.ceil(0.95 * len(ordered))) - 1]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


async def main(
    *, teams: int, sellers: int, days: int, rows: int, concurrency: int, repeat: int
) -> int:
    """Seed, post, read; exit status 1 when any figure was not stored."""
    fake = await FakeSlackApi().start()
    try:
        with tempfile.TemporaryDirectory(prefix="pepptalk-metrics-") as tmp:
            settings = Settings(
                database_url=f"sqlite:///{Path(tmp) / 'pepptalk.db'}",
                slack_bot_token=SecretStr(TOKEN),
                slack_signing_secret=SecretStr("bench-signing-secret"),
                slack_api_url=fake.base_url,
            )
            url = settings.async_database_url
            seeded = await seed(url, teams=teams, sellers=sellers)
            [fresh] = await seed(url, teams=1, sellers=sellers, prefix="F")
            # The clock stands on Monday after the history, so the draft asks about that week.
            pepptalk = await create_app(settings, clock=FakeClock(NOW))
            try:
                return await run(
                    pepptalk,
                    seeded,
                    fresh,
                    days=days,
                    rows=rows,
                    concurrency=concurrency,
                    repeat=repeat,
                )
            finally:
                await pepptalk.close()
    finally:
        await fake.stop()


async def run(
    pepptalk: Pepptalk,
    seeded: list[Team],
    fresh: Team,
    *,
    days: int,
    rows: int,
    concurrency: int,
    repeat: int,
) -> int:
    """The HTTP phase, then the reads; prints every figure."""
    batches = []
    for team in seeded:
        token = await token_for(pepptalk, team)
        lines = history(team, days)
        batches += [(token, lines[i : i + rows]) for i in range(0, len(lines), rows)]
    per_team = len(seeded[0].sellers) * len(METRICS) * days
    print(
        f"{len(seeded)} teams x {len(seeded[0].sellers)} sellers x {len(METRICS)} metrics x "
        f"{days} days = {len(seeded) * per_team} rows, as CSV in {len(batches)} requests of up "
        f"to {rows} rows, {concurrency} in flight"
    )
    async with served(pepptalk.web) as base:
        posted = await post_all(f"{base}/api/metrics", batches, concurrency=concurrency)
        short = [(await token_for(pepptalk, fresh), history(fresh, 5))]
        await post_all(f"{base}/api/metrics", short, concurrency=1)
    latency = sorted(posted.latencies)
    print(
        f"   stored {posted.stored} of {posted.rows} rows in {posted.wall:.2f} s: "
        f"{posted.rows / posted.wall:,.0f} rows/s; rejected {posted.rejected}, "
        f"failed requests {len(posted.failures)}"
    )
    print(
        f"   per request: median {statistics.median(latency) * 1000:.0f} ms, "
        f"max {latency[-1] * 1000:.0f} ms"
    )
    async with pepptalk.database.uow() as uow:
        counted = sum([await uow.metrics.count(team.id) for team in seeded])
        fresh_rows = await uow.metrics.count(fresh.id)
    print(f"   in the database: {counted} rows for the {len(seeded)} teams, {fresh_rows} more")
    for failure in posted.failures[:5]:
        print(f"   {failure}")

    print(f"weeks(team_id=..., last={LAST}) over 5 weeks, {repeat} calls each")
    long = await time_weeks(pepptalk, seeded[0], LAST, repeat)
    print(f"   team with {days} days of history ({per_team} rows):    {ms(long)}")
    short_times = await time_weeks(pepptalk, fresh, LAST, repeat)
    print(f"   team with 5 days of history ({fresh_rows} rows):      {ms(short_times)}")
    # The same five days of figures in the window, with the rest of the history outside it.
    first_days = LAST - timedelta(days=days - 5)
    early = await time_weeks(pepptalk, seeded[0], first_days, repeat)
    print(f"   team with {days} days, last={first_days} (5 days in the window): {ms(early)}")
    agenda_repeat = max(2, repeat // 4)
    print(f"the `agenda` command, composed from that history, {agenda_repeat} times each")
    for label, team in ((f"{days} days", seeded[0]), ("5 days", fresh)):
        times, heading = await time_agenda(pepptalk, team, agenda_repeat)
        first = f"drafting {times[0] * 1000:.1f} ms"
        print(f"   team with {label} of history: {first}, then {ms(times[1:])}")
    print(f"   ({heading})")
    ok = counted == posted.rows == posted.stored and not posted.failures
    return 0 if ok else 1


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=20, help="teams with the whole history")
    parser.add_argument("--sellers", type=int, default=10, help="sellers per team")
    parser.add_argument("--days", type=int, default=100, help="days of history per team")
    parser.add_argument("--rows", type=int, default=1000, help="rows per request")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--repeat", type=int, default=200, help="timed weeks() calls per case")
    args = parser.parse_args()
    if min(args.teams, args.sellers, args.rows, args.concurrency, args.repeat) < 1:
        parser.error("every count must be at least 1")
    if args.days < 10:
        parser.error("--days must be at least 10")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = cli()
    sys.exit(
        asyncio.run(
            main(
                teams=options.teams,
                sellers=options.sellers,
                days=options.days,
                rows=options.rows,
                concurrency=options.concurrency,
                repeat=options.repeat,
            )
        )
    )
