"""Installing Pepptalk in many Slack workspaces: Add to Slack, the OAuth redirect, and every way
an install can go wrong, through the real HTTP routes."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet

from tests.bot.slack.harness import SlackHarness
from tests.bot.slack.workspaces import (
    KEY,
    database_files,
    get,
    install,
    running_many,
    start_install,
)
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import CLIENT_ID

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_many(tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


def stored_installs(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(tmp_path / "pepptalk.db") as db:
        return db.execute(
            "SELECT workspace_id, bot_token, bot_refresh_token FROM slack_installations"
        ).fetchall()


async def test_add_to_slack_asks_for_the_manifests_scopes_with_a_state(
    slack: SlackHarness,
) -> None:
    page = await get(slack, "/slack/install")
    assert page.status == 200 and "Add to Slack" in page.words
    authorize = urlsplit(page.link)
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == slack.api.authorize_url
    query = parse_qs(authorize.query)
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == set(manifest["oauth_config"]["scopes"]["bot"])
    # The state in the link is the one the browser keeps in its cookie.
    assert page.cookie == f"slack-app-oauth-state={query['state'][0]}"


async def test_the_install_page_speaks_the_browsers_language(slack: SlackHarness) -> None:
    async with slack.http.get(
        f"{slack.url}/slack/install", headers={"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"}
    ) as response:
        assert "Legg til i Slack" in await response.text()


async def test_an_install_stores_the_workspace_once_with_its_token_encrypted(
    slack: SlackHarness, tmp_path: Path
) -> None:
    done = await install(slack, "T0AAA", "Acme Sales")
    assert done.status == 200
    assert "Pepptalk is now in Acme Sales" in done.words and "/pepptalk help" in done.words
    [token] = slack.api.tokens_of("T0AAA")
    [(workspace, stored, _)] = stored_installs(tmp_path)
    assert workspace == "T0AAA" and token not in stored
    assert Fernet(KEY).decrypt(stored.encode()).decode() == token
    # Not anywhere in the database file, its journal included.
    files = database_files(tmp_path)
    assert files and not [name for name, data in files.items() if token.encode() in data]

    # Installing again (a new scope, another admin) updates the one row: never a second.
    again = await install(slack, "T0AAA", "Acme Sales AS", installer="UOTHER")
    assert again.status == 200 and "Acme Sales AS" in again.words
    rows = stored_installs(tmp_path)
    assert len(rows) == 1
    newest = slack.api.tokens_of("T0AAA")[-1]
    assert Fernet(KEY).decrypt(rows[0][1].encode()).decode() == newest != token


async def test_a_state_is_good_once_and_only_in_the_browser_that_started(
    slack: SlackHarness, tmp_path: Path
) -> None:
    slack.api.approve_next_install("T0AAA", "Acme")
    page, approved = await start_install(slack)
    assert approved.location is not None

    # Another browser (no cookie, or the cookie of another install) gets a clear no.
    elsewhere = await get(slack, approved.location)
    assert elsewhere.status == 400 and "another browser" in elsewhere.words
    other, _ = await start_install(slack)
    crossed = await get(slack, approved.location, cookie=other.cookie)
    assert crossed.status == 400 and "another browser" in crossed.words
    assert stored_installs(tmp_path) == []

    # The right browser installs; the same answer replayed is refused and changes nothing.
    done = await get(slack, approved.location, cookie=page.cookie)
    assert done.status == 200
    replayed = await get(slack, approved.location, cookie=page.cookie)
    assert replayed.status in (400, 401) and "already" in replayed.words
    assert "Start again" in replayed.words and replayed.link == "/slack/install"
    assert len(stored_installs(tmp_path)) == 1


async def test_a_forged_state_is_refused(slack: SlackHarness, tmp_path: Path) -> None:
    slack.api.add_install_code("code-forged", "T0EVIL", "Evil")
    forged = "made-up-state"
    page = await get(
        slack,
        f"/slack/oauth_redirect?code=code-forged&state={forged}",
        cookie=f"slack-app-oauth-state={forged}",
    )
    assert page.status in (400, 401) and "expired" in page.words
    assert stored_installs(tmp_path) == []
    assert not slack.api.called("oauth.v2.access"), "a forged state never reaches Slack"


async def test_slacks_refusal_and_a_cancelled_install_get_a_page_saying_so(
    slack: SlackHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # Slack refuses the code (expired, used, or not for this app).
    page, _ = await start_install(slack)  # nobody approved: the fake cancels
    state = page.cookie.split("=", 1)[1] if page.cookie else ""
    refused = await get(
        slack, f"/slack/oauth_redirect?code=code-unknown&state={state}", cookie=page.cookie
    )
    assert refused.status in (400, 401) and "did not accept" in refused.words
    assert slack.api.called("oauth.v2.access")

    # The person pressed Cancel on Slack's page.
    page, cancelled = await start_install(slack)
    assert cancelled.location is not None and "error=access_denied" in cancelled.location
    answer = await get(slack, cancelled.location, cookie=page.cookie)
    assert answer.status == 400 and "cancelled" in answer.words
    assert stored_installs(tmp_path) == []
    assert not [r for r in caplog.records if r.exc_info], "no traceback for bad input"


async def test_slack_out_of_reach_at_the_last_step_gets_a_page_not_a_server_error(
    slack: SlackHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slack.api.approve_next_install("T0AAA", "Acme")
    page, approved = await start_install(slack)
    assert approved.location is not None
    slack.api.unreachable.add("oauth.v2.access")
    answer = await get(slack, approved.location, cookie=page.cookie)
    assert answer.status == 503 and "could not be reached" in answer.words
    assert answer.link == "/slack/install" and stored_installs(tmp_path) == []
    assert not [r for r in caplog.records if r.exc_info]
