"""Pepptalk installed org-wide in an Enterprise Grid organisation: one install through the real
OAuth routes serves every workspace of the organisation; commands, buttons and events from any of
them work; each workspace keeps its own teams and queue; and the organisation leaving (or taking
the app out of a workspace) ends what was queued there. Signed requests in Grid's shapes into the
real server, on SQLite and PostgreSQL, a fake Web API out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot.jobs import claim, drain
from pepptalk.core.kinds import DeliveryStatus
from pepptalk.store.installation_models import SlackInstallation
from tests.bot.slack.grid import (
    ORG,
    OSLO,
    STHLM,
    checkins,
    click,
    command,
    event,
    install_org,
    running_grid,
    set_up_team,
    until,
)
from tests.bot.slack.harness import SlackHarness
from tests.bot.slack.workspaces import KEY, install
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import APP_ID, Call
from tests.stored import members, membership, team_named

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
PENDING = (DeliveryStatus.PENDING, None)


@pytest.fixture
async def slack(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_grid(engine, tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


def words(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def installs(slack: SlackHarness) -> list[SlackInstallation]:
    async with slack.services.database.uow() as uow:
        return list(await uow.session.scalars(select(SlackInstallation)))


def posts(slack: SlackHarness) -> dict[str, list[tuple[str, str | None]]]:
    """Each DM's person and the token it went with, by the workspace Slack saw it in."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for call in slack.api.called("chat.postMessage"):
        found.setdefault(str(call.workspace), []).append((call.args["channel"], call.token))
    return {workspace: sorted(sent) for workspace, sent in found.items()}


async def morning(slack: SlackHarness) -> int:
    """The schedule queues this morning's check-ins; how many."""
    return await claim(slack.services, "checkins", at=MONDAY_0830_OSLO, queued_at=MONDAY_0830_OSLO)


async def test_an_org_wide_install_is_kept_once_for_the_whole_organisation(
    slack: SlackHarness,
) -> None:
    done = await install_org(slack)
    assert done.status == 200
    assert "Pepptalk is now installed for all of Nordic Sales Group" in done.words
    # Until an org admin adds it to workspaces it is in none: the page leads there.
    assert done.link == (
        f"https://app.slack.com/manage/{ORG}/integrations/profile/{APP_ID}/workspaces/add"
    )
    [access] = [c for c in slack.api.called("oauth.v2.access") if c.args.get("code")]
    [token] = slack.api.tokens_of(ORG)
    [row] = await installs(slack)
    assert row.workspace_id is None and row.enterprise_id == ORG
    assert row.enterprise_name == "Nordic Sales Group" and row.installer_user_id == "UADMIN"
    assert token not in row.bot_token and Fernet(KEY).decrypt(row.bot_token.encode()) == (
        token.encode()
    )

    # Installing org-wide again (new scopes, another admin) updates that row.
    assert (await install_org(slack, installer="UOTHERADMIN")).status == 200
    [row] = await installs(slack)
    assert row.installer_user_id == "UOTHERADMIN"
    assert Fernet(KEY).decrypt(row.bot_token.encode()).decode() == slack.api.tokens_of(ORG)[-1]
    assert access.args["code"].startswith(f"code-{ORG}")


async def test_each_workspace_of_the_organisation_keeps_its_own_people(
    slack: SlackHarness,
) -> None:
    await install_org(slack)
    await set_up_team(slack, OSLO, ["UOSLO1", "UOSLO2"])
    await set_up_team(slack, STHLM, ["USTHLM1"])
    [org_token] = slack.api.tokens_of(ORG)

    # Two teams called Sales, one per workspace, each with its own people.
    oslo, sthlm = [await team_named(slack.services.database, w, "Sales") for w in (OSLO, STHLM)]
    assert oslo is not None and sthlm is not None and oslo.id != sthlm.id
    assert {m.user_id for m in await members(slack.services.database, oslo.id)} == {
        "ULEADT0OSLO",
        "UOSLO1",
        "UOSLO2",
    }
    team = words(await command(slack, "ULEADT0STHLM", "team", workspace=STHLM))
    assert "Seller USTHLM1" in team and "UOSLO" not in team

    # This morning's check-ins: queued per workspace, sent with the organisation's token.
    assert await morning(slack) == 3
    assert await checkins(slack, OSLO) == [PENDING, PENDING]
    assert await checkins(slack, STHLM) == [PENDING]
    assert (await drain(slack.services)).sent == 3
    assert posts(slack) == {
        OSLO: [("UOSLO1", org_token), ("UOSLO2", org_token)],
        STHLM: [("USTHLM1", org_token)],
    }


async def test_buttons_and_events_from_any_workspace_of_the_organisation_work(
    slack: SlackHarness,
) -> None:
    await install_org(slack)
    await set_up_team(slack, STHLM, ["USTHLM1"])
    [org_token] = slack.api.tokens_of(ORG)
    assert await morning(slack) == 1
    assert (await drain(slack.services)).sent == 1

    # A mood tap, from an org-wide install's interactivity payload (no `team`).
    checkin = slack.api.messages_in("USTHLM1")[-1]
    moods = next(b for b in checkin.blocks if b["type"] == "actions")
    await click(slack, "USTHLM1", moods, moods["elements"][3], workspace=STHLM)
    assert (await slack.next_response())["replace_original"] is True
    seat = await membership(slack.services.database, STHLM, "USTHLM1")
    assert seat is not None
    async with slack.services.database.uow() as uow:
        answer = await uow.checkins.of(member_id=seat.member.id, day=MONDAY_0830_OSLO.date())
    assert answer is not None and int(answer.mood) == 4

    # A line written in the DM: an event whose authorizations name the organisation's install.
    dm = {"type": "message", "channel_type": "im", "channel": "DSTHLM1", "user": "USTHLM1"}
    dm["text"] = "Big demo at ten"
    assert await event(slack, dm, event_id="Ev-dm", workspace=STHLM) == 200

    def replies() -> list[Call]:
        return [c for c in slack.api.called("chat.postMessage") if c.args["channel"] == "DSTHLM1"]

    await until(replies)
    [reply] = replies()
    assert "Note saved" in words(reply.args) and reply.token == org_token

    # The App Home, opened in Stockholm, shows the seller's own mornings.
    home = {"type": "app_home_opened", "user": "USTHLM1", "tab": "home"}
    assert await event(slack, home, event_id="Ev-home", workspace=STHLM) == 200
    await until(lambda: slack.api.called("views.publish"))
    [published] = slack.api.called("views.publish")
    assert published.token == org_token and published.workspace == STHLM
    assert "Check-in streak" in words(published.args["view"])
    assert slack.api.violations == []


async def test_a_workspace_with_its_own_install_keeps_its_own_token(slack: SlackHarness) -> None:
    await install_org(slack)
    assert (await install(slack, STHLM, "Stockholm")).status == 200
    await set_up_team(slack, OSLO, ["UOSLO1"])
    await set_up_team(slack, STHLM, ["USTHLM1"], org_wide=False)
    [org_token], [sthlm_token] = slack.api.tokens_of(ORG), slack.api.tokens_of(STHLM)
    assert await morning(slack) == 2
    assert (await drain(slack.services)).sent == 2
    assert posts(slack) == {OSLO: [("UOSLO1", org_token)], STHLM: [("USTHLM1", sthlm_token)]}
