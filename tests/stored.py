"""Reading what Pepptalk stored, for tests that check it after acting the way users do."""

from __future__ import annotations

from pepptalk.core.kinds import Platform
from pepptalk.store.database import Database
from pepptalk.store.models import Member, Team
from pepptalk.store.teams import Membership


async def membership(database: Database, workspace_id: str, user_id: str) -> Membership | None:
    """A person's place in a team, if they have one."""
    async with database.uow() as uow:
        return await uow.teams.membership(workspace_id, user_id)


async def team_named(database: Database, workspace_id: str, name: str) -> Team | None:
    """A team by name."""
    async with database.uow() as uow:
        return await uow.teams.named(workspace_id, name)


async def members(database: Database, team_id: int) -> list[Member]:
    """A team's active members."""
    async with database.uow() as uow:
        return await uow.teams.members(team_id)


async def reference(
    database: Database, *, workspace_id: str, platform: Platform, scope: str, key: str
) -> str | None:
    """A stored conversation reference."""
    async with database.uow() as uow:
        return await uow.references.get(
            workspace_id=workspace_id, platform=platform, scope=scope, key=key
        )
