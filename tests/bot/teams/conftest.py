"""The Teams bot, ready for turns, on the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pepptalk.store.database import Database
from tests.bot.teams.site import TeamsSite, teams_site
from tests.bot.teams.turns import Turns
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock


@pytest.fixture
def turns(database: Database, chat: FakeChat, clock: FakeClock) -> Turns:
    return Turns(database, chat, clock)


@pytest.fixture
async def open_site(tmp_path: Path) -> AsyncIterator[TeamsSite]:
    """Authentication off: an empty MICROSOFT_APP_ID, as for local use with the emulator."""
    async with teams_site(tmp_path, microsoft_app_id="") as site:
        yield site
