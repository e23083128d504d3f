"""Slash-command time-to-answer: Pepptalk's answer in the ack against a bare Bolt app that acks
a static text of the same size, the floor for any app that answers in the ack.

Both servers run in this process on 127.0.0.1, with their Web API client pointed at the local
FakeSlackApi. Pepptalk's database (SQLite, or a schema of its own on PostgreSQL) holds a few
teams with some weeks of history; each request is a signed `/pepptalk <command>` from one of
their leaders. The time measured is from sending the request to reading the HTTP response, which
is when Slack would show the answer.

    .venv/bin/python -m bench.ack_latency [--requests 500] [--concurrency 50] [--rounds 5]
        [--commands seen help] [--database postgresql://user:password@host:port/database]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings, async_database_url
from pepptalk.bot.services import Services
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import FeedbackKind, Mood, Platform
from pepptalk.core.ports import Actor
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.base import Base
from pepptalk.store.database import Database, create_engine
from pepptalk.store.models import Checkin, Feedback, Member, Win
from tests.fakes.chat import FakeChat
from tests.fakes.serving import served
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi

SECRET = "bench-signing-secret"
WARMUP = 20
POSTGRES_EXAMPLE = "postgresql://pepptalk_test:pepptalk_test@127.0.0.1:5432/pepptalk_test"
# The seeded history: a few teams, each a leader and a handful of sellers, four weeks back.
TEAMS = 5
SELLERS = 8
WEEKS = 4
KINDS = tuple(FeedbackKind)
PERCENTILES = (50, 90, 99)


@dataclass
class Result:
    """Latencies (seconds) of one server's runs, their wall and CPU time, the answers' sizes."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    failed: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    def add(self, other: Result) -> None:
        """Count another run in."""
        self.latencies += other.latencies
        self.sizes += other.sizes
        self.failed += other.failed
        self.wall += other.wall
        self.cpu += other.cpu

    def percentile(self, p: float) -> float:
        """The p-th percentile (nearest rank), in seconds."""
        ordered = sorted(self.latencies)
        rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1]

    def line(self, name: str) -> str:
        """One printable row."""
        p50, p90, p99 = (self.percentile(p) * 1000 for p in PERCENTILES)
        count = len(self.latencies)
        return (
            f"  {name:<9} p50={p50:7.2f} ms  p90={p90:7.2f} ms  p99={p99:7.2f} ms  "
            f"max={max(self.latencies) * 1000:7.2f} ms  {count / self.wall:6.1f} req/s  "
            f"cpu {self.cpu / count * 1000:5.2f} ms/req  body {sum(self.sizes) / count:.0f} B"
        )


def signed_command(fake: FakeSlackApi, i: int, user: str, words: str) -> tuple[str, dict[str, str]]:
    """A `/pepptalk <words>` body from `user` and its headers, signed the way Slack signs."""
    body = urlencode(
        {
            "token": "verification-token-unused",
            "team_id": WORKSPACE,
            "team_domain": "pepptalk-test",
            "channel_id": "D0BENCH",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/pepptalk",
            "text": words,
            "response_url": fake.response_url(f"r{i}"),
            "trigger_id": f"{i}.1.bench",
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body) or ""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return body, headers


def history(team_id: int, leader_id: int, seller: Member, n: int, now: datetime) -> list[Base]:
    """A seller's weeks: a check-in each workday, a talk every ninth day, a win every sixth
    (every other one shouted out)."""
    at: dict[str, Any] = {"workspace_id": WORKSPACE, "team_id": team_id, "member_id": seller.id}
    rows: list[Base] = []
    for d in range(WEEKS * 7 + 1):
        day = now.date() - timedelta(days=d)
        stamp = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=7)
        if day.weekday() < 5:
            answered = {"answered_at": stamp, "updated_at": stamp, "mood_at": stamp}
            mood = Mood(1 + (n + d) % 5)
            rows.append(Checkin(**at, **answered, local_date=day, mood=mood, note=f"day {d}"))
        if (n + d) % 9 == 0:
            kind = KINDS[d % len(KINDS)]
            talk = {"given_by": leader_id, "kind": kind, "note": "a talk", "given_on": day}
            rows.append(Feedback(**at, **talk, created_at=stamp))
        if (n + d) % 6 == 0:
            shouted = stamp if d % 2 else None
            rows.append(
                Win(**at, text=f"Deal {d}", won_on=day, created_at=stamp, shouted_at=shouted)
            )
    return rows


