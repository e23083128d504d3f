"""The database goes away for a while, then comes back: Pepptalk says so while it is gone
(to the person and at /healthz) and works again the moment it is back, with nothing lost.

On SQLite the file turns unwritable (connections opened meanwhile are read-only, and stay so
unless dropped); on PostgreSQL the server becomes unreachable (a proxy cuts every connection).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.store.database import create_engine
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.bot.test_metrics_api import running_on_postgres
from tests.conftest import DATABASES, POSTGRES_URL
from tests.conftest import _emptied as emptied
from tests.fakes.clock import FakeClock
from tests.fakes.tcp_proxy import CuttableProxy

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SELLERS = [f"US{n:02d}" for n in range(20)]
Step = Callable[[], Awaitable[None]]


@dataclass
class Spell:
    """Pepptalk served, and how to take its database away and give it back."""

    slack: SlackHarness
    begin: Step
    end: Step


def read_only(path: Path, on: bool) -> None:
    """Make a file unwritable even for root (the immutable attribute), or writable again."""
    if os.geteuid() != 0:
        path.chmod(0o444 if on else 0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not here to make the database file unwritable for root")
    done = subprocess.run(  # noqa: S603 - a fixed tool on a file of the test's own
        ["chattr", "+i" if on else "-i", str(path)],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot make a file unwritable here: {done.stderr.decode().strip()}")


@asynccontextmanager
async def on_sqlite(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Spell]:
    async with running_pepptalk(tmp_path, clock) as slack:
        path = tmp_path / "pepptalk.db"

        async def begin() -> None:
            read_only(path, True)
            # Under load the pool opens new connections during the spell: read-only ones.
            await slack.pepptalk.database.engine.dispose()

        async def end() -> None:
            read_only(path, False)

        try:
            yield Spell(slack, begin, end)
        finally:
            read_only(path, False)


@asynccontextmanager
async def on_postgres(schema: str, clock: FakeClock) -> AsyncIterator[Spell]:
    assert POSTGRES_URL is not None
    server = urlsplit(POSTGRES_URL)
    proxy = await CuttableProxy(server.hostname or "127.0.0.1", server.port or 5432).start()
    through = POSTGRES_URL.replace(f"{server.hostname}:{server.port}", f"127.0.0.1:{proxy.port}")
    engine: AsyncEngine = create_engine(
        "postgresql+asyncpg://" + through.split("://", 1)[1],
        connect_args={"server_settings": {"search_path": schema}, "timeout": 5},
    )

    async def end() -> None:
        proxy.restore()

    await emptied(engine)
    try:
        async with running_on_postgres(engine, clock) as slack:
            yield Spell(slack, proxy.cut, end)
    finally:
        await engine.dispose()
        await proxy.stop()


@pytest.fixture(params=DATABASES)
async def spell(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Spell]:
    clock = FakeClock(NOW)
    if request.param == "sqlite":
        async with on_sqlite(tmp_path, clock) as prepared:
            yield prepared
    else:
        # The test session's schema, emptied, reached through a proxy the test can cut.
        async with on_postgres(request.getfixturevalue("postgres_schema"), clock) as prepared:
            yield prepared


def said(reply: dict[str, Any]) -> str:
    return json.dumps(reply, ensure_ascii=False)


async def health(slack: SlackHarness) -> tuple[int, dict[str, Any]]:
    async with slack.http.get(f"{slack.url}/healthz") as response:
        return response.status, await response.json()


async def test_an_outage_is_told_and_every_write_after_it_lands(
    spell: Spell, caplog: pytest.LogCaptureFixture
) -> None:
    slack = spell.slack
    slack.api.add_user("ULEAD", "Kari")
    for seller in SELLERS:
        slack.api.add_user(seller, f"Seller {seller}")
    assert "Oslo" in said(await slack.command("ULEAD", "team create Oslo"))

    await spell.begin()
    status, body = await health(slack)
    assert status == 503 and body["database"] in ("read-only", "unreachable")
    refused = said(await slack.command("ULEAD", f"team add <@{SELLERS[0]}>"))
    assert "can't reach my database" in refused and "try again in a minute" in refused
    await spell.end()

    for seller in SELLERS:
        reply = said(await slack.command("ULEAD", f"team add <@{seller}>"))
        assert "Added" in reply, reply
    assert (await health(slack))[0] == 200
    async with slack.services.database.uow() as uow:
        seat = await uow.teams.membership("T0PEPP", "ULEAD")
        assert seat is not None
        members = await uow.teams.members(seat.team.id)
    assert sorted(m.user_id for m in members if m.user_id != "ULEAD") == SELLERS
    assert not [r for r in caplog.records if r.exc_info], "an outage is no bug: no traceback"
