"""Pepptalk on a real port with the history sign-in, a browser with a cookie jar, and the fake
identity providers: for going through a sign-in the way a person's browser does."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookies import Morsel
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp.test_utils import make_mocked_request
from cryptography.fernet import Fernet
from yarl import URL

from pepptalk.bot.app import Pepptalk, create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.history.sessions import COOKIE, SESSIONS_KEY, Sessions, Visitor
from pepptalk.bot.history.signin import history_signin, register
from pepptalk.store.database import Database
from tests.fakes.clock import FakeClock
from tests.fakes.serving import served
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET

KEY = Fernet.generate_key().decode()
# Where a sign-in ends: the history page, or the sign-in page with a problem.
LANDINGS = ("/history", "/history/signin")


@dataclass(frozen=True)
class Landing:
    """Where a sign-in sent the browser last, and the steps on the way."""

    url: str
    path: str
    query: dict[str, str]
    steps: list[str]

    @property
    def problem(self) -> str | None:
        return self.query.get("problem")


class Browser:
    """A person's browser: cookies kept per host and path, redirects followed one by one."""

    def __init__(self, site: Site, *, cafile: str | None = None) -> None:
        self.site = site
        self.jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1 too
        context = ssl.create_default_context(cafile=cafile) if cafile else None
        connector = aiohttp.TCPConnector(ssl=context) if context else None
        self.http = aiohttp.ClientSession(cookie_jar=self.jar, connector=connector)

    async def close(self) -> None:
        await self.http.close()

    async def get(self, url: str) -> aiohttp.ClientResponse:
        """One GET, redirects not followed."""
        if url.startswith("/"):
            url = f"{self.site.url}{url}"
        async with self.http.get(url, allow_redirects=False) as response:
            await response.read()
            return response

    async def follow(self, url: str, *, stop_at: str | None = None) -> Landing:
        """GET `url` and the redirects after it until Pepptalk sends the browser to the history
        page or the sign-in page (or to a URL starting with `stop_at`, not followed)."""
        steps: list[str] = []
        while True:
            if stop_at is not None and url.startswith(stop_at):
                parts = urlsplit(url)
                return Landing(url, parts.path, _query(parts.query), steps)
            steps.append(url)
            response = await self.get(url)
            location = response.headers.get("Location")
            if response.status not in (302, 303) or location is None:
                raise AssertionError(f"{url} answered {response.status}: no redirect")
            parts = urlsplit(location)
            if location.startswith("/") and parts.path in LANDINGS:
                return Landing(location, parts.path, _query(parts.query), steps)
            url = location

    def cookie(self, name: str = COOKIE, path: str = "/history") -> Morsel[str] | None:
        """The cookie the browser would send to `path` of Pepptalk."""
        return self.jar.filter_cookies(URL(f"{self.site.url}{path}")).get(name)

    def keep_cookie(self, value: str, name: str = COOKIE) -> None:
        """Put a cookie in the jar, as if Pepptalk had set it."""
        self.jar.update_cookies({name: value}, URL(f"{self.site.url}/history"))

    async def visitor(self) -> Visitor | None:
        """Who Pepptalk takes this browser for."""
        cookie = self.cookie()
        headers = {"Host": "127.0.0.1"}
        if cookie is not None:
            headers["Cookie"] = f"{COOKIE}={cookie.value}"
        return await self.site.sessions.visitor(
            make_mocked_request("GET", "/history", headers=headers)
        )

    async def sign_out(self, csrf: str | None) -> aiohttp.ClientResponse:
        data = {} if csrf is None else {"csrf": csrf}
        async with self.http.post(
            f"{self.site.url}/history/signout", data=data, allow_redirects=False
        ) as response:
            await response.read()
            return response


def _query(text: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(text).items()}


@dataclass
class Site:
    """A running Pepptalk with the sign-in routes."""

    pepptalk: Pepptalk
    url: str
    clock: FakeClock

    @property
    def sessions(self) -> Sessions:
        return self.pepptalk.web[SESSIONS_KEY]

    @property
    def database(self) -> Database:
        return self.pepptalk.database


def site_settings(tmp_path: Any, **settings: Any) -> Settings:
    """Settings for the site; Slack's OAuth credentials come with an encryption key."""
    if settings.get("slack_client_id"):
        settings.setdefault("slack_client_secret", CLIENT_SECRET)
        settings.setdefault("pepptalk_encryption_key", KEY)
    return Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'pepptalk.db'}", **settings
    )


@asynccontextmanager
async def running_site(
    settings: Settings, database: Database, clock: FakeClock
) -> AsyncIterator[Site]:
    """Pepptalk on port 0 on `database`, with the sign-in routes (added here when the web app
    does not serve them itself)."""
    pepptalk = await create_app(settings, clock=clock, database=database)
    if SESSIONS_KEY not in pepptalk.web:
        register(pepptalk.web, history_signin(settings, pepptalk.services))
    try:
        async with served(pepptalk.web) as url:
            yield Site(pepptalk, url, clock)
    finally:
        await pepptalk.close()


__all__ = ["CLIENT_ID", "Browser", "Landing", "Site", "running_site", "site_settings"]
