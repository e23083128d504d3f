"""Teams' CRM connections and the goals leaders set in Pepptalk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.crm import CrmKind, GoalPeriod
from pepptalk.store.crm_models import CrmConnection, Goal


class CrmRepository:
    """CRM connections and goals, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def of_team(self, team_id: int) -> CrmConnection | None:
        """The team's connection, if it has one."""
        return await self._session.scalar(
            select(CrmConnection).where(CrmConnection.team_id == team_id)
        )

    async def by_id(self, connection_id: int) -> CrmConnection | None:
        """A connection by its id."""
        return await self._session.get(CrmConnection, connection_id)

    async def connect(
        self,
        *,
        workspace_id: str,
        team_id: int,
        kind: CrmKind,
        secret: str,
        account: str,
        member_id: int | None,
        now: datetime,
    ) -> CrmConnection:
        """Connect a team's CRM, replacing the one it had (a new CRM starts its history anew)."""
        await self._session.execute(delete(CrmConnection).where(CrmConnection.team_id == team_id))
        connection = CrmConnection(
            workspace_id=workspace_id,
            team_id=team_id,
            kind=kind,
            secret=secret,
            account=account[:200],
            connected_by=member_id,
            connected_at=now,
            figures=0,
            unmatched="[]",
            problem_told=False,
            own_goals_first=False,
        )
        self._session.add(connection)
        await self._session.flush()
        return connection

    async def disconnect(self, team_id: int) -> bool:
        """Forget a team's connection and its secret; whether there was one."""
        result = await self._session.execute(
            delete(CrmConnection).where(CrmConnection.team_id == team_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def all_ids(self) -> list[int]:
        """Every connection's id (a sync looks at each in turn)."""
        return list(await self._session.scalars(select(CrmConnection.id)))

    async def lease(self, connection_id: int, *, now: datetime, until: datetime) -> bool:
        """Take the right to sync a connection until `until`, unless someone holds it now."""
        result = await self._session.execute(
            update(CrmConnection)
            .where(
                CrmConnection.id == connection_id,
                or_(CrmConnection.lease_until.is_(None), CrmConnection.lease_until <= now),
            )
            .values(lease_until=until)
        )
        return bool(getattr(result, "rowcount", 0))

    async def goals(self, team_id: int) -> list[Goal]:
        """The goals a team's leaders set in Pepptalk."""
        return list(await self._session.scalars(select(Goal).where(Goal.team_id == team_id)))

    async def set_goal(
        self,
        *,
        workspace_id: str,
        team_id: int,
        member_id: int | None,
        metric: str,
        period: GoalPeriod,
        value: float | None,
        now: datetime,
    ) -> None:
        """Set (or, with value None, clear) the team's or one seller's goal for a metric."""
        same = Goal.member_id.is_(None) if member_id is None else Goal.member_id == member_id
        await self._session.execute(
            delete(Goal).where(Goal.team_id == team_id, Goal.metric == metric, same)
        )
        if value is not None:
            self._session.add(
                Goal(
                    workspace_id=workspace_id,
                    team_id=team_id,
                    member_id=member_id,
                    metric=metric,
                    period=period,
                    value=value,
                    set_at=now,
                )
            )
