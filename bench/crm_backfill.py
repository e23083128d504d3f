"""Many teams connect HubSpot at once: the first sync's 8-week backfill, the rate limit on.

Seeds a fresh migrated database (SQLite in a temporary folder, or a schema of its own on the
PostgreSQL server `--database` names, dropped at the end) with teams whose sellers' e-mails are
their CRM owners', a fake HubSpot account per team (`--weeks` busy weeks up to today) and a
sealed connection each, never synced. Times one `sync_due` on the real clock, then checks that
the next night's re-read of the last days doubles no figure.

    .venv/bin/python -m bench.crm_backfill [--teams 10] [--sellers 10] [--weeks 8] \
        [--per-second 10] [--database URL]
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import tracemalloc
from argparse import ArgumentParser, Namespace
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from bench.fanout import maxrss_mib
from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.config import async_database_url
from pepptalk.bot.crm.access import CipherSealer
from pepptalk.bot.crm.hubspot import HubSpotSource
from pepptalk.core.crm import CrmAccess, CrmKind, CrmPage, CrmSecret, Sealer
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import UserProfile
from pepptalk.core.privacy import Policy
from pepptalk.handlers.crm import AT_ONCE, NIGHTLY_FROM, sync_due
from pepptalk.handlers.crm_figures import METRICS
from pepptalk.store.crm_models import CrmConnection
from pepptalk.store.database import Database, create_engine, migrate, open_database
from pepptalk.store.models import Metric
from tests.fakes.crm_book import busy_book
from tests.fakes.hubspot_api import FakeHubSpot
from tests.fakes.serving import served

WORKSPACE = "TBENCHCRM"
ZONE = "Europe/Oslo"
DOMAIN = "corp.example"  # where busy_book's owners have their e-mails


class CountingSource(HubSpotSource):
    """HubSpot as the sync reads it, counting the records its pages hand over."""

    records = 0

    async def page(self, secret: CrmSecret, **where: Any) -> CrmPage:
        """One page, counted."""
        found = await super().page(secret, **where)
        self.records += len(found.records)
        return found


class Stopwatch:
    """The time the fake HubSpot's endpoints, run in this process, spend answering."""

    __middleware_version__ = 1  # a middleware as @web.middleware marks one
    seconds = 0.0

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        response = await handler(request)
        self.seconds += time.perf_counter() - started
        return response


@asynccontextmanager
async def opened(url: str | None) -> AsyncIterator[Database]:
    """A migrated database: SQLite in a temporary folder, or a PostgreSQL schema of its own."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="pepptalk-crm-") as folder:
            database = await open_database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
            try:
                yield database
            finally:
                await database.close()
        return
    schema = f"bench_crm_{os.getpid()}"
    admin = create_engine(async_database_url(url))
    settings = {"server_settings": {"search_path": schema}}
    engine = create_engine(async_database_url(url), connect_args=settings)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await migrate(engine)
        yield Database(engine)
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


async def seed(database: Database, fake: FakeHubSpot, sealer: Sealer, options: Namespace) -> None:
    """Teams whose sellers are their HubSpot account's owners (by e-mail), each connected."""
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(ZONE)).date()
    first, days = today - timedelta(weeks=options.weeks), 7 * options.weeks + 1
    for t in range(options.teams):
        token, prefix = f"pat-eu1-bench-{t:04d}", f"{t}-"
        book = busy_book(owners=options.sellers, first=first, days=days, seed=t, prefix=prefix)
        fake.add(token, book)
        people = [
            UserProfile(f"U{t:04d}S{n:03d}", f"Person {t}-{n}", email=f"seller{prefix}{n}@{DOMAIN}")
            for n in range(1, options.sellers + 1)
        ]
        async with database.uow() as uow:
            seat = await uow.teams.create(
                workspace_id=WORKSPACE,
                platform=Platform.SLACK,
                name=f"Sales {t}",
                leader=UserProfile(f"ULEAD{t:04d}", f"Leader {t}", ZONE),
                timezone=ZONE,
                country="NO",
                now=now - timedelta(days=90),
            )
            await uow.teams.add_sellers(team=seat.team, people=people, now=seat.team.created_at)
            await uow.crm.connect(
                workspace_id=WORKSPACE,
                team_id=seat.team.id,
                kind=CrmKind.HUBSPOT,
                secret=sealer.seal(json.dumps({"token": token})),
                account=f"HubSpot account {t}",
                member_id=seat.member.id,
                now=now,
            )


async def tally(database: Database, day: date | None = None) -> tuple[int, float, int]:
    """Metric rows (on `day` only, if given), their sum, and the figures the last syncs wrote."""
    async with database.uow() as uow:
        query = select(func.count(), func.coalesce(func.sum(Metric.value), 0.0))
        if day is not None:
            query = query.where(Metric.day == day)
        rows, total = (await uow.session.execute(query)).one()
        written = await uow.session.scalar(select(func.sum(CrmConnection.figures)))
        return int(rows), float(total), int(written or 0)