async def seed(database: Database, now: datetime) -> list[str]:
    """Teams made the way leaders make them, then weeks of their sellers' history; the
    leaders' user ids."""
    chat = FakeChat()
    habits = Services(database=database, chat=chat, registry=REGISTRY).habits
    leaders = [f"ULEAD{t:02d}" for t in range(TEAMS)]
    for t, leader in enumerate(leaders):
        sellers = [f"USELL{t:02d}{s:02d}" for s in range(SELLERS)]
        chat.add_user(leader, f"Leader {t:02d}", "Europe/Oslo")
        for s, seller in enumerate(sellers):
            chat.add_user(seller, f"Seller {t:02d}-{s:02d}", "Europe/Oslo")
        actor = Actor(WORKSPACE, leader, Platform.SLACK)
        for words in (
            f"team create Team {t:02d}",
            "team add " + " ".join(f"<@{u}>" for u in sellers),
        ):
            if (await habits.command(actor, words)).message is None:
                raise RuntimeError(f"seeding team {t} failed at `{words}`")
    async with database.uow() as uow:
        for leader in leaders:
            seat = await uow.teams.membership(WORKSPACE, leader)
            assert seat is not None
            for n, member in enumerate(await uow.teams.sellers(seat.team.id)):
                member.joined_at = now - timedelta(days=WEEKS * 7 + 1)
                uow.session.add_all(history(seat.team.id, seat.member.id, member, n, now))
    return leaders


def floor_web_app(fake: FakeSlackApi, size: int) -> web.Application:
    """The smallest Bolt app that answers: same secret and client, and a listener that acks
    with `size` characters of static text, run before the response as Pepptalk's are."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=fake.base_url, timeout=10),
        signing_secret=SECRET,
        process_before_response=True,
    )
    answer = "x" * size

    @bolt.command("/pepptalk")
    async def static_answer(ack: AsyncAck) -> None:
        await ack(answer)

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    return app


@dataclass(frozen=True)
class Load:
    """What a run sends: `/pepptalk <words>` from each leader in turn, `concurrency` at a time."""

    fake: FakeSlackApi
    leaders: list[str]
    words: str
    concurrency: int


@asynccontextmanager
async def client(app: web.Application, concurrency: int) -> AsyncIterator[Client]:
    """Serve `app` on 127.0.0.1 and hold a client session to its /slack/events."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with served(app) as base, aiohttp.ClientSession(connector=connector) as session:
        yield Client(session, f"{base}/slack/events")


@dataclass(frozen=True)
class Client:
    """A session to one server's /slack/events."""

    session: aiohttp.ClientSession
    url: str

    async def run(self, load: Load, count: int) -> Result:
        """Send `count` signed commands of `load`; time each until its response is read."""
        slots = asyncio.Semaphore(load.concurrency)
        result = Result()
        oops = copy_for("en")("errors.something_wrong")
        # Signed before the clock starts: the client's own work is not the server's.
        requests = [
            signed_command(load.fake, i, load.leaders[i % len(load.leaders)], load.words)
            for i in range(count)
        ]

        async def one(body: str, headers: dict[str, str]) -> None:
            async with slots:
                started = time.perf_counter()
                async with self.session.post(self.url, data=body, headers=headers) as response:
                    answer = await response.read()
                    elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")
            result.latencies.append(elapsed)
            result.sizes.append(len(answer))
            result.failed += oops in answer.decode()

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(body, headers) for body, headers in requests))
        result.wall, result.cpu = time.perf_counter() - started, time.process_time() - cpu
        return result


async def floor_size(fake: FakeSlackApi, body: float) -> int:
    """How many characters the floor's static text needs for an ack body of `body` bytes."""
    async with client(floor_web_app(fake, 0), 1) as floor:
        probe = await floor.run(Load(fake, ["UFLOOR"], "", 1), 1)
    return max(0, round(body) - probe.sizes[0])


