"""Teams and their members: the aggregate every habit starts from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import Platform, Role
from pepptalk.core.ports import UserProfile
from pepptalk.store.models import Member, Team
from pepptalk.store.sql import active

# The statements behind every command, built once: building one costs more CPU than running it
# (and its cache key is worked out once per statement object).
_MEMBERSHIP = (
    select(Member, Team)
    .join(Team, Team.id == Member.team_id)
    .where(
        Member.workspace_id == bindparam("workspace_id"),
        Member.user_id == bindparam("user_id"),
        active(),
    )
)
_MEMBERS = (
    select(Member)
    .where(Member.team_id == bindparam("team_id"), active())
    .order_by(Member.role, func.lower(Member.display_name))
)


@dataclass(frozen=True)
class Membership:
    """A person's active place in a team."""

    member: Member
    team: Team

    @property
    def is_leader(self) -> bool:
        """Whether this person leads the team."""
        return self.member.role is Role.LEADER


class TeamRepository:
    """Teams and members, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def membership(self, workspace_id: str, user_id: str) -> Membership | None:
        """The active team membership of a person, if any."""
        row = (
            await self._session.execute(
                _MEMBERSHIP, {"workspace_id": workspace_id, "user_id": user_id}
            )
        ).first()
        return Membership(member=row[0], team=row[1]) if row else None

    async def named(self, workspace_id: str, name: str) -> Team | None:
        """A team by name (case-insensitive) in a workspace."""
        return (
            await self._session.scalars(
                select(Team).where(
                    Team.workspace_id == workspace_id, func.lower(Team.name) == name.lower()
                )
            )
        ).first()

    async def create(
        self,
        *,
        workspace_id: str,
        platform: Platform,
        name: str,
        leader: UserProfile,
        timezone: str,
        country: str | None,
        now: datetime,
    ) -> Membership:
        """Create a team with its first leader."""
        team = Team(
            workspace_id=workspace_id,
            platform=platform,
            name=name,
            timezone=timezone,
            country=country,
            created_at=now,
        )
        self._session.add(team)
        await self._session.flush()
        member = Member(
            workspace_id=workspace_id,
            team_id=team.id,
            user_id=leader.user_id,
            role=Role.LEADER,
            display_name=leader.name,
            timezone=leader.timezone,
            paused=False,
            joined_at=now,
        )
        self._session.add(member)
        await self._session.flush()
        return Membership(member=member, team=team)

    async def add_sellers(
        self, *, team: Team, people: Sequence[UserProfile], now: datetime
    ) -> list[Member]:
        """Add people to a team as sellers (a removed seller of this team comes back)."""
        added = []
        for person in people:
            member = (
                await self._session.scalars(
                    select(Member)
                    .where(Member.team_id == team.id, Member.user_id == person.user_id)
                    .order_by(Member.id.desc())
                )
            ).first()
            if member is None:
                member = Member(
                    workspace_id=team.workspace_id,
                    team_id=team.id,
                    user_id=person.user_id,
                    role=Role.SELLER,
                    paused=False,
                    joined_at=now,
                )
                self._session.add(member)
            member.removed_at = None
            member.display_name = person.name
            member.timezone = person.timezone
            member.email = person.email
            added.append(member)
        await self._session.flush()
        return added

    async def by_token_hash(self, token_hash: str) -> Team | None:
        """The team whose metrics token hashes to this."""
        return (
            await self._session.scalars(select(Team).where(Team.metrics_token_hash == token_hash))
        ).first()

    async def named_in(self, workspace_id: str | None, name: str) -> list[Team]:
        """Teams by name (case-insensitive), in one workspace or any."""
        query = select(Team).where(func.lower(Team.name) == name.lower())
        if workspace_id is not None:
            query = query.where(Team.workspace_id == workspace_id)
        return list(await self._session.scalars(query))

    async def by_id(self, team_id: int) -> Team | None:
        """A team by its id."""
        return await self._session.get(Team, team_id)

    async def members(self, team_id: int) -> list[Member]:
        """The active members of a team, leaders first, then by name."""
        return list(await self._session.scalars(_MEMBERS, {"team_id": team_id}))

    async def sellers(self, team_id: int) -> list[Member]:
        """The active sellers of a team, by name."""
        return [m for m in await self.members(team_id) if m.role is Role.SELLER]

    async def seller(
        self, team_id: int, *, member_id: int | None = None, user_id: str = ""
    ) -> Member | None:
        """An active seller of a team, by member id or by platform user id."""
        query = select(Member).where(
            Member.team_id == team_id, Member.role == Role.SELLER, active()
        )
        if member_id is not None:
            query = query.where(Member.id == member_id)
        else:
            query = query.where(Member.user_id == user_id)
        return (await self._session.scalars(query)).first()

    async def update_profile(self, *, workspace_id: str, profile: UserProfile) -> None:
        """Keep a person's name, time zone (and e-mail, when known) as the platform reports them."""
        values: dict[str, str | None] = {"display_name": profile.name, "timezone": profile.timezone}
        if profile.email:
            values["email"] = profile.email
        await self._session.execute(
            update(Member)
            .where(Member.workspace_id == workspace_id, Member.user_id == profile.user_id, active())
            .values(**values)
        )

    async def with_members(self) -> list[tuple[Team, list[Member]]]:
        """Every team with its active members (for the schedule)."""
        teams = list(await self._session.scalars(select(Team).order_by(Team.id)))
        members = await self._session.scalars(select(Member).where(active()).order_by(Member.id))
        by_team: dict[int, list[Member]] = {team.id: [] for team in teams}
        for member in members:
            by_team.setdefault(member.team_id, []).append(member)
        return [(team, by_team[team.id]) for team in teams]

    async def leader_names(self, team_ids: Iterable[int]) -> dict[int, list[str]]:
        """The leaders' names of many teams in one query."""
        ids = set(team_ids)
        names: dict[int, list[str]] = {team_id: [] for team_id in ids}
        if not ids:
            return names
        rows = await self._session.execute(
            select(Member.team_id, Member.display_name)
            .where(Member.team_id.in_(ids), Member.role == Role.LEADER, active())
            .order_by(Member.id)
        )
        for team_id, name in rows:
            names[team_id].append(name)
        return names