async def run(options: Namespace) -> int:
    """Seed, time the backfill, then the next night's sync; 1 on a doubled row or an unread team."""
    fake, stopwatch = FakeHubSpot(per_second=options.per_second), Stopwatch()
    app = fake.app()
    app.middlewares.append(stopwatch)  # inside the gate: the endpoints alone, which never wait
    sealer = CipherSealer(TokenCipher([Fernet.generate_key().decode()]))
    async with opened(options.database) as database, served(app) as base_url:
        source = CountingSource(base_url=base_url)
        policy = Policy(crm=CrmAccess(sources={CrmKind.HUBSPOT: source}, sealer=sealer))
        try:
            await seed(database, fake, sealer, options)
            if options.tracemalloc:
                tracemalloc.start()
            before, now = maxrss_mib(), datetime.now(UTC)
            started, cpu, serving = time.perf_counter(), time.thread_time(), stopwatch.seconds
            read = await sync_due(database=database, now=now, policy=policy)
            wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
            serving = stopwatch.seconds - serving
            traced = tracemalloc.get_traced_memory()[1] / 2**20 if options.tracemalloc else None
            tracemalloc.stop()
            rows, total, _ = await tally(database)
            pages = Counter(
                s.portal_id for s in fake.seen if s.status == 200 and s.path.endswith("/search")
            )
            # The fake's bucket starts full (a second's worth), as HubSpot's does.
            rate, burst = options.per_second, int(options.per_second)
            busiest = max(pages.values(), default=0)
            bound = max(0, busiest - burst) / rate
            serial = sum(max(0, n - burst) for n in pages.values()) / rate
            # Only AT_ONCE accounts are read at a time: the pages left share that many buckets.
            slots = max(bound, serial / AT_ONCE)
            print(
                f"first sync of {options.teams} teams x {options.sellers} sellers, "
                f"{options.weeks}-week books, {'PostgreSQL' if options.database else 'SQLite'}; "
                f"HubSpot at {rate:g} requests/s per account, {AT_ONCE} accounts read at once"
            )
            print(
                f"   connections read {read}; pages served {fake.pages} (at most "
                f"{busiest} for one account), records read {source.records:,}, "
                f"figures stored {rows:,} (rows in metrics); 429s answered {fake.rate_limited}, "
                f"{source.usage.waited_seconds:.1f} s waited out in all"
            )
            print(
                f"   wall {wall:.1f} s; limit-bound {bound:.1f} s (the busiest account), "
                f"{slots:.1f} s with {AT_ONCE} at once, {serial:.1f} s one account after another; "
                f"wall / limit-bound {f'{wall / bound:.1f}x' if bound else 'n/a'}, / "
                f"{AT_ONCE}-at-once bound {f'{wall / slots:.1f}x' if slots else 'n/a'}"
            )
            print(
                f"   {rows / wall:,.0f} figures/s, {source.records / wall:,.0f} records/s; "
                f"main thread CPU {cpu:.1f} s, of it the fake HubSpot's endpoints {serving:.1f} s; "
                f"peak RSS {maxrss_mib():.0f} MiB ({before:.0f} MiB before the sync)"
                + (f", tracemalloc peak {traced:.1f} MiB" if traced is not None else "")
            )
            # The next night's sync, as soon as it may run: the last days again, and a new one.
            new_day = now.astimezone(ZoneInfo(ZONE)).date() + timedelta(days=1)
            later = datetime.combine(new_day, clock(NIGHTLY_FROM), ZoneInfo(ZONE))
            started = time.perf_counter()
            again = await sync_due(database=database, now=later, policy=policy)
            second = time.perf_counter() - started
            after, after_total, rewritten = await tally(database)
            fresh, _, _ = await tally(database, new_day)
            whole = after - rows == fresh == options.teams * options.sellers * len(METRICS)
            kept = abs(after_total - total) < 1e-6
            print(
                f"next night ({later:%Y-%m-%d %H:%M} in {ZONE}): read {again} connections in "
                f"{second:.1f} s, {rewritten:,} figures written ({rewritten // max(fresh, 1)} "
                f"days each); rows {rows:,} -> {after:,} (+{fresh} for {new_day}); "
                f"sum of values {total:,.0f} -> {after_total:,.0f}: "
                + ("no figure doubled" if whole and kept else "DOUBLED OR LOST")
            )
            return 0 if whole and kept and read == again == options.teams else 1
        finally:
            await source.close()


def cli() -> Namespace:
    """The command line."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10, help="teams, a HubSpot account each")
    parser.add_argument("--sellers", type=int, default=10, help="sellers per team")
    parser.add_argument("--weeks", type=int, default=8, help="weeks of CRM history")
    parser.add_argument("--per-second", type=float, default=10, help="requests/s per account")
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace allocations (slow)")
    args = parser.parse_args()
    if min(args.teams, args.sellers, args.weeks) < 1 or args.per_second <= 0:
        parser.error("every count must be at least 1")
    return args


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run(cli())))
