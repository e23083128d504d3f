"""The CRM as the runtime reaches it outside a chat turn: the operator's `pepptalk crm sync`
and `pepptalk doctor`, and a leader back from signing in to Salesforce in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pepptalk.core.crm import CrmAccess, CrmError, CrmKind, CrmOwner, CrmSecret
from pepptalk.core.kinds import Role
from pepptalk.core.messages import Message
from pepptalk.handlers.crm import store_connection
from pepptalk.handlers.crm_sync import OnPage, SyncReport, read_secret, sync_connection
from pepptalk.handlers.crm_told import crm_name
from pepptalk.store.database import Database


@dataclass(frozen=True)
class ConnectionCheck:
    """One team's connection, checked: whether the CRM accepts its key, and what to say."""

    team: str
    ok: bool
    text: str


async def sync_named_team(
    *,
    database: Database,
    crm: CrmAccess,
    team: str,
    workspace_id: str | None,
    now: datetime,
    since: date | None,
    on_page: OnPage | None,
) -> SyncReport | str:
    """Read the CRM of the team an operator names; what is wrong instead, when no team has
    that name (or several do) or it has no CRM connected."""
    async with database.uow() as uow:
        teams = await uow.teams.named_in(workspace_id, team)
        connection = await uow.crm.of_team(teams[0].id) if len(teams) == 1 else None
    if len(teams) != 1:
        many = "several teams are" if teams else "no team is"
        return f"{many} named {team!r}; name it exactly (and --workspace)"
    if connection is None:
        return f"{team} has no CRM connected (team connect in the chat)"
    return await sync_connection(
        database=database,
        crm=crm,
        connection_id=connection.id,
        now=now,
        since=since,
        on_page=on_page,
    )


async def check_connections(*, database: Database, crm: CrmAccess) -> list[ConnectionCheck]:
    """Every team's connection: its key opens, and the CRM accepts it."""
    async with database.uow() as uow:
        found = []
        for connection_id in await uow.crm.all_ids():
            connection = await uow.crm.by_id(connection_id)
            owner = await uow.teams.by_id(connection.team_id) if connection else None
            if connection is not None and owner is not None:
                found.append((connection, owner.name))
    checks = []
    for connection, team in found:
        name = crm_name(connection.kind)
        source = crm.sources.get(connection.kind)
        if source is None:
            said = f"{name} is connected but SALESFORCE_CLIENT_ID/SECRET are unset"
            checks.append(ConnectionCheck(team, False, said))
            continue
        try:
            account = await source.check(read_secret(crm, connection))
        except CrmError as error:
            said = f"{name}: {error.problem.value} ({error.detail}): team connect again"
            checks.append(ConnectionCheck(team, False, said))
            continue
        synced = connection.synced_at
        last = synced.isoformat(timespec="minutes") if synced else "never"
        checks.append(ConnectionCheck(team, True, f"{name} ({account}), last read {last}"))
    return checks


async def connect_signed_in(
    *,
    database: Database,
    crm: CrmAccess,
    team_id: int,
    member_id: int,
    kind: CrmKind,
    secret: CrmSecret,
    account: str,
    owners: list[CrmOwner],
    now: datetime,
) -> Message | None:
    """Keep a connection made by signing in (Salesforce), if the person still leads the team;
    what they are told (None: they lead it no longer)."""
    async with database.uow() as uow:
        team = await uow.teams.by_id(team_id)
        members = await uow.teams.members(team_id) if team else []
        leader = next((m for m in members if m.id == member_id and m.role is Role.LEADER), None)
        if team is None or leader is None:
            return None
        return await store_connection(
            uow=uow,
            crm=crm,
            team=team,
            leader=leader,
            kind=kind,
            secret=secret,
            account=account,
            owners=owners,
            now=now,
        )
