"""Check-ins across many Slack workspaces, under limits like Slack's, each workspace with its own
token: how close the morning fan-out comes to the time the limits themselves impose.

Seeds a fresh SQLite database with `--workspaces` installs (tokens encrypted, as an install
through /slack/install stores them) and one team per workspace, `--sellers` sellers in all. The
fake Web API then enforces, on chat.postMessage: a token bucket per workspace (`--per-minute`
with bursts of `--burst`), one message a second per channel, and a share of 429s at random
(`--random-429`, Retry-After `--retry-after` s). Pepptalk runs in multi-workspace mode
(SLACK_CLIENT_ID/SECRET, PEPPTALK_ENCRYPTION_KEY) and runs the real job path, as
`pepptalk send checkins` does, at Monday 23 November 2026 08:31 in Oslo.

The bound: each workspace can take its burst at once and then `--per-minute` a minute, so its
sellers need (sellers - burst) / rate; the slowest workspace bounds the fan-out. The ratio of
the wall time (queueing and sending, as run_job does them) to that bound is the figure (1.00x:
as fast as the limits allow).

    .venv/bin/python -m bench.workspaces [--sellers 10000] [--workspaces 100]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation

from pepptalk.bot.app import create_app
from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import claim, drain
from pepptalk.bot.slack.installs import PepptalkInstallationStore
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import open_database
from tests.fakes.slack_api import CLIENT_ID, CLIENT_SECRET, FakeSlackApi

# Monday 23 November 2026, 08:31 in Oslo (UTC+1): a workday, one minute after check-in time.
INSTANT = datetime(2026, 11, 23, 7, 31, tzinfo=UTC)
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ZONE = "Europe/Oslo"


def workspace_id(n: int) -> str:
    """The Slack team id of the n-th workspace."""
    return f"T{n:05d}"


async def seed(
    url: str, fake: FakeSlackApi, key: str, *, sellers: int, workspaces: int
) -> dict[str, str]:
    """Install Pepptalk in every workspace and give each a team; returns seller -> workspace."""
    database = await open_database(url)
    store = PepptalkInstallationStore(
        database=database, cipher=TokenCipher([key]), clock=lambda: CREATED
    )
    seeded: dict[str, str] = {}
    try:
        for w in range(workspaces):
            team_id = workspace_id(w)
            token = f"xoxb-bench-{team_id}-secret"
            fake.tokens[token] = team_id
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
                    country="NO",
                    now=CREATED,
                )
                seat.team.checkin_time = "08:30"
                await uow.teams.add_sellers(team=seat.team, people=people, now=CREATED)
            seeded.update((p.user_id, team_id) for p in people)
        return seeded
    finally:
        await database.close()


def bound_seconds(per_workspace: Counter[str], *, per_minute: float, burst: int) -> float:
    """The least time the workspace caps allow for the fan-out (the slowest workspace's)."""
    return max(max(0, n - burst) / (per_minute / 60) for n in per_workspace.values())


async def run(options: argparse.Namespace) -> int:
    """One timed fan-out; exit status 1 if a seller got no message, or two."""
    fake = await FakeSlackApi(
        tokens={},
        retry_after=options.retry_after,
        workspace_per_minute=options.per_minute,
        workspace_burst=options.burst,
        channel_per_second=1.0,
        random_429=options.random_429,
    ).start()
    key = Fernet.generate_key().decode()
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
            sellers = await seed(
                settings.async_database_url,
                fake,
                key,
                sellers=options.sellers,
                workspaces=options.workspaces,
            )
            print(
                f"check-ins for {len(sellers)} sellers in {options.workspaces} workspaces "
                f"(seeded in {time.perf_counter() - started:.1f} s)"
            )
            pepptalk = await create_app(settings)
            try:
                # run_job's two steps, timed apart: queueing, then sending.
                services = pepptalk.services
                started = time.perf_counter()
                queued = await claim(services, "checkins", at=INSTANT, queued_at=services.clock())
                queueing = time.perf_counter() - started
                drain_report = await drain(services)
                wall = time.perf_counter() - started
            finally:
                await pepptalk.close()
    finally:
        await fake.stop()
    accepted = fake.called("chat.postMessage")
    per_seller = Counter(str(call.args.get("channel")) for call in accepted)
    wrong_token = sum(1 for call in accepted if sellers.get(call.args["channel"]) != call.workspace)
    lost = sum(1 for seller in sellers if per_seller[seller] == 0)
    doubled = sum(1 for seller in sellers if per_seller[seller] > 1)
    bound = bound_seconds(
        Counter(sellers.values()), per_minute=options.per_minute, burst=options.burst
    )
    sent = drain_report
    print(
        f"   limits: {options.per_minute:g}/min per workspace (bursts of {options.burst}), "
        f"1/s per channel, {options.random_429:.0%} of posts answered 429 at random "
        f"(Retry-After {options.retry_after} s)"
    )
    print(
        f"   queued {queued} in {queueing:.1f} s; sent {sent.sent}, retried later "
        f"{sent.retried}, failed {sent.failed}; 429s served {fake.rate_limited}, seen "
        f"{sent.rate_limited}"
    )
    print(
        f"   wall {wall:.1f} s; the limits impose {bound:.1f} s; ratio {wall / bound:.2f}x"
        if bound
        else f"   wall {wall:.1f} s; the limits impose nothing at this size"
    )
    print(f"   lost {lost}, doubled {doubled}, sent with another workspace's token {wrong_token}")
    if sent.errors:
        print(f"   errors: {Counter(sent.errors).most_common(3)}")
    return 0 if lost == doubled == wrong_token == 0 else 1


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=10_000, help="sellers in all")
    parser.add_argument("--workspaces", type=int, default=100, help="workspaces, a team each")
    parser.add_argument("--per-minute", type=float, default=100, help="each workspace's cap")
    parser.add_argument("--burst", type=int, default=20, help="posts a workspace takes at once")
    parser.add_argument("--random-429", type=float, default=0.05, help="share answered 429")
    parser.add_argument("--retry-after", type=int, default=1, help="seconds a random 429 asks")
    args = parser.parse_args()
    if args.workspaces < 1 or args.sellers < args.workspaces:
        parser.error("need at least one seller per workspace")
    if args.per_minute <= 0 or args.burst < 1 or not 0 <= args.random_429 < 1:
        parser.error("--per-minute > 0, --burst >= 1 and 0 <= --random-429 < 1")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(run(cli())))
