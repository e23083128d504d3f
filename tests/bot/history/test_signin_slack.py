"""Sign in with Slack to the history pages, through real HTTP: a browser with a cookie jar, the
real app on a free port, and a fake Slack that approves (or not) and signs identity tokens."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pepptalk.core.kinds import Platform
from pepptalk.store.database import Database
from tests.bot.history.site import CLIENT_ID, Browser, Site, running_site, site_settings
from tests.fakes.clock import FakeClock
from tests.fakes.id_tokens import Trouble
from tests.fakes.slack_oauth import CLIENT_SECRET, WORKSPACE
from tests.fakes.slack_openid import FakeSlackOpenId, SlackPerson

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
START = "/history/signin/slack"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0830_OSLO)


@pytest.fixture
async def browser(site: Site) -> AsyncIterator[Browser]:
    browser = Browser(site)
    yield browser
    await browser.close()


async def test_signing_in_with_slack_starts_a_session(
    site: Site, browser: Browser, slack: FakeSlackOpenId
) -> None:
    landing = await browser.follow(START)

    assert landing.path == "/history" and landing.query == {}
    visitor = await browser.visitor()
    assert visitor is not None
    assert visitor.platform is Platform.SLACK
    assert visitor.workspace_ids == frozenset({WORKSPACE})
    assert (visitor.user_id, visitor.name) == ("U0ANNA", "Anna Seller")
    # What went to Slack: the authorize page with a state and a nonce, then the code.
    [asked] = slack.authorize_requests
    callback = f"{site.url}/history/signin/slack/callback"
    assert asked["response_type"] == "code" and asked["scope"] == "openid profile"
    assert asked["client_id"] == CLIENT_ID and asked["redirect_uri"] == callback
    assert len(asked["state"]) >= 43 and len(asked["nonce"]) >= 43
    assert "team" not in asked
    [redeemed] = slack.token_requests
    assert redeemed["client_secret"] == CLIENT_SECRET and redeemed["redirect_uri"] == callback
    # The state cookie did its work and is gone; the session cookie stays.
    assert browser.cookie("pepptalk_signin", "/history/signin/slack/callback") is None
    assert browser.cookie() is not None


async def test_a_link_from_a_workspace_goes_straight_to_it(
    browser: Browser, slack: FakeSlackOpenId
) -> None:
    await browser.follow(f"{START}?team=T0ACME")
    await browser.follow(f"{START}?team=not%20a%20team")
    assert [asked.get("team") for asked in slack.authorize_requests] == ["T0ACME", None]


async def test_saying_no_at_slack_is_denied(browser: Browser, slack: FakeSlackOpenId) -> None:
    slack.deny = True
    landing = await browser.follow(START)
    assert (landing.path, landing.problem) == ("/history/signin", "denied")
    assert await browser.visitor() is None and browser.cookie() is None
    assert slack.token_requests == []


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
    slack: FakeSlackOpenId,
    trouble: Trouble,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack.trouble = trouble
    caplog.set_level(logging.INFO, logger="pepptalk.bot.history")
    landing = await browser.follow(START)

    assert (landing.path, landing.problem) == ("/history/signin", problem)
    assert await browser.visitor() is None and browser.cookie() is None
    # One line, no traceback, and nothing secret in it.
    [line] = [r for r in caplog.records if r.name.startswith("pepptalk.bot.history")]
    assert line.exc_info is None and "failed" in line.getMessage()
    [asked] = slack.authorize_requests
    for secret in (asked["state"], asked["nonce"], "slack-code-1", CLIENT_SECRET, "eyJ"):
        assert secret not in caplog.text


async def test_a_state_is_good_once(browser: Browser, site: Site) -> None:
    first = await browser.follow(START)
    assert first.path == "/history"
    callback = first.steps[-1]  # the URL Slack sent the browser back to
    assert "/history/signin/slack/callback?" in callback
    signed_in = await browser.visitor()

    replayed = await browser.follow(callback)
    assert replayed.problem == "expired"
    # The replay started nothing and ended nothing.
    assert await browser.visitor() == signed_in
    async with site.database.uow() as uow:
        assert await uow.web_sessions.count() == 1


async def test_a_state_lasts_ten_minutes(
    browser: Browser, site: Site, slack: FakeSlackOpenId
) -> None:
    at_slack = await browser.follow(START, stop_at=slack.url)
    assert at_slack.path == "/openid/connect/authorize"
    site.clock.advance(minutes=10, seconds=1)
    landing = await browser.follow(at_slack.url)
    assert landing.problem == "expired"
    assert await browser.visitor() is None
    assert slack.token_requests == [], "an expired state never reaches Slack"


async def test_a_sign_in_finishes_only_in_the_browser_that_started_it(
    site: Site, browser: Browser, slack: FakeSlackOpenId
) -> None:
    # Someone starts a sign-in and gets another browser to finish it (login CSRF).
    start = await browser.get(START)
    authorize = start.headers["Location"]
    back = (await browser.get(authorize)).headers["Location"]
    other = Browser(site)
    try:
        landing = await other.follow(back)
        assert landing.problem == "refused"
        assert await other.visitor() is None and other.cookie() is None
    finally:
        await other.close()
    assert slack.token_requests == []


@pytest.mark.parametrize(
    "callback",
    [
        "/history/signin/slack/callback",
        "/history/signin/slack/callback?code=x&state=made-up",
        "/history/signin/slack/callback?code=x&state=" + "A" * 43,
    ],
    ids=["no state", "a state of another shape", "a state never issued"],
)
async def test_a_callback_without_a_state_of_ours_is_refused(
    browser: Browser, slack: FakeSlackOpenId, callback: str
) -> None:
    landing = await browser.follow(callback)
    assert landing.problem == "expired" and browser.cookie() is None
    assert slack.token_requests == []


async def test_slack_refusing_the_code_is_refused(browser: Browser, slack: FakeSlackOpenId) -> None:
    at_slack = await browser.follow(START, stop_at=slack.url)
    back = (await browser.get(at_slack.url)).headers["Location"]
    tampered = back.replace("code=slack-code-1", "code=slack-code-99")
    landing = await browser.follow(tampered)
    assert landing.problem == "refused" and browser.cookie() is None


async def test_slack_down_is_unavailable(browser: Browser, slack: FakeSlackOpenId) -> None:
    slack.down = True
    landing = await browser.follow(START)
    assert landing.problem == "unavailable" and browser.cookie() is None


async def test_slacks_keys_not_to_be_had_is_unavailable(
    browser: Browser, slack: FakeSlackOpenId
) -> None:
    slack.keys_broken = True
    landing = await browser.follow(START)
    assert landing.problem == "unavailable" and browser.cookie() is None


async def test_the_way_back_is_public_url_when_it_is_set(
    tmp_path: Path, database: Database, clock: FakeClock, slack: FakeSlackOpenId
) -> None:
    settings = site_settings(
        tmp_path,
        slack_client_id=CLIENT_ID,
        slack_api_url=slack.api_url,
        slack_openid_url=slack.openid_url,
        public_url="https://pepptalk.example.com/",
    )
    async with running_site(settings, database, clock) as site:
        browser = Browser(site)
        try:
            at_slack = await browser.follow(START, stop_at=slack.url)
        finally:
            await browser.close()
    callback = "https://pepptalk.example.com/history/signin/slack/callback"
    assert at_slack.query["redirect_uri"] == callback


async def test_slack_unreachable_is_unavailable(
    tmp_path: Path, database: Database, clock: FakeClock
) -> None:
    slack = await FakeSlackOpenId(now=clock).start()
    settings = site_settings(
        tmp_path,
        slack_client_id=CLIENT_ID,
        slack_api_url=slack.api_url,
        slack_openid_url=slack.openid_url,
    )
    async with running_site(settings, database, clock) as site:
        browser = Browser(site)
        try:
            at_slack = await browser.follow(START, stop_at=slack.url)
            back = (await browser.get(at_slack.url)).headers["Location"]
            await slack.stop()
            landing = await browser.follow(back)
            assert landing.problem == "unavailable" and browser.cookie() is None
        finally:
            await browser.close()


async def test_without_slacks_credentials_slack_sign_in_is_not_configured(
    tmp_path: Path, database: Database, clock: FakeClock
) -> None:
    async with running_site(site_settings(tmp_path), database, clock) as site:
        browser = Browser(site)
        try:
            landing = await browser.follow(START)
            assert (landing.path, landing.problem) == ("/history/signin", "not_configured")
            landing = await browser.follow(f"{START}/callback?code=x&state={'A' * 43}")
            assert landing.problem == "not_configured" and browser.cookie() is None
        finally:
            await browser.close()


async def test_on_enterprise_grid_the_visitor_sees_the_organisations_workspaces(
    site: Site, browser: Browser, slack: FakeSlackOpenId
) -> None:
    async with site.database.uow() as uow:
        await uow.installations.remember_org_workspaces(
            "E0GRID", ["T0NORTH", "T0SOUTH"], now=site.clock()
        )
        await uow.installations.remember_org_workspaces("E0OTHER", ["T0ELSE"], now=site.clock())
    slack.person = SlackPerson(user="W0LEAD", team="T0NORTH", enterprise="E0GRID")
    assert (await browser.follow(START)).path == "/history"
    visitor = await browser.visitor()
    assert visitor is not None and visitor.user_id == "W0LEAD"
    assert visitor.workspace_ids == frozenset({"T0NORTH", "T0SOUTH"})

    # A workspace of the organisation Pepptalk has not heard of yet is the one signed in to.
    slack.person = SlackPerson(user="W0LEAD", team="T0WEST", enterprise="E0GRID")
    await browser.follow(START)
    visitor = await browser.visitor()
    assert visitor is not None
    assert visitor.workspace_ids == frozenset({"T0NORTH", "T0SOUTH", "T0WEST"})


async def test_signing_in_again_replaces_the_session(
    site: Site, browser: Browser, slack: FakeSlackOpenId
) -> None:
    await browser.follow(START)
    first = await browser.visitor()
    slack.person = SlackPerson(user="U0BENT", name=None)
    await browser.follow(START)
    second = await browser.visitor()
    assert first is not None and second is not None
    assert second.user_id == "U0BENT" and second.name is None
    assert second.session_key != first.session_key
    async with site.database.uow() as uow:
        assert await uow.web_sessions.count() == 1


async def test_slacks_keys_are_kept_an_hour_and_a_new_key_is_fetched(
    site: Site, browser: Browser, slack: FakeSlackOpenId
) -> None:
    await browser.follow(START)
    await browser.follow(START)
    assert slack.keys_fetched == 1
    # Slack signs with a new key: its id is unknown, so the keys are fetched again, once.
    slack.signer.rotate()
    assert (await browser.follow(START)).path == "/history"
    assert slack.keys_fetched == 2


async def test_signing_out_needs_the_sessions_csrf_token(site: Site, browser: Browser) -> None:
    await browser.follow(START)
    visitor = await browser.visitor()
    assert visitor is not None

    for csrf in (None, "", "wrong", visitor.csrf_token[:-1]):
        refused = await browser.sign_out(csrf)
        assert refused.status == 403
        assert await browser.visitor() == visitor

    done = await browser.sign_out(visitor.csrf_token)
    assert done.status == 303 and done.headers["Location"] == "/history/signin"
    assert browser.cookie() is None
    async with site.database.uow() as uow:
        assert await uow.web_sessions.count() == 0


async def test_a_signed_out_session_stays_ended_for_a_copied_cookie(
    site: Site, browser: Browser
) -> None:
    await browser.follow(START)
    visitor = await browser.visitor()
    cookie = browser.cookie()
    assert visitor is not None and cookie is not None
    await browser.sign_out(visitor.csrf_token)
    # Someone who kept a copy of the cookie gets nowhere: the session is gone server-side.
    browser.keep_cookie(cookie.value)
    assert await browser.visitor() is None
