"""Check-in fan-out: `pepptalk send checkins` to thousands of sellers against the fake Web API.

Seeds a fresh SQLite database with teams of sellers (check-in 08:30, Europe/Oslo), then runs
the real job path, `run_job(services, "checkins", at=...)`, as the CLI does, at Monday
23 November 2026 08:31 in Oslo. Two runs: one clean, one where the fake answers 429 to one
chat.postMessage in 20. Prints throughput, peak memory, and checks each seller got one message.

    .venv/bin/python bench/fanout.py [--sellers 2000] [--teams 10] [--retry-after 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pepptalk.bot.app import create_app  # noqa: E402
from pepptalk.bot.config import Settings  # noqa: E402
from pepptalk.bot.db import create_engine, create_store, migrate  # noqa: E402
from pepptalk.bot.jobs import JobReport, run_job  # noqa: E402
from pepptalk.handlers.ports import UserProfile  # noqa: E402
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi  # noqa: E402

# Monday 23 November 2026, 08:31 in Oslo (UTC+1): a workday, one minute after check-in time.
INSTANT = datetime(2026, 11, 23, 7, 31, tzinfo=UTC)
# When the teams were set up: some weeks before.
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ZONE = "Europe/Oslo"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What one run did and cost."""

    name: str
    report: JobReport
    seconds: float
    startup_seconds: float
    traced_peak: int
    maxrss_before: float
    maxrss_after: float
    posts_per_seller: Counter[str]
    sellers: set[str]
    served_429: int


def maxrss_mib() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(url: str, fake: FakeSlackApi, *, sellers: int, teams: int) -> set[str]:
    """Create `teams` teams sharing `sellers` sellers; every seller is in the fake's directory."""
    engine = create_engine(url)
    try:
        await migrate(engine)
        store = create_store(engine)
        seeded: set[str] = set()
        for t in range(teams):
            leader = UserProfile(user_id=f"ULEAD{t:04d}", name=f"Leader {t}", timezone=ZONE)
            fake.add_user(leader.user_id, leader.name, ZONE)
            seat = await store.create_team(
                workspace_id=WORKSPACE,
                platform="slack",
                name=f"Sales {t}",
                leader=leader,
                timezone=ZONE,
                country="NO",
                now=CREATED,
            )
            await store.update_team(seat.team.id, checkin_time="08:30")
            people = [
                UserProfile(user_id=f"U{n:07d}", name=f"Seller {n}", timezone=ZONE)
                for n in range(t, sellers, teams)
            ]
            for person in people:
                fake.add_user(person.user_id, person.name, ZONE)
            await store.add_sellers(team=seat.team, people=people, now=CREATED)
            seeded.update(p.user_id for p in people)
        return seeded
    finally:
        await engine.dispose()


async def one_run(
    name: str, *, sellers: int, teams: int, limit_every: int | None, retry_after: int
) -> Outcome:
    """Seed a fresh database, then time the check-in job against a fresh fake."""
    fake = await FakeSlackApi(limit_every=limit_every, retry_after=retry_after).start()
    try:
        with tempfile.TemporaryDirectory(prefix="pepptalk-fanout-") as tmp:
            database_url = f"sqlite:///{Path(tmp) / 'pepptalk.db'}"
            settings = Settings(
                database_url=database_url,
                slack_bot_token=TOKEN,
                slack_signing_secret="bench-signing-secret",
                slack_api_url=fake.base_url,
            )
            seeded = await seed(settings.async_database_url, fake, sellers=sellers, teams=teams)
            maxrss_before = maxrss_mib()
            tracemalloc.start()
            started = time.perf_counter()
            pepptalk = await create_app(settings)
            startup = time.perf_counter() - started
            try:
                started = time.perf_counter()
                report = await run_job(pepptalk.services, "checkins", at=INSTANT)
                seconds = time.perf_counter() - started
            finally:
                await pepptalk.close()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
    finally:
        await fake.stop()
    posts = Counter(str(call.args.get("channel")) for call in fake.called("chat.postMessage"))
    return Outcome(
        name=name,
        report=report,
        seconds=seconds,
        startup_seconds=startup,
        traced_peak=peak,
        maxrss_before=maxrss_before,
        maxrss_after=maxrss_mib(),
        posts_per_seller=posts,
        sellers=seeded,
        served_429=fake.rate_limited,
    )


