"""Pepptalk in an Enterprise Grid organisation: what Slack sends from the workspaces of an
organisation that installed Pepptalk org-wide, in Grid's own shapes (an `enterprise`,
`is_enterprise_install`, `authorizations` naming the organisation's install, and each
workspace's own team id), signed into the real server on either database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot.app import create_app
from pepptalk.bot.jobs import drain
from pepptalk.store.database import Database
from pepptalk.store.models import Delivery
from tests.bot.slack.harness import SlackHarness, serving
from tests.bot.slack.workspaces import Page, get, many_settings, start_install
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import APP_ID, FakeSlackApi

ORG, ORG_NAME = "E0NORDIC", "Nordic Sales Group"
# Two workspaces of the organisation, each with its own sales team.
OSLO, STHLM = "T0OSLO", "T0STHLM"


@asynccontextmanager
async def running_grid(
    engine: AsyncEngine, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SlackHarness]:
    """Pepptalk for many workspaces on `engine` (SQLite or PostgreSQL), installed nowhere yet,
    beside a Slack where Nordic Sales Group has the workspaces Oslo and Stockholm."""
    api = await FakeSlackApi(tokens={}).start()
    api.add_org(ORG, ORG_NAME, [OSLO, STHLM])
    settings = many_settings(tmp_path, api)
    pepptalk = await create_app(settings, clock=clock, database=Database(engine))
    async with serving(pepptalk, api, clock) as harness:
        api.redirect_url = f"{harness.url}/slack/oauth_redirect"
        yield harness


async def install_org(slack: SlackHarness, *, installer: str = "UADMIN") -> Page:
    """An org admin installs Pepptalk org-wide from their browser, all the way."""
    slack.api.approve_next_org_install(ORG, installer)
    page, approved = await start_install(slack)
    assert approved.location is not None
    return await get(slack, approved.location, cookie=page.cookie)


def command_fields(*, org_wide: bool = True) -> dict[str, str]:
    """What a slash command from a workspace of the organisation carries besides its team_id."""
    return {
        "enterprise_id": ORG,
        "enterprise_name": ORG_NAME,
        "is_enterprise_install": "true" if org_wide else "false",
        "api_app_id": APP_ID,
    }


async def command(
    slack: SlackHarness, user_id: str, text: str, *, workspace: str, org_wide: bool = True
) -> dict[str, Any]:
    """/pepptalk typed in a workspace of the organisation."""
    return await slack.command(
        user_id, text, workspace=workspace, extra=command_fields(org_wide=org_wide)
    )


def envelope(workspace: str | None, *, org_wide: bool = True) -> dict[str, Any]:
    """An event's wrapper from a workspace of the organisation: `authorizations` names the
    install the event is for (an org-wide one names no workspace)."""
    return {
        "enterprise_id": ORG,
        "api_app_id": APP_ID,
        "authorizations": [
            {
                "enterprise_id": ORG,
                "team_id": None if org_wide else workspace,
                "user_id": f"UBOT{ORG}",
                "is_bot": True,
                "is_enterprise_install": org_wide,
            }
        ],
        "is_ext_shared_channel": False,
        "context_team_id": workspace,
        "context_enterprise_id": ORG,
    }


async def event(
    slack: SlackHarness,
    body: dict[str, Any],
    *,
    event_id: str,
    workspace: str | None,
    org_wide: bool = True,
) -> int:
    """An event from a workspace of the organisation (no workspace: one about the
    organisation's install itself)."""
    return await slack.event(
        body, event_id=event_id, workspace=workspace, extra=envelope(workspace, org_wide=org_wide)
    )


async def access_event(slack: SlackHarness, kind: str, workspaces: list[str], event_id: str) -> int:
    """team_access_granted / team_access_revoked: the organisation's admins added the app to
    (or took it out of) some of its workspaces."""
    body = {"type": kind, "team_ids": workspaces, "event_ts": "1700000000.000100"}
    return await slack.event(
        body, event_id=event_id, workspace=None, extra={"enterprise_id": ORG, "api_app_id": APP_ID}
    )


async def click(
    slack: SlackHarness,
    user_id: str,
    block: dict[str, Any],
    button: dict[str, Any],
    *,
    workspace: str,
) -> None:
    """A button pressed in a workspace of the organisation, as an org-wide install gets it:
    `team` may be null, the person's team_id then naming the workspace."""
    payload = {
        "type": "block_actions",
        "team": None,
        "enterprise": {"id": ORG, "name": ORG_NAME},
        "is_enterprise_install": True,
        "api_app_id": APP_ID,
        "user": {"id": user_id, "username": user_id.lower(), "team_id": workspace},
        "trigger_id": "trigger-2",
        "response_url": slack.api.response_url("button"),
        "container": {"type": "message"},
        "actions": [
            {
                "type": "button",
                "block_id": block["block_id"],
                "action_id": button["action_id"],
                "value": button["value"],
            }
        ],
    }
    assert (await slack.interact(payload)).status == 200


async def set_up_team(
    slack: SlackHarness, workspace: str, sellers: list[str], *, org_wide: bool = True
) -> None:
    """A leader in `workspace` creates a team "Sales" and adds `sellers`; the welcomes go out
    and are then forgotten."""
    leader = f"ULEAD{workspace}"
    slack.api.add_user(leader, f"Leader {workspace}", workspace=workspace)
    for user_id in sellers:
        slack.api.add_user(user_id, f"Seller {user_id}", workspace=workspace)
    created = await command(
        slack, leader, "team create Sales", workspace=workspace, org_wide=org_wide
    )
    assert "is ready" in str(created), created
    mentions = " ".join(f"<@{u}|{u.lower()}>" for u in sellers)
    added = await command(
        slack, leader, f"team add {mentions}", workspace=workspace, org_wide=org_wide
    )
    assert "Added" in str(added), added
    assert (await drain(slack.services)).sent == len(sellers)
    slack.api.calls.clear()
    slack.api.history.clear()


async def checkins(slack: SlackHarness, workspace: str) -> list[tuple[str, str | None]]:
    """(status, error) of every check-in queued for a workspace."""
    async with slack.services.database.uow() as uow:
        rows = await uow.session.execute(
            select(Delivery.status, Delivery.error)
            .where(Delivery.workspace_id == workspace, Delivery.kind == "checkin")
            .order_by(Delivery.id)
        )
        return [(str(status), error) for status, error in rows]


async def until(condition: Callable[[], object], within: float = 5.0) -> None:
    """Wait (a few seconds at most) for `condition`: an event's listener runs after Slack has
    its 200."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
