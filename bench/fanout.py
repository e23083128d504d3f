"""Check-in fan-out: `pepptalk send checkins` to thousands of sellers against the fake Web API.

Seeds a fresh SQLite database with teams of sellers (check-in 08:30, Europe/Oslo), then runs
the real job path, `run_job(services, "checkins", at=...)`, as the CLI does, at 08:31 in Oslo
on the next workday. Two runs: one clean, one where the fake answers 429 to one
chat.postMessage in 20. Prints throughput, peak memory, and checks each seller got one message.

    .venv/bin/python -m bench.fanout [--sellers 2000] [--teams 10] [--retry-after 1]
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
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import JobReport, run_job
from pepptalk.core.calendar import holiday
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import open_database
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi

ZONE = "Europe/Oslo"


def next_workday(now: datetime) -> datetime:
    """08:31 in Oslo on the first workday there after `now`'s date (Monday to Friday, not a
    Norwegian public holiday), one minute after check-in time. A day still to come, so a send
    the fake pauses is waited out, never handed back as past its day."""
    zone = ZoneInfo(ZONE)
    day = now.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5 or holiday("NO", day) is not None:
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(8, 31), tzinfo=zone).astimezone(UTC)


# The next workday's 08:31 in Oslo, one minute after check-in time: a day still to come, so a
# send the fake pauses is waited out rather than handed back as past its day.
INSTANT = next_workday(datetime.now(UTC))
# When the teams were set up: some weeks before.
CREATED = INSTANT - timedelta(weeks=3)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Scenario:
    """One way the fake Web API behaves during a run."""

    name: str
    limit_every: int | None
    retry_after: int


@dataclass(frozen=True)
class Outcome:
    """What one run did and cost."""

    report: JobReport
    seconds: float
    startup_seconds: float
    traced_peak: int | None
    maxrss_before: float
    maxrss_after: float
    posts_per_seller: Counter[str]
    sellers: set[str]
    served_429: int

    @property
    def missing(self) -> int:
        """Sellers who got no message."""
        return sum(1 for s in self.sellers if self.posts_per_seller[s] == 0)

    @property
    def doubled(self) -> int:
        """Sellers who got more than one message."""
        return sum(1 for s in self.sellers if self.posts_per_seller[s] > 1)

    @property
    def strangers(self) -> int:
        """Channels that got a message but are not sellers (leaders, say)."""
        return sum(1 for c in self.posts_per_seller if c not in self.sellers)

    @property
    def exactly_once(self) -> bool:
        """Whether every seller got exactly one message and nobody else got any."""
        return not (self.missing or self.doubled or self.strangers)


def maxrss_mib() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(url: str, fake: FakeSlackApi, *, sellers: int, teams: int) -> set[str]:
    """Create `teams` teams sharing `sellers` sellers; every seller is in the fake's directory."""
    database = await open_database(url)
    try:
        seeded: set[str] = set()
        for t in range(teams):
            leader = UserProfile(user_id=f"ULEAD{t:04d}", name=f"Leader {t}", timezone=ZONE)
            fake.add_user(leader.user_id, leader.name, ZONE)
            people = [
                UserProfile(user_id=f"U{n:07d}", name=f"Seller {n}", timezone=ZONE)
                for n in range(t, sellers, teams)
            ]
            for person in people:
                fake.add_user(person.user_id, person.name, ZONE)
            async with database.uow() as uow:
                seat = await uow.teams.create(
                    workspace_id=WORKSPACE,
                    platform=Platform.SLACK,
                    name=f"Sales {t}",
                    leader=leader,
                    timezone=ZONE,
                    country="NO",
                    now=CREATED,
                )
                seat.team.checkin_time = "08:30"
                await uow.teams.add_sellers(team=seat.team, people=people, now=CREATED)
            seeded.update(p.user_id for p in people)
        return seeded
    finally:
        await database.close()


