"""Pepptalk with Sign in with Slack against the fake Slack, on the test's own clock (each test
module says what time it is with a `clock` fixture of its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pepptalk.store.database import Database
from tests.bot.history.site import CLIENT_ID, Site, running_site, site_settings
from tests.fakes.clock import FakeClock
from tests.fakes.slack_openid import FakeSlackOpenId


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[FakeSlackOpenId]:
    fake = await FakeSlackOpenId(now=clock).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def site(
    tmp_path: Path, database: Database, clock: FakeClock, slack: FakeSlackOpenId
) -> AsyncIterator[Site]:
    settings = site_settings(
        tmp_path,
        slack_client_id=CLIENT_ID,
        slack_api_url=slack.api_url,
        slack_openid_url=slack.openid_url,
    )
    async with running_site(settings, database, clock) as running:
        yield running