async def compare(pepptalk: Client, load: Load, *, requests: int, rounds: int) -> Result:
    """Time `requests` commands against Pepptalk and as many against the floor (sized to
    Pepptalk's answer), in alternating rounds so both meet the same background load; print."""
    warm = await pepptalk.run(load, WARMUP)
    size = await floor_size(load.fake, sum(warm.sizes) / len(warm.sizes))
    ours, base = Result(), Result()
    async with client(floor_web_app(load.fake, size), load.concurrency) as floor:
        await floor.run(load, WARMUP)
        for r in range(rounds):
            count = requests // rounds + (r < requests % rounds)
            ours.add(await pepptalk.run(load, count))
            base.add(await floor.run(load, count))
    print(f"/pepptalk {load.words}")
    print(ours.line("pepptalk"))
    print(base.line("floor"))
    ratios = (f"p{p} {ours.percentile(p) / base.percentile(p):.2f}x" for p in PERCENTILES)
    print("  pepptalk/floor: " + ", ".join(ratios))
    return ours


@contextmanager
def search_path(schema: str) -> Iterator[None]:
    """Every PostgreSQL connection opened meanwhile (Pepptalk's own included) works in `schema`."""

    def connecting(
        dialect: Dialect, _record: ConnectionPoolEntry, _args: list[Any], params: dict[str, Any]
    ) -> None:
        if dialect.name == "postgresql":
            params.setdefault("server_settings", {})["search_path"] = schema

    event.listen(Engine, "do_connect", connecting)
    try:
        yield
    finally:
        event.remove(Engine, "do_connect", connecting)


@asynccontextmanager
async def database_url(url: str | None) -> AsyncIterator[str]:
    """A database for the run: a temporary SQLite file, or a PostgreSQL schema of the run's own
    (dropped afterwards, whatever happened)."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="pepptalk-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'pepptalk.db'}"
        return
    schema = f"bench_ack_{os.getpid()}"
    admin = create_engine(async_database_url(url))
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            with search_path(schema):
                yield url
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            print(f"schema {schema} dropped")
    finally:
        await admin.dispose()


async def main(
    *, requests: int, concurrency: int, rounds: int, commands: list[str], database: str | None
) -> int:
    """Seed, run each command against Pepptalk and the floor, and print the comparison."""
    fake = await FakeSlackApi().start()
    try:
        async with database_url(database) as url:
            settings = Settings(
                database_url=url,
                slack_bot_token=SecretStr(TOKEN),
                slack_signing_secret=SecretStr(SECRET),
                slack_api_url=fake.base_url,
            )
            pepptalk = await create_app(settings)
            try:
                engine = pepptalk.database.engine.dialect.name
                leaders = await seed(pepptalk.database, datetime.now(UTC))
                print(
                    f"{engine}: {TEAMS} teams of {SELLERS} sellers, {WEEKS} weeks of history; "
                    f"{requests} signed commands per server in {rounds} alternating rounds, "
                    f"{concurrency} in flight, after {WARMUP} warm-up requests"
                )
                failed = 0
                async with client(pepptalk.web, concurrency) as ours:
                    for words in commands:
                        load = Load(fake, leaders, words, concurrency)
                        result = await compare(ours, load, requests=requests, rounds=rounds)
                        failed += result.failed
                print(
                    f"'something went wrong' answers: {failed}; replies posted to the "
                    f"response_url instead of the ack: {len(fake.responses)}"
                )
                return 1 if failed else 0
            finally:
                await pepptalk.close()
    finally:
        await fake.stop()


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per server")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternations between Pepptalk and the floor"
    )
    parser.add_argument(
        "--commands",
        nargs="+",
        default=["seen", "help"],
        help="what the leaders type after /pepptalk, one run each (default: seen help)",
    )
    parser.add_argument(
        "--database",
        default=None,
        help=f"a PostgreSQL URL, e.g. {POSTGRES_EXAMPLE} (default: a temporary SQLite file)",
    )
    args = parser.parse_args()
    if min(args.requests, args.concurrency, args.rounds) < 1:
        parser.error("--requests, --concurrency and --rounds must be at least 1")
    if args.database is not None and not async_database_url(args.database).startswith("postgres"):
        parser.error("--database takes a postgresql:// URL")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(asyncio.run(main(**vars(cli()))))
