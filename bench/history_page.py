"""The leader's history page on PostgreSQL among 10,000 sellers with a year behind them: the time
to answer for a team a week old against one with 52 weeks of history.

Seeds a schema of its own in bulk, the way bench.digest does (`--teams` teams of `--sellers`
sellers with `--days` of check-ins, deliveries, talks, wins and actions), plus two teams of the
same shape with 7 and 364 days. Starts the real web app (`create_app`) on that schema on a free
port, gives each of the two leaders a session as signing in does (a row in web_sessions, the
token in a cookie), and GETs `/history/team/<id>` for both in turn. Prints p50 and p99 of the time
to the whole page, and of `team_history` (the queries) and of the rendering alone. Drops the schema
at the end.

    .venv/bin/python -m bench.history_page [--teams 999] [--sellers 10] [--repeat 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from datetime import timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.digest import DEFAULT_URL, NOW, WORKSPACE, Seat, counts, seed, vacuum
from bench.schema import in_own_schema
from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.history.pages import TEMPLATES
from pepptalk.bot.history.sessions import COOKIE, new_token, token_hash
from pepptalk.bot.history.team_page import team_context
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import Platform
from pepptalk.handlers.history import team_history
from pepptalk.store.database import Database, migrate
from pepptalk.store.models import Team
from tests.fakes.clock import FakeClock
from tests.fakes.serving import served

HISTORIES = ((7, "1 week"), (364, "52 weeks"))
WARMUP = 10


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def line(name: str, samples: dict[str, list[float]]) -> str:
    cells = "".join(
        f"{statistics.median(v) * 1000:14.2f} {percentile(v, 0.99) * 1000:8.2f}"
        for v in samples.values()
    )
    return f"   {name:<16}{cells}"


async def session(database: Database, seat: Seat) -> str:
    """A session for the seat's leader, as a sign-in with Slack leaves it."""
    token = new_token()
    async with database.uow() as uow:
        await uow.web_sessions.add(
            key_hash=token_hash(token),
            platform=Platform.SLACK,
            workspace_ids={WORKSPACE},
            user_id=f"L{seat.id}",
            name=None,
            csrf_token=new_token(),
            now=NOW,
            expires_at=NOW + timedelta(hours=12),
        )
    return token


async def in_process(database: Database, seat: Seat) -> tuple[float, float]:
    """Seconds in team_history, and in rendering its page."""
    async with database.uow() as uow:
        team = await uow.session.get(Team, seat.id)
        assert team is not None
        started = time.perf_counter()
        history = await team_history(uow=uow, team=team, now=NOW)
        read = time.perf_counter() - started
    copy = copy_for(team.language)
    started = time.perf_counter()
    TEMPLATES.get_template("team.html").render(
        t=copy,
        lang="en",
        css="",
        visitor=None,
        seats=[],
        playground=False,
        title="",
        **(team_context(copy, history)),
    )
    return read, time.perf_counter() - started


async def run(engine: AsyncEngine, schema: str, *, teams: int, sellers: int, repeat: int) -> int:
    """Migrate, seed, time; every figure printed. 1 when a page did not answer 200."""
    await migrate(engine)
    print(f"seeding {teams} teams x {sellers} sellers with 365 days, and teams of 7 and 364 days")
    started = time.perf_counter()
    seats = await seed(engine, teams=teams, sellers=sellers, days=365, histories=HISTORIES)
    await vacuum(engine)
    rows, size = await counts(engine, schema)
    print(
        f"   {time.perf_counter() - started:.1f} s; {sum(rows.values()):,} rows, "
        f"{size / 1024**2:,.0f} MiB with indexes; "
        + ", ".join(f"{table} {count:,}" for table, count in rows.items())
    )
    database = Database(engine)
    pepptalk = await create_app(
        Settings(_env_file=None, database_url="postgresql://unused/unused"),
        clock=FakeClock(NOW),
        database=database,
    )
    labels = [label for _, label in HISTORIES]
    page: dict[str, list[float]] = {label: [] for label in labels}
    reading: dict[str, list[float]] = {label: [] for label in labels}
    rendering: dict[str, list[float]] = {label: [] for label in labels}
    sizes: dict[str, int] = {}
    try:
        cookies = {seat.label: await session(database, seat) for seat in seats}
        async with served(pepptalk.web) as url, aiohttp.ClientSession() as http:
            for round_ in range(WARMUP + repeat):
                for seat, label in zip(seats, labels, strict=True):
                    headers = {"Cookie": f"{COOKIE}={cookies[seat.label]}"}
                    started = time.perf_counter()
                    async with http.get(f"{url}/history/team/{seat.id}", headers=headers) as r:
                        body = await r.read()
                    took = time.perf_counter() - started
                    if r.status != 200:
                        print(f"   {label}: the page answered {r.status}")
                        return 1
                    read, render = await in_process(database, seat)
                    if round_ >= WARMUP:
                        page[label].append(took)
                        reading[label].append(read)
                        rendering[label].append(render)
                        sizes[label] = len(body)
    finally:
        await pepptalk.close()
    print(f"GET /history/team/<id>, {repeat} times per team after {WARMUP} untimed, in turn")
    print(f"   {'':<16}" + "".join(f"{label + ' p50 ms':>14} {'p99':>8}" for label in labels))
    print(line("whole page", page))
    print(line("team_history", reading))
    print(line("rendering", rendering))
    ratio = statistics.median(page[labels[1]]) / statistics.median(page[labels[0]])
    print(
        f"   52 weeks / 1 week, p50 of the whole page: {ratio:.2f}x; page sizes "
        + ", ".join(f"{label} {sizes[label] / 1024:.0f} KiB" for label in labels)
    )
    return 0


async def main(*, url: str, teams: int, sellers: int, repeat: int) -> int:
    """Make the schema, run, drop the schema (whatever happened in between)."""

    async def work(engine: AsyncEngine, schema: str) -> int:
        return await run(engine, schema, teams=teams, sellers=sellers, repeat=repeat)

    return await in_own_schema(url, "bench_history", work)


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PEPPTALK_BENCH_POSTGRES_URL", DEFAULT_URL),
        help="a PostgreSQL URL (default: $PEPPTALK_BENCH_POSTGRES_URL, else the test database)",
    )
    parser.add_argument("--teams", type=int, default=999, help="teams with a year of history")
    parser.add_argument("--sellers", type=int, default=10, help="sellers per team")
    parser.add_argument("--repeat", type=int, default=200, help="timed pages per team")
    args = parser.parse_args()
    if min(args.teams, args.sellers, args.repeat) < 1:
        parser.error("every count must be at least 1")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = cli()
    sys.exit(
        asyncio.run(
            main(
                url=options.database_url,
                teams=options.teams,
                sellers=options.sellers,
                repeat=options.repeat,
            )
        )
    )
