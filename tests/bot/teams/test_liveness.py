"""A slow Microsoft never stalls the rest: while Teams' signing keys or the bot's token take
seconds to come, Slack requests to the same running Pepptalk are answered as usual.

The slow servers answer from threads of their own; were a fetch made on the event loop, the
whole server would stand still with it and the Slack requests would wait the full delay. The
bound on each Slack answer (a second) is a liveness check, not a benchmark.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import drain
from pepptalk.bot.teams import auth
from tests.bot.slack.harness import SECRET, SlackHarness, serving
from tests.bot.teams.activities import message, person
from tests.bot.teams.site import TeamsSite
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi
from tests.fakes.teams_connector import FakeConnector, FakeLogin, FakeOpenId
from tests.stored import membership

log = logging.getLogger(__name__)
MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
KARI, ANNA = person("Kari Nordmann"), person("Anna Berg")
SLOW = 5.0
LIVELY = 1.0
PAUSE = 0.2
OK = (200, 201)


@dataclass
class Both:
    """One Pepptalk serving Slack and Teams (authentication on), and Microsoft's servers."""

    slack: SlackHarness
    teams: TeamsSite
    openid: FakeOpenId
    login: FakeLogin

    def token(self) -> str:
        return self.openid.token(audience="app-1", service_url=self.teams.connector.url)


@pytest.fixture
def microsoft(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeOpenId, FakeLogin]]:
    openid, login = FakeOpenId(), FakeLogin()
    # MSAL's HTTP client trusts what requests trusts; the login server's CA is the tests' own.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(login.ca_file))
    yield openid, login
    openid.stop()
    login.stop()


@asynccontextmanager
async def both(tmp_path: Path, microsoft: tuple[FakeOpenId, FakeLogin]) -> AsyncIterator[Both]:
    openid, login = microsoft
    api, connector = await FakeSlackApi().start(), await FakeConnector().start()
    clock = FakeClock(MONDAY_0830_OSLO)
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'pepptalk.db'}",
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_url=api.base_url,
        microsoft_app_id="app-1",
        microsoft_app_password="secret",
        microsoft_openid_metadata_url=openid.metadata_url,
        microsoft_login_url=login.url,
    )
    try:
        async with serving(await create_app(settings, clock=clock), api, clock) as slack:
            teams = TeamsSite(slack.pepptalk, slack.url, connector)
            try:
                yield Both(slack, teams, openid, login)
            finally:
                await teams.http.close()
    finally:
        await connector.stop()


async def slack_command(slack: SlackHarness, text: str) -> int:
    """A signed slash command; the status of Slack's 3-second ack."""
    body = urlencode(
        {
            "team_id": WORKSPACE,
            "user_id": "UPROBE",
            "command": "/pepptalk",
            "text": text,
            "response_url": slack.api.response_url("probe"),
            "trigger_id": "trigger-probe",
            "channel_id": "C0",
        }
    )
    response = await slack.post(body, content_type="application/x-www-form-urlencoded")
    return response.status


async def slack_answers_meanwhile(slack: SlackHarness, slow: Awaitable[Any]) -> list[float]:
    """Send Slack commands every PAUSE seconds until `slow` is done; how long each ack took,
    counted from when the command was due (so a loop that stalled before sending shows too)."""
    task = asyncio.ensure_future(slow)
    loop = asyncio.get_running_loop()
    took: list[float] = []
    while not task.done():
        due = loop.time() + PAUSE
        await asyncio.sleep(PAUSE)
        assert await slack_command(slack, "help") == 200
        took.append(loop.time() - due)
    await task
    return took


async def timed(call: Awaitable[Any]) -> tuple[Any, float]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await call
    return result, loop.time() - started


async def test_slow_signing_keys_hold_up_only_the_teams_request(
    tmp_path: Path, microsoft: tuple[FakeOpenId, FakeLogin]
) -> None:
    async with both(tmp_path, microsoft) as site:
        site.openid.delay = SLOW
        results: list[tuple[Any, float]] = []

        async def two_teams_requests() -> None:
            results.extend(
                await asyncio.gather(
                    timed(site.teams.post(message(KARI, "team create Oslo"), site.token())),
                    timed(site.teams.post(message(ANNA, "hi"), site.token())),
                )
            )

        took = await slack_answers_meanwhile(site.slack, two_teams_requests())
        log.info(
            "keys after %.1f s: Teams answered %s; %d Slack acks, slowest %.3f s",
            SLOW,
            [(status, round(seconds, 2)) for status, seconds in results],
            len(took),
            max(took),
        )
        assert all(status in OK for status, _ in results), "in once the keys came"
        assert site.openid.fetches == 1, "both requests waited for one fetch of the keys"
        assert await membership(site.slack.services.database, "tenant-1", "aad-kari")
        assert len(took) >= 5, "Slack was asked all along"
        assert max(took) < LIVELY, took


