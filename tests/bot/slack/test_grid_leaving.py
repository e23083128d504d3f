"""An Enterprise Grid organisation that leaves, takes Pepptalk out of a workspace, rotates its
org-wide token or changes a person's profile; and SLACK_BOT_TOKEN holding an organisation's
token. Signed requests in Grid's shapes into the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import claim, drain
from pepptalk.core.kinds import DeliveryStatus
from pepptalk.store.database import Database
from pepptalk.store.installation_models import SlackInstallation
from tests.bot.slack.grid import (
    ORG,
    ORG_NAME,
    OSLO,
    STHLM,
    access_event,
    checkins,
    command,
    event,
    install_org,
    running_grid,
    set_up_team,
    until,
)
from tests.bot.slack.harness import SECRET, SlackHarness, serving
from tests.bot.slack.workspaces import KEY, install
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import TOKEN, FakeSlackApi
from tests.stored import membership, team_named

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
ACME = "T0ACME"
PENDING = (DeliveryStatus.PENDING, None)


@pytest.fixture
async def slack(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_grid(engine, tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


def words(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def morning(slack: SlackHarness, days: int = 0) -> int:
    """The schedule queues a morning's check-ins (`days` after Monday's); how many."""
    at = MONDAY_0830_OSLO + timedelta(days=days)
    slack.clock.set(at)
    return await claim(slack.services, "checkins", at=at, queued_at=at)


def ended(reason: str) -> list[tuple[str, str | None]]:
    return [(DeliveryStatus.FAILED, reason)]


async def test_an_org_uninstall_ends_each_workspace_of_the_organisation_and_no_one_else(
    slack: SlackHarness,
) -> None:
    await install_org(slack)
    assert (await install(slack, ACME, "Acme")).status == 200
    await set_up_team(slack, OSLO, ["UOSLO1"])
    await set_up_team(slack, STHLM, ["USTHLM1"])
    await set_up_team(slack, ACME, ["UACME1"], org_wide=False)
    assert await morning(slack) == 3

    slack.api.revoke(ORG)
    uninstalled = {"type": "app_uninstalled", "event_ts": "1700000000.000100"}
    assert await event(slack, uninstalled, event_id="Ev-org-gone", workspace=None) == 200
    await until(lambda: _all_ended(slack, "app_uninstalled"))
    assert await checkins(slack, ACME) == [PENDING]
    assert (await drain(slack.services)).sent == 1
    assert [c.args["channel"] for c in slack.api.called("chat.postMessage")] == ["UACME1"]
    async with slack.services.database.uow() as uow:
        assert [r.workspace_id for r in await uow.session.scalars(select(SlackInstallation))] == [
            ACME
        ]

    # Oslo still types the command: told why nothing happens.
    answer = await command(slack, "ULEADT0OSLO", "team", workspace=OSLO)
    assert "isn't installed in this workspace" in words(answer)
    # The teams stayed: installing org-wide again picks up where they were.
    assert await team_named(slack.services.database, STHLM, "Sales") is not None
    assert (await install_org(slack)).status == 200
    assert "Seller UOSLO1" in words(await command(slack, "ULEADT0OSLO", "team", workspace=OSLO))


async def _all_ended(slack: SlackHarness, reason: str) -> bool:
    return all([await checkins(slack, w) == ended(reason) for w in (OSLO, STHLM)])


async def test_taking_the_app_out_of_a_workspace_or_revoking_the_org_token_ends_its_sends(
    slack: SlackHarness,
) -> None:
    await install_org(slack)
    await set_up_team(slack, OSLO, ["UOSLO1"])
    await set_up_team(slack, STHLM, ["USTHLM1"])
    [org_token] = slack.api.tokens_of(ORG)
    assert await morning(slack) == 2

    # The org admins take Pepptalk out of Stockholm: its queued check-in ends, Oslo's goes.
    assert await access_event(slack, "team_access_revoked", [STHLM], "Ev-out") == 200
    await until(lambda: _is(slack, STHLM, ended("team_access_revoked")))
    assert await checkins(slack, OSLO) == [PENDING]
    assert (await drain(slack.services)).sent == 1
    assert [c.args["channel"] for c in slack.api.called("chat.postMessage")] == ["UOSLO1"]
    # Tuesday: nothing reaches Stockholm any more; its team is kept.
    assert await morning(slack, days=1) == 2
    report = await drain(slack.services)
    assert report.sent == 1 and report.errors == ["not_installed"]

    # They add it back: Wednesday's check-ins reach both, with the organisation's token.
    assert await access_event(slack, "team_access_granted", [STHLM], "Ev-in") == 200
    assert await morning(slack, days=2) == 2
    slack.api.calls.clear()
    assert (await drain(slack.services)).sent == 2
    assert {c.token for c in slack.api.called("chat.postMessage")} == {org_token}

    # Thursday's are queued when the organisation revokes the bot's token.
    assert await morning(slack, days=3) == 2
    revoked = {"type": "tokens_revoked", "tokens": {"bot": [f"UBOT{ORG}"]}}
    assert await event(slack, revoked, event_id="Ev-revoked", workspace=None) == 200
    await until(lambda: _last_ended(slack, "tokens_revoked"))
    assert await team_named(slack.services.database, STHLM, "Sales") is not None


async def _is(slack: SlackHarness, workspace: str, expected: list[Any]) -> bool:
    return await checkins(slack, workspace) == expected


async def _last_ended(slack: SlackHarness, reason: str) -> bool:
    """Whether the latest check-in queued in each workspace of the organisation ended so."""
    return all([(await checkins(slack, w))[-1:] == ended(reason) for w in (OSLO, STHLM)])


async def test_an_org_token_rotates_once_for_all_its_workspaces(slack: SlackHarness) -> None:
    # Token rotation on, and a first token that lives an hour: within the two-hour window, so
    # each use rotates it until the tokens live twelve hours again.
    slack.api.token_expires_in = 3600
    await install_org(slack)
    await set_up_team(slack, OSLO, ["UOSLO1"])
    await set_up_team(slack, STHLM, ["USTHLM1"])
    assert await morning(slack) == 2
    slack.api.token_expires_in = 12 * 3600
    # A refresh that takes a moment, so both sends are under way while it is.
    slack.api.slow["oauth.v2.access"] = 0.3
    slack.api.calls.clear()

    # Both workspaces' check-ins need the organisation's token at once: it is refreshed once.
    assert (await drain(slack.services)).sent == 2
    refreshes = [c for c in slack.api.called("oauth.v2.access") if c.args.get("refresh_token")]
    assert len(refreshes) == 1
    newest = slack.api.tokens_of(ORG)[-1]
    assert {c.token for c in slack.api.called("chat.postMessage")} == {newest}
    async with slack.services.database.uow() as uow:
        [row] = list(await uow.session.scalars(select(SlackInstallation)))
    assert Fernet(KEY).decrypt(row.bot_token.encode()).decode() == newest


async def test_a_profile_change_is_kept_in_every_workspace_of_the_organisation(
    slack: SlackHarness,
) -> None:
    await install_org(slack)
    await set_up_team(slack, STHLM, ["USTHLM1"])
    # The organisation's event names another of its workspaces: the person is the same.
    moved = dict(slack.api.users["USTHLM1"], tz="America/New_York")
    changed = {"type": "user_change", "user": moved}
    assert await event(slack, changed, event_id="Ev-moved", workspace=OSLO) == 200
    await until(lambda: _zone_of(slack, "USTHLM1", "America/New_York"))
    # Monday 08:30 in Oslo is still night in New York: no check-in for her yet.
    assert await morning(slack) == 0


async def _zone_of(slack: SlackHarness, user_id: str, zone: str) -> bool:
    seat = await membership(slack.services.database, STHLM, user_id)
    return seat is not None and seat.member.timezone == zone


async def test_slack_bot_token_may_be_an_organisations_token(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = FakeClock(MONDAY_0830_OSLO)
    api = await FakeSlackApi(tokens={TOKEN: ORG}).start()
    api.add_org(ORG, ORG_NAME, [OSLO, STHLM])
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'pepptalk.db'}",
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=api.base_url,
    )
    pepptalk = await create_app(settings, clock=clock, database=Database(engine))
    async with serving(pepptalk, api, clock) as slack:
        await set_up_team(slack, OSLO, ["UOSLO1"])
        await set_up_team(slack, STHLM, ["USTHLM1"])
        assert await morning(slack) == 2
        assert (await drain(slack.services)).sent == 2
        sent = {(c.workspace, c.args["channel"], c.token) for c in api.called("chat.postMessage")}
        assert sent == {(OSLO, "UOSLO1", TOKEN), (STHLM, "USTHLM1", TOKEN)}

        # The organisation uninstalls: every workspace of it stops getting messages.
        assert await morning(slack, days=1) == 2
        uninstalled = {"type": "app_uninstalled", "event_ts": "1700000000.000100"}
        assert await event(slack, uninstalled, event_id="Ev-gone", workspace=None) == 200
        await until(lambda: _last_ended(slack, "app_uninstalled"))
