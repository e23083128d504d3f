"""Sign in with Microsoft to the history pages, through real HTTP: a browser with a cookie jar,
the real app on a free port, and a fake Microsoft identity platform over HTTPS (its own CA)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pepptalk.core.kinds import Platform
from pepptalk.store.database import Database
from tests.bot.history.site import Browser, Site, running_site, site_settings
from tests.fakes.clock import FakeClock
from tests.fakes.id_tokens import Trouble
from tests.fakes.microsoft_login import (
    APP_ID,
    APP_PASSWORD,
    TENANT,
    FakeLogin,
    MicrosoftPerson,
)

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
START = "/history/signin/microsoft"
OTHER_TENANT = "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a0b"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0830_OSLO)


@pytest.fixture
def login(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLogin]:
    fake = FakeLogin(now=clock)
    # Pepptalk trusts what the system trusts; here, the fake login server's own CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file))
    yield fake
    fake.stop()


def microsoft_settings(tmp_path: Path, login: FakeLogin, **more: Any) -> dict[str, Any]:
    return {
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": APP_PASSWORD,
        "microsoft_login_url": login.url,
        **more,
    }


@pytest.fixture
async def site(
    tmp_path: Path, database: Database, clock: FakeClock, login: FakeLogin
) -> AsyncIterator[Site]:
    settings = site_settings(tmp_path, **microsoft_settings(tmp_path, login))
    async with running_site(settings, database, clock) as running:
        yield running


@pytest.fixture
async def browser(site: Site, login: FakeLogin) -> AsyncIterator[Browser]:
    browser = Browser(site, cafile=str(login.ca_file))
    yield browser
    await browser.close()


async def test_signing_in_with_microsoft_starts_a_session(
    site: Site, browser: Browser, login: FakeLogin
) -> None:
    at_microsoft = await browser.follow(START, stop_at=login.base)
    # Any organisation's people, through the login host of MICROSOFT_LOGIN_URL.
    assert at_microsoft.path == "/organizations/oauth2/v2.0/authorize"
    landing = await browser.follow(at_microsoft.url)

    assert landing.path == "/history" and landing.query == {}
    visitor = await browser.visitor()
    assert visitor is not None
    assert visitor.platform is Platform.TEAMS
    assert visitor.workspace_ids == frozenset({TENANT})
    assert visitor.user_id == login.person.oid and visitor.name == "Anna Seller"
    [asked] = login.authorize_requests
    callback = f"{site.url}/history/signin/microsoft/callback"
    assert asked["client_id"] == APP_ID and asked["redirect_uri"] == callback
    assert asked["response_type"] == "code" and asked["response_mode"] == "query"
    assert asked["scope"] == "openid profile" and asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 43 and len(asked["nonce"]) >= 43
    # The fake checked the verifier against the challenge; the verifier never left Pepptalk
    # before the code came back.
    [redeemed] = login.code_requests
    assert redeemed["client_secret"] == APP_PASSWORD and redeemed["redirect_uri"] == callback
    assert redeemed["code_verifier"] not in at_microsoft.url


async def test_saying_no_at_microsoft_is_denied(browser: Browser, login: FakeLogin) -> None:
    login.deny = True
    landing = await browser.follow(START)
    assert (landing.path, landing.problem) == ("/history/signin", "denied")
    assert await browser.visitor() is None and browser.cookie() is None
    assert login.code_requests == []


@pytest.mark.parametrize(
    ("trouble", "problem"),
    [
        (Trouble.AUDIENCE, "refused"),
        (Trouble.EXPIRED, "expired"),
        (Trouble.SIGNATURE, "refused"),
        (Trouble.NONCE, "refused"),
        (Trouble.ISSUER, "refused"),
    ],
)
async def test_an_identity_token_that_does_not_hold_lets_nobody_in(
    browser: Browser,
    login: FakeLogin,
    trouble: Trouble,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    login.trouble = trouble
    caplog.set_level(logging.INFO, logger="pepptalk.bot.history")
    landing = await browser.follow(START)

    assert (landing.path, landing.problem) == ("/history/signin", problem)
    assert await browser.visitor() is None and browser.cookie() is None
    [line] = [r for r in caplog.records if r.name.startswith("pepptalk.bot.history")]
    assert line.exc_info is None and "failed" in line.getMessage()
    [redeemed] = login.code_requests
    for secret in (redeemed["code"], redeemed["code_verifier"], APP_PASSWORD, "eyJ"):
        assert secret not in caplog.text


async def test_a_state_is_good_once(site: Site, browser: Browser, login: FakeLogin) -> None:
    first = await browser.follow(START)
    assert first.path == "/history"
    callback = first.steps[-1]
    assert "/history/signin/microsoft/callback?" in callback
    replayed = await browser.follow(callback)
    assert replayed.problem == "expired"
    assert len(login.code_requests) == 1, "a replayed state never reaches Microsoft"
    async with site.database.uow() as uow:
        assert await uow.web_sessions.count() == 1


async def test_a_state_lasts_ten_minutes(site: Site, browser: Browser, login: FakeLogin) -> None:
    at_microsoft = await browser.follow(START, stop_at=login.base)
    site.clock.advance(minutes=11)
    landing = await browser.follow(at_microsoft.url)
    assert landing.problem == "expired" and browser.cookie() is None
    assert login.code_requests == []


async def test_a_sign_in_finishes_only_in_the_browser_that_started_it(
    site: Site, browser: Browser, login: FakeLogin
) -> None:
    at_microsoft = await browser.follow(START, stop_at=login.base)
    back = (await browser.get(at_microsoft.url)).headers["Location"]
    other = Browser(site)
    try:
        landing = await other.follow(back)
        assert landing.problem == "refused" and other.cookie() is None
    finally:
        await other.close()
    assert login.code_requests == []


async def test_a_tenant_app_lets_in_only_its_own_tenants_people(
    tmp_path: Path, database: Database, clock: FakeClock, login: FakeLogin
) -> None:
    settings = site_settings(
        tmp_path, **microsoft_settings(tmp_path, login, microsoft_app_tenant_id=TENANT)
    )
    async with running_site(settings, database, clock) as site:
        browser = Browser(site, cafile=str(login.ca_file))
        try:
            at_microsoft = await browser.follow(START, stop_at=login.base)
            assert urlsplit(at_microsoft.url).path == f"/{TENANT}/oauth2/v2.0/authorize"
            assert (await browser.follow(at_microsoft.url)).path == "/history"

            login.person = MicrosoftPerson(tid=OTHER_TENANT)
            landing = await browser.follow(START)
            assert landing.problem == "refused"
            visitor = await browser.visitor()  # the earlier session is still the one
            assert visitor is not None and visitor.workspace_ids == frozenset({TENANT})
        finally:
            await browser.close()


async def test_people_of_any_tenant_are_known_by_their_own_tenant(
    browser: Browser, login: FakeLogin
) -> None:
    login.person = MicrosoftPerson(oid="1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9", tid=OTHER_TENANT)
    assert (await browser.follow(START)).path == "/history"
    visitor = await browser.visitor()
    assert visitor is not None and visitor.workspace_ids == frozenset({OTHER_TENANT})
    assert visitor.user_id == "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"


async def test_microsoft_down_is_unavailable(browser: Browser, login: FakeLogin) -> None:
    login.down = True
    landing = await browser.follow(START)
    assert landing.problem == "unavailable" and browser.cookie() is None


async def test_microsofts_keys_are_kept_an_hour_and_a_new_key_is_fetched(
    browser: Browser, login: FakeLogin
) -> None:
    await browser.follow(START)
    await browser.follow(START)
    assert login.keys_fetched == 1
    login.signer.rotate()
    assert (await browser.follow(START)).path == "/history"
    assert login.keys_fetched == 2


async def test_without_the_apps_password_microsoft_sign_in_is_not_configured(
    tmp_path: Path, database: Database, clock: FakeClock
) -> None:
    async with running_site(site_settings(tmp_path), database, clock) as site:
        browser = Browser(site)
        try:
            landing = await browser.follow(START)
            assert (landing.path, landing.problem) == ("/history/signin", "not_configured")
        finally:
            await browser.close()
