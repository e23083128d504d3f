"""The `pepptalk` command as operators run it: separate processes, the same outbox."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pepptalk.core.kinds import Platform
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import Database, create_engine
from tests.conftest import MONDAY_0800_OSLO
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi


async def pepptalk(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_send_checkins_at_an_instant_sends_once_across_restarts(tmp_path: Path) -> None:
    api = await FakeSlackApi().start()
    database = tmp_path / "pepptalk.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": api.base_url,
    }
    try:
        code, output = await pepptalk("migrate", env=env)
        assert code == 0 and "up to date" in output
        db = Database(create_engine(f"sqlite+aiosqlite:///{database}"))
        async with db.uow() as uow:
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
                people=[
                    UserProfile("UANNA", "Anna"),
                    UserProfile("UBJORN", "Bjørn", "Europe/Oslo"),
                ],
                now=MONDAY_0800_OSLO,
            )
        await db.close()
        api.add_user("UANNA", "Anna")
        api.add_user("UBJORN", "Bjørn")
        api.add_user("ULEAD", "Kari")

        at = "2026-11-23T08:31:00+01:00"
        code, output = await pepptalk("send", "checkins", "--at", at, env=env)
        assert code == 0 and "queued 2; sent 2" in output
        code, output = await pepptalk("send", "checkins", "--at", at, env=env)
        assert code == 0 and "queued 0; sent 0" in output
        assert len(api.called("chat.postMessage")) == 2

        code, output = await pepptalk(
            "send", "summaries", "--at", "2026-11-23T09:05+01:00", env=env
        )
        assert code == 0 and "sent 1" in output
    finally:
        await api.stop()


async def test_bad_arguments_and_settings_say_what_would_work(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    code, output = await pepptalk("send", "checkins", "--at", "tomorrow", env=env)
    assert code == 2 and "not an ISO-8601 time" in output
    code, output = await pepptalk("send", "lunch", env=env)
    assert code == 2 and "invalid choice" in output
    code, output = await pepptalk("migrate", env={"DATABASE_URL": "mysql://x/y"})
    assert code == 2 and "use sqlite or postgresql" in output
