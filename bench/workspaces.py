"""Check-ins across many Slack workspaces, under limits like Slack's, each workspace with its own
token or an Enterprise Grid organisation's: how close the morning fan-out comes to the time the
limits themselves impose.

Seeds a fresh SQLite database with `--workspaces` workspaces and one team per workspace,
`--sellers` sellers in all. The first `--org-workspaces` of them belong to one Enterprise Grid
organisation with one org-wide install; the others are installed one by one (tokens encrypted,
as an install through /slack/install stores them). The fake Web API then enforces, on
chat.postMessage: a token bucket per workspace (`--per-minute` with bursts of `--burst`), one
message a second per channel, and a share of 429s at random (`--random-429`, Retry-After drawn
from `--retry-after`, e.g. `1-3`). Pepptalk runs in multi-workspace mode (SLACK_CLIENT_ID/SECRET,
PEPPTALK_ENCRYPTION_KEY) and runs the real job path, as `pepptalk send checkins` does, at 08:31
in Oslo on the next workday there.

The bound: each workspace can take its burst at once and then `--per-minute` a minute, so its
sellers need at least (sellers - burst) / rate. Its random 429s hold it for as long as their
Retry-After said, but its bucket refills meanwhile (up to the burst), so a hold costs time only
while the bucket is full: the bound replays each workspace's own 429s, between the same posts, to
a sender with no latency that posts whenever the bucket lets it. The slowest workspace bounds the
fan-out. The ratio of the wall time (queueing and sending, as run_job does them) to that bound is
the figure (1.00x: as fast as the limits allow).

    .venv/bin/python -m bench.workspaces [--sellers 10000] [--workspaces 100]
        [--org-workspaces 20] [--retry-after 1-3] [--profile 25]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import math
import pstats
import random
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select

from bench.fanout import maxrss_mib, next_workday
from pepptalk.bot.app import create_app
from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import claim, drain
from pepptalk.bot.slack.installs import PepptalkInstallationStore
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import Database, open_database
from pepptalk.store.models import Delivery
from tests.fakes.slack_api import CLIENT_ID, CLIENT_SECRET, FakeSlackApi

ZONE = "Europe/Oslo"
COUNTRY = "NO"
# The Enterprise Grid organisation the first --org-workspaces workspaces belong to.
ORG, ORG_NAME = "E0BENCH", "Bench Grid"


def workspace_id(n: int) -> str:
    """The Slack team id of the n-th workspace."""
    return f"T{n:05d}"


def retry_after_range(text: str) -> tuple[int, int]:
    """`2` or `1-3`: the seconds a random 429 asks to wait, drawn evenly from that range."""
    low, _, high = text.partition("-")
    first, last = int(low), int(high or low)
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"{text!r}: want N or A-B with 1 <= A <= B")
    return first, last


@dataclass(frozen=True)
class Refusal:
    """A random 429: when (the event loop's clock), the Retry-After it said, and how many of
    its workspace's posts had been accepted before it."""

    at: float
    wait: int
    after: int


@dataclass
class SlackLikeApi(FakeSlackApi):
    """The fake Web API, whose random 429s on chat.postMessage (`share` of the posts, before
    any bucket is asked) each ask for a wait drawn from `waits`. Each is recorded with its
    workspace, so the bound can replay them."""

    share: float = 0.0
    waits: tuple[int, int] = (1, 1)
    # Each workspace's random 429s, and how many of its posts the limits let through.
    refusals: dict[str, list[Refusal]] = field(default_factory=dict)
    passed: Counter[str] = field(default_factory=Counter)
    # Seconds the fake's handlers spent answering (it shares the process, and the loop).
    busy: float = 0.0
    _draws: random.Random = field(default_factory=lambda: random.Random(29))

    def _limited(self, workspace: str, channel: str = "") -> web.Response | None:
        if self.share and self._draws.random() < self.share:
            wait = self._draws.randint(*self.waits)
            now = asyncio.get_running_loop().time()
            refusal = Refusal(now, wait, self.passed[workspace])
            self.refusals.setdefault(workspace, []).append(refusal)
            return self._rate_limited(wait)
        refused = super()._limited(workspace, channel)
        if refused is None:
            self.passed[workspace] += 1
        return refused

    async def _api(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            return await super()._api(request)
        finally:
            self.busy += time.perf_counter() - started


def holds(refusals: list[Refusal], accepted: list[float]) -> dict[int, float]:
    """How long the random 429s held a workspace before each of its posts (by how many had
    gone before), given when its posts were accepted (sorted). A post already under way when a
    429 came may still land during the wait: it counts as gone before the hold, and the hold
    starts when the last of them landed. Holds between the same two posts that overlap count
    once, for the union of their waits."""
    spans: list[tuple[int, float, float]] = []
    for refusal in refusals:
        stop = refusal.at + refusal.wait
        first, last = bisect_left(accepted, refusal.at), bisect_left(accepted, stop)
        start = accepted[last - 1] if last > first else refusal.at
        spans.append((refusal.after + last - first, start, stop))
    held: dict[int, float] = {}
    end = -math.inf
    for after, start, stop in sorted(spans):
        if after not in held:
            held[after], end = 0.0, -math.inf
        if stop > end:
            held[after] += stop - max(start, end)
            end = stop
    return held


def least_seconds(posts: int, *, per_second: float, burst: int, held: dict[int, float]) -> float:
    """The least time `posts` posts take in a workspace whose bucket starts full (`burst`) and
    refills at `per_second`, and which its random 429s hold as `held` says: a sender with no
    latency that posts whenever the bucket has room and obeys every Retry-After. The bucket
    refills during a hold, up to its burst, so a hold costs time only where it is full."""
    elapsed, level = 0.0, float(burst)
    for n in range(posts):
        if hold := held.get(n, 0.0):
            elapsed += hold
            level = min(float(burst), level + hold * per_second)
        if level < 1:
            elapsed += (1 - level) / per_second
            level = 1.0
        level -= 1
    return elapsed


@dataclass(frozen=True)
class Bound:
    """The least time the limits allow: `caps` from the workspace caps alone, and `total` with
    the holds of the random 429s, for the slowest workspace (`workspace`), which `refused`
    random 429s asked to wait `asked` seconds in all."""

    caps: float
    total: float
    workspace: str
    refused: int
    asked: int


def bound(
    per_workspace: Counter[str],
    *,
    per_minute: float,
    burst: int,
    refusals: Mapping[str, list[Refusal]],
    accepted: Mapping[str, list[float]],
) -> Bound:
    """The slowest workspace's least time under the caps and its own random 429s (`accepted`:
    when each workspace's posts were accepted, sorted)."""
    rate = per_minute / 60
    caps = max(max(0, n - burst) / rate for n in per_workspace.values())
    least = {
        w: least_seconds(
            n,
            per_second=rate,
            burst=burst,
            held=holds(refusals.get(w, []), accepted.get(w, [])),
        )
        for w, n in per_workspace.items()
    }
    slowest = max(least, key=lambda w: least[w])
    own = refusals.get(slowest, [])
    return Bound(caps, least[slowest], slowest, len(own), sum(r.wait for r in own))


@dataclass(frozen=True)
class Seeded:
    """Who was seeded: each seller's workspace, and the token each workspace's messages must
    carry (its own, or its organisation's)."""

    sellers: dict[str, str]
    tokens: dict[str, str]
    org: list[str]


async def seed(
    url: str,
    fake: FakeSlackApi,
    key: str,
    *,
    sellers: int,
    workspaces: int,
    org_workspaces: int = 0,
    created: datetime,
) -> Seeded:
    """Install Pepptalk in every workspace (the first `org_workspaces` through their
    organisation's one org-wide install, as Slack's OAuth answer for it is stored, with the
    workspace -> organisation map its events leave) and give each a team."""
    database = await open_database(url)
    store = PepptalkInstallationStore(
        database=database, cipher=TokenCipher([key]), clock=lambda: created
    )
    seeded: dict[str, str] = {}
    tokens: dict[str, str] = {}
    org = [workspace_id(w) for w in range(org_workspaces)]
    try:
        if org:
            fake.add_org(ORG, ORG_NAME, org)
            token = f"xoxb-bench-{ORG}-secret"
            fake.tokens[token] = ORG
            await store.async_save(
                Installation(
                    enterprise_id=ORG,
                    enterprise_name=ORG_NAME,
                    team_id=None,
                    is_enterprise_install=True,
                    bot_token=token,
                    bot_id=f"B{ORG}",
                    bot_user_id=f"UBOT{ORG}",
                    bot_scopes="chat:write,users:read",
                    user_id="UORGADMIN",
                )
            )
            async with database.uow() as uow:
                await uow.installations.remember_org_workspaces(ORG, org, now=created)
            tokens.update(dict.fromkeys(org, token))
        for w in range(workspaces):
            team_id = workspace_id(w)
            if team_id not in tokens:
                token = f"xoxb-bench-{team_id}-secret"
                fake.tokens[token] = team_id
                tokens[team_id] = token
                await store.async_save(
                    Installation(
                        team_id=team_id,
                        team_name=f"Workspace {w}",
                        bot_token=token,
                        bot_id=f"B{team_id}",
                        bot_user_id=f"UBOT{team_id}",
                        bot_scopes="chat:write,users:read",
                        user_id=f"ULEAD{w:05d}",
                    )
                )
            leader = UserProfile(user_id=f"ULEAD{w:05d}", name=f"Leader {w}", timezone=ZONE)
            people = [
                UserProfile(user_id=f"U{n:07d}", name=f"Seller {n}", timezone=ZONE)
                for n in range(w, sellers, workspaces)
            ]
            for person in [leader, *people]:
                fake.add_user(person.user_id, person.name, ZONE, workspace=team_id)
            async with database.uow() as uow:
                seat = await uow.teams.create(
                    workspace_id=team_id,
                    platform=Platform.SLACK,
                    name="Sales",
                    leader=leader,
                    timezone=ZONE,
                    country=COUNTRY,
                    now=created,
                )
                seat.team.checkin_time = "08:30"
                await uow.teams.add_sellers(team=seat.team, people=people, now=created)
            seeded.update((p.user_id, team_id) for p in people)
        return Seeded(seeded, tokens, org)
    finally:
        await database.close()


@dataclass(frozen=True)
class Tally:
    """What the fake accepted, seller by seller."""

    accepted: int
    lost: int
    doubled: int
    wrong_token: int
    to_others: int
    # When the last seller got their first message (the event loop's clock).
    all_in_at: float | None

    @property
    def exact(self) -> bool:
        """Every seller got exactly one message, with the token of their workspace's install,
        and nobody else got one."""
        return self.lost == self.doubled == self.wrong_token == self.to_others == 0


def tally(fake: FakeSlackApi, seeded: Seeded) -> Tally:
    """Count the fake's accepted chat.postMessage calls per seller."""
    accepted = fake.called("chat.postMessage")
    per_seller = Counter(str(call.args.get("channel")) for call in accepted)
    wrong = sum(
        1
        for call in accepted
        if (where := seeded.sellers.get(str(call.args.get("channel")))) is not None
        and (call.workspace != where or call.token != seeded.tokens[where])
    )
    first: dict[str, float] = {}
    for answer in fake.answers:
        if answer.method == "chat.postMessage" and answer.status == 200:
            first.setdefault(answer.channel, answer.at)
    reached = [first[seller] for seller in seeded.sellers if seller in first]
    return Tally(
        accepted=len(accepted),
        lost=sum(1 for seller in seeded.sellers if per_seller[seller] == 0),
        doubled=sum(1 for seller in seeded.sellers if per_seller[seller] > 1),
        wrong_token=wrong,
        to_others=sum(n for channel, n in per_seller.items() if channel not in seeded.sellers),
        all_in_at=max(reached) if reached else None,
    )


def accepted_at(fake: FakeSlackApi) -> dict[str, list[float]]:
    """When the fake accepted each workspace's posts (the event loop's clock), in order."""
    times: dict[str, list[float]] = {}
    for answer in fake.answers:
        if answer.method == "chat.postMessage" and answer.status == 200 and answer.workspace:
            times.setdefault(answer.workspace, []).append(answer.at)
    return times


def spread_line(fake: FakeSlackApi, begun: float) -> str:
    """When the workspaces' posts began and ended, in seconds from `begun` (the event loop's
    clock): a workspace that starts late finishes late."""
    first: dict[str, float] = {}
    for answer in fake.answers:
        if answer.method == "chat.postMessage" and answer.workspace:
            first.setdefault(answer.workspace, answer.at - begun)
    ends = {w: times[-1] - begun for w, times in accepted_at(fake).items()}
    if not ends:
        return "   nothing posted"
    last = max(ends, key=lambda w: ends[w])
    return (
        f"   workspaces' first posts {min(first.values()):.1f} to {max(first.values()):.1f} s "
        f"after the start; the last to finish, {last}, posted from {first[last]:.1f} to "
        f"{ends[last]:.1f} s"
    )


async def statuses(database: Database) -> Counter[str]:
    """The outbox's rows by status."""
    async with database.uow() as uow:
        rows = await uow.session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return Counter({str(status): int(n) for status, n in rows})


def limits_line(options: argparse.Namespace) -> str:
    """The limits the fake enforces, in one line."""
    low, high = options.retry_after
    asks = f"{low} s" if low == high else f"{low}-{high} s"
    return (
        f"   limits: {options.per_minute:g}/min per workspace (bursts of {options.burst}), "
        f"1/s per channel, {options.random_429:.0%} of posts answered 429 at random "
        f"(Retry-After {asks})"
    )


def bound_line(wall: float, limit: Bound) -> str:
    """Wall time against the bound, in one line."""
    if not limit.total:
        return f"   wall {wall:.1f} s; the limits impose nothing at this size"
    return (
        f"   wall {wall:.1f} s; the limits impose {limit.total:.1f} s ({limit.workspace}: "
        f"{limit.refused} random 429s asking {limit.asked} s in all, on top of the caps' "
        f"{limit.caps:.1f} s); ratio {wall / limit.total:.2f}x"
    )


def start_fake(options: argparse.Namespace) -> SlackLikeApi:
    """The fake Web API with the limits the options ask for (not started)."""
    return SlackLikeApi(
        tokens={},
        workspace_per_minute=options.per_minute,
        workspace_burst=options.burst,
        channel_per_second=1.0,
        share=options.random_429,
        waits=options.retry_after,
    )


async def run(options: argparse.Namespace) -> int:
    """One timed fan-out; exit status 1 if a seller got no message, or two."""
    fake = start_fake(options)
    await fake.start()
    key = Fernet.generate_key().decode()
    now = datetime.now(UTC)
    instant = next_workday(now)
    profile = cProfile.Profile() if options.profile else None
    try:
        with tempfile.TemporaryDirectory(prefix="pepptalk-workspaces-") as tmp:
            settings = Settings(
                _env_file=None,
                database_url=f"sqlite:///{Path(tmp) / 'pepptalk.db'}",
                slack_client_id=CLIENT_ID,
                slack_client_secret=SecretStr(CLIENT_SECRET),
                pepptalk_encryption_key=SecretStr(key),
                slack_signing_secret=SecretStr("bench-signing-secret"),
                slack_api_url=fake.base_url,
            )
            started = time.perf_counter()
            seeded = await seed(
                settings.async_database_url,
                fake,
                key,
                sellers=options.sellers,
                workspaces=options.workspaces,
                org_workspaces=options.org_workspaces,
                created=now - timedelta(days=30),
            )
            local = instant.astimezone(ZoneInfo(ZONE))
            org = (
                f", {len(seeded.org)} of them one Enterprise Grid organisation's (one org-wide "
                "install)"
                if seeded.org
                else ""
            )
            print(
                f"check-ins for {len(seeded.sellers)} sellers in {options.workspaces} workspaces"
                f"{org}, at {local:%H:%M %A %d %B %Y} in Oslo (seeded in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            pepptalk = await create_app(settings)
            try:
                # run_job's two steps, timed apart: queueing, then sending.
                services = pepptalk.services
                rss_before = maxrss_mib()
                cpu = time.process_time()
                if profile is not None:
                    profile.enable()
                started, begun = time.perf_counter(), asyncio.get_running_loop().time()
                queued = await claim(services, "checkins", at=instant, queued_at=services.clock())
                queueing = time.perf_counter() - started
                report = await drain(services)
                wall = time.perf_counter() - started
                if profile is not None:
                    profile.disable()
                cpu = time.process_time() - cpu
                left = await statuses(services.database)
            finally:
                await pepptalk.close()
    finally:
        await fake.stop()
    counted = tally(fake, seeded)
    limit = bound(
        Counter(seeded.sellers.values()),
        per_minute=options.per_minute,
        burst=options.burst,
        refusals=fake.refusals,
        accepted=accepted_at(fake),
    )
    random_429s = sum(len(r) for r in fake.refusals.values())
    print(limits_line(options))
    print(
        f"   queued {queued} in {queueing:.1f} s; sent {report.sent}, retried later "
        f"{report.retried}, failed {report.failed}; 429s served {fake.rate_limited} "
        f"({random_429s} at random), seen {report.rate_limited}"
    )
    print(bound_line(wall, limit))
    print(spread_line(fake, begun))
    print(
        f"   lost {counted.lost} (outbox after the run: {left['pending']} pending, "
        f"{left['failed']} failed), doubled {counted.doubled}, sent with another install's "
        f"token {counted.wrong_token}"
    )
    print(
        f"   CPU {cpu:.1f} s in {wall:.1f} s (the fake's handlers about {fake.busy:.1f} s of "
        f"it); peak RSS {maxrss_mib():.0f} MiB ({rss_before:.0f} MiB before the job)"
    )
    if report.errors:
        print(f"   errors: {Counter(report.errors).most_common(3)}")
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(options.profile)
        print(out.getvalue())
    return 0 if counted.exact and not left["pending"] and not left["failed"] else 1


def add_limits(parser: argparse.ArgumentParser) -> None:
    """The options the fan-out benchmarks share: who is seeded and the fake's limits."""
    parser.add_argument("--sellers", type=int, default=10_000, help="sellers in all")
    parser.add_argument("--workspaces", type=int, default=100, help="workspaces, a team each")
    parser.add_argument(
        "--org-workspaces",
        type=int,
        default=0,
        help="workspaces served by one Enterprise Grid organisation's org-wide install",
    )
    parser.add_argument("--per-minute", type=float, default=100, help="each workspace's cap")
    parser.add_argument("--burst", type=int, default=20, help="posts a workspace takes at once")
    parser.add_argument("--random-429", type=float, default=0.05, help="share answered 429")
    parser.add_argument(
        "--retry-after",
        type=retry_after_range,
        default=(1, 1),
        help="seconds a random 429 asks: N, or A-B drawn evenly",
    )


def check_limits(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse options that make no sense together."""
    if args.workspaces < 1 or args.sellers < args.workspaces:
        parser.error("need at least one seller per workspace")
    if not 0 <= args.org_workspaces <= args.workspaces:
        parser.error("--org-workspaces must be between 0 and --workspaces")
    if args.per_minute <= 0 or args.burst < 1 or not 0 <= args.random_429 < 1:
        parser.error("--per-minute > 0, --burst >= 1 and 0 <= --random-429 < 1")


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_limits(parser)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="run under cProfile and print its N costliest functions (slows the run)",
    )
    args = parser.parse_args()
    check_limits(parser, args)
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(run(cli())))
