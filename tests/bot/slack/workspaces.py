"""Pepptalk as a multi-workspace Slack app: installed through the real OAuth routes, driven by
signed requests, against the fake Web API (which plays slack.com's authorize page too)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from tests.bot.slack.harness import SECRET, SlackHarness, serving
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import CLIENT_ID, CLIENT_SECRET, FakeSlackApi

KEY = Fernet.generate_key().decode()
STATE_COOKIE = "slack-app-oauth-state"


def database_files(tmp_path: Path) -> dict[str, bytes]:
    """Every byte of the SQLite database, its write-ahead log included."""
    return {path.name: path.read_bytes() for path in tmp_path.glob("pepptalk.db*")}


def many_settings(tmp_path: Path, api: FakeSlackApi, *, keys: str = KEY) -> Settings:
    """Settings of a multi-workspace install pointed at the fake."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'pepptalk.db'}",
        slack_signing_secret=SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        pepptalk_encryption_key=keys,
        slack_api_url=api.base_url,
        slack_authorize_url=api.authorize_url,
    )


@asynccontextmanager
async def running_many(
    tmp_path: Path, clock: FakeClock, *, keys: str = KEY, api: FakeSlackApi | None = None
) -> AsyncIterator[SlackHarness]:
    """Pepptalk for many workspaces on port 0, installed nowhere yet."""
    api = api or await FakeSlackApi(tokens={}).start()
    pepptalk = await create_app(many_settings(tmp_path, api, keys=keys), clock=clock)
    async with serving(pepptalk, api, clock) as harness:
        api.redirect_url = f"{harness.url}/slack/oauth_redirect"
        yield harness


@dataclass(frozen=True)
class Page:
    """An HTML page as the browser got it."""

    status: int
    text: str
    location: str | None = None
    cookie: str | None = None

    @property
    def words(self) -> str:
        """What a person reads: the text without tags."""
        return html.unescape(re.sub(r"<[^>]+>", " ", self.text.split("<body>")[-1]))

    @property
    def link(self) -> str:
        """The page's one link, as the browser follows it."""
        found = re.search(r'href="([^"]+)"', self.text)
        assert found, self.text
        return html.unescape(found.group(1))


async def get(harness: SlackHarness, url: str, *, cookie: str | None = None) -> Page:
    """A browser's GET, redirects not followed; the state cookie it was handed, if any."""
    headers = {"Cookie": cookie} if cookie else {}
    if url.startswith("/"):
        url = harness.url + url
    async with harness.http.get(url, headers=headers, allow_redirects=False) as response:
        set_cookie = response.headers.get("Set-Cookie", "")
        found = re.search(rf"{STATE_COOKIE}=([^;]+)", set_cookie)
        return Page(
            response.status,
            await response.text(),
            response.headers.get("Location"),
            f"{STATE_COOKIE}={found.group(1)}" if found else None,
        )


async def start_install(harness: SlackHarness) -> tuple[Page, Page]:
    """The "Add to Slack" page, then slack.com's answer (a redirect back to Pepptalk)."""
    page = await get(harness, "/slack/install")
    assert page.status == 200 and page.cookie, page
    approved = await get(harness, page.link)
    assert approved.status == 302 and approved.location, approved
    return page, approved


async def install(
    harness: SlackHarness, workspace: str, name: str, *, installer: str = "UINSTALLER"
) -> Page:
    """A person installs Pepptalk in `workspace` from their browser, all the way."""
    harness.api.approve_next_install(workspace, name, installer)
    page, approved = await start_install(harness)
    assert approved.location is not None
    return await get(harness, approved.location, cookie=page.cookie)