async def one_run(scenario: Scenario, *, sellers: int, teams: int, trace: bool) -> Outcome:
    """Seed a fresh database, then time the check-in job against a fresh fake."""
    fake = await FakeSlackApi(
        limit_every=scenario.limit_every, retry_after=scenario.retry_after
    ).start()
    peak: int | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="pepptalk-fanout-") as tmp:
            settings = Settings(
                database_url=f"sqlite:///{Path(tmp) / 'pepptalk.db'}",
                slack_bot_token=SecretStr(TOKEN),
                slack_signing_secret=SecretStr("bench-signing-secret"),
                slack_api_url=fake.base_url,
            )
            seeded = await seed(settings.async_database_url, fake, sellers=sellers, teams=teams)
            maxrss_before = maxrss_mib()
            if trace:
                tracemalloc.start()
            try:
                started = time.perf_counter()
                pepptalk = await create_app(settings)
                startup = time.perf_counter() - started
                try:
                    started = time.perf_counter()
                    report = await run_job(pepptalk.services, "checkins", at=INSTANT)
                    seconds = time.perf_counter() - started
                finally:
                    await pepptalk.close()
            finally:
                if trace:
                    peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
    finally:
        await fake.stop()
    return Outcome(
        report=report,
        seconds=seconds,
        startup_seconds=startup,
        traced_peak=peak,
        maxrss_before=maxrss_before,
        maxrss_after=maxrss_mib(),
        posts_per_seller=Counter(
            str(call.args.get("channel")) for call in fake.called("chat.postMessage")
        ),
        sellers=seeded,
        served_429=fake.rate_limited,
    )


def show(scenario: Scenario, outcome: Outcome) -> None:
    """Print one timed run."""
    drain = outcome.report.drain
    posts = outcome.posts_per_seller
    print(f"== {scenario.name}")
    print(
        f"   queued {outcome.report.queued}; sent {drain.sent}, skipped {drain.skipped}, "
        f"retried later {drain.retried}, failed {drain.failed}"
    )
    print(
        f"   wall {outcome.seconds:.2f} s for run_job (+{outcome.startup_seconds:.2f} s "
        f"create_app), {drain.sent / outcome.seconds:.1f} messages/s"
    )
    print(
        f"   429s served by the fake: {outcome.served_429}; "
        f"rate-limit answers seen by the outbox: {drain.rate_limited}"
    )
    if outcome.traced_peak is not None:
        print(f"   tracemalloc peak: {outcome.traced_peak / MIB:.1f} MiB (traced while timed)")
    print(
        f"   ru_maxrss: {outcome.maxrss_before:.1f} MiB before the job, "
        f"{outcome.maxrss_after:.1f} MiB after (process high-water mark)"
    )
    print(
        f"   every seller got exactly one message: {'yes' if outcome.exactly_once else 'NO'} "
        f"({len(outcome.sellers)} sellers, {sum(posts.values())} chat.postMessage accepted; "
        f"{outcome.missing} missing, {outcome.doubled} doubled, "
        f"{outcome.strangers} to non-sellers)"
    )
    if drain.errors:
        print(f"   errors: {Counter(drain.errors).most_common(5)}")


def show_traced(scenario: Scenario, outcome: Outcome) -> None:
    """Print the memory pass of a scenario."""
    assert outcome.traced_peak is not None
    print(
        f"   {scenario.name}: tracemalloc peak {outcome.traced_peak / MIB:.1f} MiB "
        f"(run_job took {outcome.seconds:.1f} s with tracing on; sent "
        f"{outcome.report.drain.sent}, 429s {outcome.served_429}; exactly once: "
        f"{'yes' if outcome.exactly_once else 'NO'})"
    )


async def main(
    *, sellers: int, teams: int, retry_after: int, limit_every: int, memory: str, warmup: bool
) -> int:
    """Every run; exit status 1 if any seller did not get exactly one message."""
    scenarios = [
        Scenario("clean", limit_every=None, retry_after=retry_after),
        Scenario(
            f"429 on 1 in {limit_every} chat.postMessage, Retry-After {retry_after} s",
            limit_every=limit_every,
            retry_after=retry_after,
        ),
    ]
    print(
        f"check-ins for {sellers} sellers in {teams} team(s) at {INSTANT.isoformat()} "
        f"(08:31 Monday in Oslo)"
    )
    ok = True
    if warmup:
        # Imports, locale data and holiday tables load on first use; keep them out of the figures.
        await one_run(scenarios[0], sellers=min(sellers, 20), teams=1, trace=False)
    for scenario in scenarios:
        outcome = await one_run(scenario, sellers=sellers, teams=teams, trace=memory == "inline")
        show(scenario, outcome)
        ok = ok and outcome.exactly_once
    if memory == "separate":
        print("== memory passes (tracemalloc slows the job, so these are run apart from timing)")
        for scenario in scenarios:
            outcome = await one_run(scenario, sellers=sellers, teams=teams, trace=True)
            show_traced(scenario, outcome)
            ok = ok and outcome.exactly_once
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
    parser.add_argument(
        "--tracemalloc",
        choices=("separate", "inline", "off"),
        default="separate",
        help="measure Python allocations in extra runs (default), while timing, or not at all",
    )
    parser.add_argument(
        "--no-warmup", action="store_true", help="skip the small untimed run that loads caches"
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
                memory=options.tracemalloc,
                warmup=not options.no_warmup,
            )
        )
    )