def show(outcome: Outcome) -> bool:
    """Print one run; whether every seller got exactly one message and nobody else got any."""
    drain = outcome.report.drain
    posts = outcome.posts_per_seller
    missing = [s for s in outcome.sellers if posts[s] == 0]
    doubled = [s for s in outcome.sellers if posts[s] > 1]
    strangers = [c for c in posts if c not in outcome.sellers]
    exact = not missing and not doubled and not strangers
    print(f"== {outcome.name}")
    print(
        f"   queued {outcome.report.queued}; sent {drain.sent}, skipped {drain.skipped}, "
        f"retried later {drain.retried}, failed {drain.failed}"
    )
    print(
        f"   wall {outcome.seconds:.2f} s for run_job (+{outcome.startup_seconds:.2f} s "
        f"create_app), {drain.sent / outcome.seconds:.1f} messages/s"
    )
    print(
        f"   429s served by the fake: {outcome.served_429}; seen by the outbox: "
        f"{drain.rate_limited}; outbox waited {drain.waited_seconds:.1f} s in total"
    )
    print(
        f"   peak memory: tracemalloc {outcome.traced_peak / MIB:.1f} MiB (Python allocations, "
        f"fake server included); ru_maxrss {outcome.maxrss_before:.1f} -> "
        f"{outcome.maxrss_after:.1f} MiB (process high-water mark)"
    )
    verdict = "yes" if exact else "NO"
    print(
        f"   every seller got exactly one message: {verdict} "
        f"({len(outcome.sellers)} sellers, {sum(posts.values())} chat.postMessage accepted, "
        f"{len(missing)} missing, {len(doubled)} doubled, {len(strangers)} to non-sellers)"
    )
    if drain.errors:
        print(f"   errors: {Counter(drain.errors).most_common(5)}")
    return exact


async def main(*, sellers: int, teams: int, retry_after: int, limit_every: int) -> int:
    """Both runs; exit status 1 if any seller did not get exactly one message."""
    print(
        f"check-ins for {sellers} sellers in {teams} team(s) at {INSTANT.isoformat()} "
        f"(08:31 Monday in Oslo)"
    )
    clean = await one_run("clean", sellers=sellers, teams=teams, limit_every=None, retry_after=1)
    ok = show(clean)
    limited = await one_run(
        f"429 on 1 in {limit_every} chat.postMessage, Retry-After {retry_after} s",
        sellers=sellers,
        teams=teams,
        limit_every=limit_every,
        retry_after=retry_after,
    )
    ok = show(limited) and ok
    return 0 if ok else 1


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=2000, help="sellers in total")
    parser.add_argument("--teams", type=int, default=10, help="teams the sellers are split into")
    parser.add_argument(
        "--retry-after", type=int, default=1, help="seconds the fake asks to wait after a 429"
    )
    parser.add_argument(
        "--limit-every", type=int, default=20, help="the fake answers 429 to every Nth post"
    )
    args = parser.parse_args()
    if args.sellers < 1 or args.teams < 1 or args.teams > args.sellers:
        parser.error("need at least one seller per team")
    if args.retry_after < 0 or args.limit_every < 2:
        parser.error("--retry-after must be >= 0 and --limit-every >= 2")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = cli()
    sys.exit(
        asyncio.run(
            main(
                sellers=options.sellers,
                teams=options.teams,
                retry_after=options.retry_after,
                limit_every=options.limit_every,
            )
        )
    )