async def test_keys_that_never_come_are_a_401_and_the_next_request_tries_again(
    tmp_path: Path, microsoft: tuple[FakeOpenId, FakeLogin], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "KEYS_TIMEOUT", 2.0)
    async with both(tmp_path, microsoft) as site:
        site.openid.delay = SLOW
        refused: list[tuple[Any, float]] = []

        async def teams_request() -> None:
            refused.append(
                await timed(site.teams.post(message(KARI, "team create Oslo"), site.token()))
            )

        took = await slack_answers_meanwhile(site.slack, teams_request())
        [(status, seconds)] = refused
        log.info(
            "keys never came: Teams %d after %.2f s; slowest Slack ack %.3f s",
            status,
            seconds,
            max(took),
        )
        assert status == 401
        assert seconds < SLOW, "refused at the timeout, not when the server finally answered"
        assert max(took) < LIVELY, took
        assert not await membership(site.slack.services.database, "tenant-1", "aad-kari")

        site.openid.delay = 0.0
        # Each request tries again; on a machine this busy one may still miss the short limit.
        answers = []
        for _ in range(3):
            answers.append(await site.teams.post(message(KARI, "team create Oslo"), site.token()))
            if answers[-1] in OK:
                break
        assert answers[-1] in OK, answers
        assert await membership(site.slack.services.database, "tenant-1", "aad-kari")


async def test_a_proactive_send_waits_for_a_slow_token_while_slack_goes_on(
    tmp_path: Path, microsoft: tuple[FakeOpenId, FakeLogin]
) -> None:
    async with both(tmp_path, microsoft) as site:
        teams, connector = site.teams, site.teams.connector
        await teams.post(message(ANNA, "hi"), site.token())
        await teams.post(message(KARI, "team create Oslo", channel="sales"), site.token())
        await teams.post(
            message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]),
            site.token(),
        )
        assert "Added Anna Berg" in str(connector.cards("sales"))
        site.login.delay = SLOW
        tokens_before = len(site.login.tokens)
        reports = []

        async def welcome() -> None:
            reports.append(await timed(drain(site.slack.services)))

        took = await slack_answers_meanwhile(site.slack, welcome())
        [(report, seconds)] = reports
        log.info(
            "token after %.1f s: the welcome went in %.2f s; %d Slack acks, slowest %.3f s",
            SLOW,
            seconds,
            len(took),
            max(took),
        )
        assert report.sent == 1 and report.failed == 0
        [welcome_post] = [
            s for s in connector.sent if "Welcome to Oslo, Anna!" in json.dumps(s.activity)
        ]
        assert welcome_post.authorization == f"Bearer {site.login.tokens[-1]}"
        assert len(site.login.tokens) == tokens_before + 1
        assert len(took) >= 5, "Slack was asked all along"
        assert max(took) < LIVELY, took


async def test_day_old_keys_serve_at_once_while_fresh_ones_come(
    microsoft: tuple[FakeOpenId, FakeLogin],
) -> None:
    openid, _ = microsoft
    now = [1000.0]
    keys = auth.SigningKeys(openid.metadata_url, clock=lambda: now[0])
    assert (await keys.get("test-key")).endorsements == ["msteams"]
    assert openid.fetches == 1

    now[0] += auth.KEYS_FRESH_FOR + 1
    openid.delay = LIVELY
    key, seconds = await timed(keys.get("test-key"))
    assert key.endorsements == ["msteams"] and seconds < LIVELY, "the old keys, at once"
    for _ in range(50):
        if keys.age < 1:
            break
        await keys.get("test-key")
        await asyncio.sleep(0.05)
    assert keys.age < 1, "fresh keys came in the background"
    assert openid.fetches == 2, "one fetch, however many asked meanwhile"

    # A key id never seen is looked for at most once an hour; till then it is refused at once.
    with pytest.raises(PermissionError):
        await keys.get("rotated-key")
    assert openid.fetches == 2
