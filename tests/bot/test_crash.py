"""A sender killed with SIGKILL in the middle of the morning fan-out, then started again: every
seller gets their check-in exactly once.

The fake Slack stops answering after a number of accepted messages, so at the kill nothing the
platform accepted is unmarked unless the sender held its marks back; the messages in flight then
were never accepted, so the restart sends them once. The dead sender's lease runs out on its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from asyncio.subprocess import Process
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import Database, create_engine
from pepptalk.store.models import Delivery
from tests.bot.test_cli import pepptalk
from tests.conftest import MONDAY_0800_OSLO
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi, dm_of

SELLERS = 60
ACCEPTED_BEFORE_KILL = 23
AT = "2026-11-23T08:31:00+01:00"
# Longer than the sender's lease (30 s), with room for a slow machine.
PATIENCE = 120.0


async def seed(path: Path, api: FakeSlackApi) -> list[str]:
    database = Database(create_engine(f"sqlite+aiosqlite:///{path}"))
    sellers = [f"US{n:03d}" for n in range(SELLERS)]
    async with database.uow() as uow:
        seat = await uow.teams.create(
            workspace_id=WORKSPACE,
            platform=Platform.SLACK,
            name="Oslo",
            leader=UserProfile("ULEAD", "Kari"),
            timezone="Europe/Oslo",
            country="NO",
            now=MONDAY_0800_OSLO,
        )
        await uow.teams.add_sellers(
            team=seat.team,
            people=[UserProfile(user, f"Seller {user}") for user in sellers],
            now=MONDAY_0800_OSLO,
        )
    await database.close()
    api.add_user("ULEAD", "Kari")
    for user in sellers:
        api.add_user(user, f"Seller {user}")
    return sellers


async def marked_sent(path: Path) -> int:
    database = Database(create_engine(f"sqlite+aiosqlite:///{path}"))
    try:
        async with database.uow() as uow:
            count = await uow.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == DeliveryStatus.SENT)
            )
        return int(count or 0)
    finally:
        await database.close()


async def sending(api: FakeSlackApi, path: Path) -> tuple[dict[str, str], list[str], Process]:
    """A migrated, seeded database and a `pepptalk send checkins` started on it against `api`:
    the environment it runs with, the sellers, and the process (its output piped)."""
    env = {
        "DATABASE_URL": f"sqlite:///{path}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": api.base_url,
    }
    code, output = await pepptalk("migrate", env=env)
    assert code == 0, output
    sellers = await seed(path, api)
    sender = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        "send",
        "checkins",
        "--at",
        AT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    return env, sellers, sender


async def test_a_killed_sender_restarted_sends_each_check_in_once(tmp_path: Path) -> None:
    api = await FakeSlackApi(hold_after=ACCEPTED_BEFORE_KILL).start()
    path = tmp_path / "pepptalk.db"
    try:
        env, sellers, sender = await sending(api, path)
        # Wait until the platform's yeses are all marked (they never are if marks wait for a
        # group to fill), then kill: nothing it accepted is in flight.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if len(api.messages) >= ACCEPTED_BEFORE_KILL and (
                await marked_sent(path) >= ACCEPTED_BEFORE_KILL
            ):
                break
            await asyncio.sleep(0.2)
        sender.send_signal(signal.SIGKILL)
        await sender.wait()
        assert len(api.messages) == ACCEPTED_BEFORE_KILL

        api.hold_after = None
        killed_at = time.monotonic()
        deadline = killed_at + PATIENCE
        while len({m.channel for m in api.messages}) < SELLERS and time.monotonic() < deadline:
            code, output = await pepptalk("send", "checkins", "--at", AT, env=env)
            assert code == 0, output
            if len({m.channel for m in api.messages}) < SELLERS:
                await asyncio.sleep(2)
        resumed_in = time.monotonic() - killed_at
    finally:
        await api.stop()

    per_channel = Counter(m.channel for m in api.messages)
    lost = [user for user in sellers if per_channel[dm_of(user)] == 0]
    doubled = [channel for channel, n in per_channel.items() if n > 1]
    print(f"after the kill: all sent within {resumed_in:.1f} s; lost {lost}; doubled {doubled}")
    assert lost == [] and doubled == []


async def pending_leases(path: Path) -> tuple[int, int]:
    """How many deliveries are still pending, and how many of those are leased."""
    database = Database(create_engine(f"sqlite+aiosqlite:///{path}"))
    try:
        async with database.uow() as uow:
            rows = (
                await uow.session.execute(
                    select(Delivery.lease_until).where(Delivery.status == DeliveryStatus.PENDING)
                )
            ).all()
        return len(rows), sum(1 for (lease,) in rows if lease is not None)
    finally:
        await database.close()


async def test_a_sender_told_to_stop_hands_back_what_it_has_not_sent(tmp_path: Path) -> None:
    api = await FakeSlackApi(slow={"chat.postMessage": 0.3}).start()
    path = tmp_path / "pepptalk.db"
    try:
        env, sellers, sender = await sending(api, path)
        deadline = time.monotonic() + 30
        while len(api.messages) < 10 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        sender.send_signal(signal.SIGTERM)
        output_bytes, _ = await asyncio.wait_for(sender.communicate(), timeout=30)
        assert sender.returncode == 0, output_bytes.decode()
        sent_before_stop = len(api.messages)
        pending, leased = await pending_leases(path)
        # Stopped early, nothing held: what was not sent is free for the next sender at once.
        assert 0 < pending < SELLERS and leased == 0
        assert await marked_sent(path) == sent_before_stop == SELLERS - pending

        api.slow.clear()
        code, output = await pepptalk("send", "checkins", "--at", AT, env=env)
        assert code == 0 and f"sent {pending}," in output, output
    finally:
        await api.stop()
    per_channel = Counter(m.channel for m in api.messages)
    assert sorted(per_channel) == sorted(dm_of(user) for user in sellers)
    assert set(per_channel.values()) == {1}
