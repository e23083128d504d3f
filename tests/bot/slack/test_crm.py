"""Connecting a CRM from Slack, end to end: `/pepptalk team connect pipedrive` opens a modal
(the token never lands in the channel), its submission is checked against the fake Pipedrive,
and the crm job brings the figures in; `team connect salesforce` gives a sign-in link that goes
through the fake Salesforce's sign-in and back to Pepptalk, which keeps the connection."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import drain, run_job
from pepptalk.core.crm import RecordKind
from tests.bot.slack.harness import SECRET, SlackHarness
from tests.fakes.clock import FakeClock
from tests.fakes.crm_book import CrmBook
from tests.fakes.pipedrive_api import FakePipedrive
from tests.fakes.salesforce_api import CLIENT_ID, CLIENT_SECRET, ORG, FakeSalesforce
from tests.fakes.serving import served
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PIPEDRIVE_TOKEN = "0123456789abcdef0123456789abcdef01234567"


def book() -> CrmBook:
    """Two weeks of calls: Anna four a weekday, Bjørn two."""
    crm = CrmBook(name="Acme Sales AS")
    crm.owner("11", "Anna Berg", "anna@acme.example")
    crm.owner("12", "Bjørn Dahl", "bjorn@acme.example")
    for offset in range(1, 15):
        day = MONDAY.date() - timedelta(days=offset)
        if day.weekday() < 5:
            for owner, calls in (("11", 4), ("12", 2)):
                for n in range(calls):
                    crm.add(RecordKind.CALL, owner, datetime.combine(day, time(9, n), tzinfo=UTC))
    return crm


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def connected_pepptalk(tmp_path: Path) -> AsyncIterator[tuple[SlackHarness, Any, Any]]:
    """Pepptalk with Slack, Pipedrive and Salesforce all pointed at local fakes, served at the
    address PUBLIC_URL names (Salesforce sends the browser back there)."""
    api = await FakeSlackApi().start()
    pipedrive = FakePipedrive()
    pipedrive.company("acme", PIPEDRIVE_TOKEN, book())
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    salesforce = await FakeSalesforce(
        books={ORG: book()}, redirect_uris={f"{public}/crm/salesforce/callback"}
    ).start()
    async with served(pipedrive.app()) as pipedrive_url:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'pepptalk.db'}",
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_app_token=None,
            slack_api_url=api.base_url,
            pepptalk_encryption_key=Fernet.generate_key().decode(),
            public_url=public,
            pipedrive_api_url=f"{pipedrive_url}/{{domain}}",
            salesforce_login_url=salesforce.base_url,
            salesforce_client_id=CLIENT_ID,
            salesforce_client_secret=CLIENT_SECRET,
        )
        clock = FakeClock(MONDAY)
        pepptalk = await create_app(settings, clock=clock)
        runner = web.AppRunner(pepptalk.web, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        harness = SlackHarness(api, pepptalk, public, clock)
        try:
            yield harness, pipedrive, salesforce
        finally:
            await harness.close()
            await runner.cleanup()
            await pepptalk.close()
            await salesforce.stop()
            await api.stop()


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[tuple[SlackHarness, Any, Any]]:
    async with connected_pepptalk(tmp_path) as parts:
        harness = parts[0]
        harness.api.add_user("ULEAD", "Kari Nordmann")
        for user, name in (("UANNA", "Anna Berg"), ("UBJORN", "Bjørn Dahl"), ("UFRED", "Fredrik")):
            harness.api.add_user(user, name)
        await harness.command("ULEAD", "team create Oslo")
        await harness.command("ULEAD", "team add <@UANNA|anna> <@UBJORN|bjorn> <@UFRED|fredrik>")
        await drain(harness.services)
        harness.api.calls.clear()
        yield parts


async def command_opening_a_form(harness: SlackHarness, user_id: str, text: str) -> None:
    """A slash command whose answer is a modal: Slack acks it empty and nothing follows at the
    response_url."""
    body = urlencode(
        {
            "team_id": WORKSPACE,
            "user_id": user_id,
            "command": "/pepptalk",
            "text": text,
            "response_url": harness.api.response_url("command"),
            "trigger_id": "trigger-1",
            "channel_id": "C0",
        }
    )
    response = await harness.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status == 200


def said(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def test_a_leader_connects_pipedrive_through_a_modal(
    slack: tuple[SlackHarness, Any, Any],
) -> None:
    harness, pipedrive, _ = slack
    await command_opening_a_form(harness, "ULEAD", "team connect pipedrive")
    for _ in range(100):
        if harness.api.called("views.open"):
            break
        await asyncio.sleep(0.02)
    [opened] = harness.api.called("views.open")
    view = json.loads(json.dumps(opened.args["view"]))
    assert view["type"] == "modal" and "Connect Pipedrive" in said(view)
    assert "acme.pipedrive.com" in said(view)

    view["state"] = {
        "values": {
            "domain": {"domain": {"type": "plain_text_input", "value": "acme.pipedrive.com"}},
            "token": {"token": {"type": "plain_text_input", "value": PIPEDRIVE_TOKEN}},
        }
    }
    submitted = {"type": "view_submission", "team": {"id": WORKSPACE}, "view": view}
    submitted["user"] = {"id": "ULEAD", "team_id": WORKSPACE}
    response = await harness.interact(submitted)
    assert response.status == 200
    answer = said(await harness.next_response())
    assert "Connected to Pipedrive (Acme Sales AS)" in answer
    assert "Found 2 of 3 sellers" in answer and "Not found in Pipedrive: Fredrik" in answer
    # The token went into the modal only: nothing Pepptalk sent to Slack holds it.
    sent = [c.args for c in harness.api.calls] + harness.api.responses
    assert PIPEDRIVE_TOKEN not in json.dumps(sent)

    await run_job(harness.services, "crm")
    shown = said(await harness.command("ULEAD", "team connection"))
    assert "Last read" in shown and "figures" in shown
    asked = [a for a in pipedrive.asked if "activities" in a.path]
    assert asked and not any(a.token_in_query for a in asked)


async def test_a_leader_signs_in_to_salesforce_and_comes_back_connected(
    slack: tuple[SlackHarness, Any, Any],
) -> None:
    harness, _, salesforce = slack
    answer = said(await harness.command("ULEAD", "team connect salesforce"))
    assert "Connect Salesforce" in answer
    [link] = re.findall(r"<(http://127\.0\.0\.1:\d+/crm/salesforce/start\?state=[^|>]+)\|", answer)
    async with aiohttp.ClientSession() as browser:
        # The browser follows Pepptalk to Salesforce's sign-in and back to Pepptalk.
        async with browser.get(link.replace("&amp;", "&")) as page:
            text = await page.text()
            assert page.status == 200, text
        assert "Connected to Salesforce" in text
        assert "Found 2 of 3 sellers in Salesforce" in text
        # A forged state, or the callback reached without one, is refused.
        async with browser.get(link.split("?")[0] + "?state=forged") as page:
            assert page.status == 400 and "run out" in await page.text()
        async with browser.get(link.replace("start", "callback")) as page:
            assert page.status == 400
    assert any(r.get("code_verifier") for r in salesforce.token_requests)
    await run_job(harness.services, "crm")
    shown = said(await harness.command("ULEAD", "team connection"))
    assert "Salesforce (Acme Sales AS)" in shown and "Last read" in shown
