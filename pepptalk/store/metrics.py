"""The team's numbers: one row per (team, seller, metric, day), re-sent rows replacing old ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.store.models import Metric
from pepptalk.store.sql import upsert

# The week looked at and the four before it (the baseline when no goal was given).
WEEKS = 5


@dataclass(frozen=True)
class MetricRow:
    """One figure to keep."""

    member_id: int
    day: date
    metric: str
    value: float
    goal: float | None


@dataclass
class Weeks:
    """One seller's (or, summed, the team's) figures for one metric, week by week, newest first:
    week 0 is the week being looked at, weeks 1-4 the four before it."""

    values: list[float] = field(default_factory=lambda: [0.0] * WEEKS)
    goals: list[float] = field(default_factory=lambda: [0.0] * WEEKS)
    with_goal: list[int] = field(default_factory=lambda: [0] * WEEKS)
    rows: list[int] = field(default_factory=lambda: [0] * WEEKS)

    def add(self, other: Weeks) -> None:
        """Sum another seller's weeks into these."""
        for i in range(WEEKS):
            self.values[i] += other.values[i]
            self.goals[i] += other.goals[i]
            self.with_goal[i] += other.with_goal[i]
            self.rows[i] += other.rows[i]


class MetricRepository:
    """Metrics, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def keep(
        self, *, workspace_id: str, team_id: int, rows: Sequence[MetricRow], now: datetime
    ) -> int:
        """Store figures; a row already there for that seller, metric and day is replaced."""
        values = [
            {
                "workspace_id": workspace_id,
                "team_id": team_id,
                "member_id": row.member_id,
                "day": row.day,
                "metric": row.metric,
                "value": row.value,
                "goal": row.goal,
                "updated_at": now,
            }
            for row in rows
        ]
        if not values:
            return 0
        # One statement run for many rows: compiled once and cached, and sent in batches the
        # driver's parameter limit allows (SQLAlchemy's "insertmanyvalues").
        statement = upsert(self._session, Metric)
        statement = statement.on_conflict_do_update(
            index_elements=[Metric.team_id, Metric.member_id, Metric.metric, Metric.day],
            set_={
                "value": statement.excluded.value,
                "goal": statement.excluded.goal,
                "updated_at": statement.excluded.updated_at,
            },
        )
        await self._session.execute(statement, values)
        return len(values)

    async def weeks(self, *, team_id: int, last: date) -> dict[tuple[int, str], Weeks]:
        """Each seller's figures per metric for the week ending `last` and the four before it,
        summed in SQL over just those five weeks (so the cost does not grow with history)."""
        bounds = [
            (last - timedelta(days=7 * i + 6), last - timedelta(days=7 * i)) for i in range(WEEKS)
        ]
        columns = []
        for first, end in bounds:
            inside = Metric.day.between(first, end)
            columns += [
                func.sum(case((inside, Metric.value), else_=0.0)),
                func.sum(case((inside & Metric.goal.is_not(None), Metric.goal), else_=0.0)),
                func.sum(case((inside & Metric.goal.is_not(None), 1), else_=0)),
                func.sum(case((inside, 1), else_=0)),
            ]
        rows = await self._session.execute(
            select(Metric.member_id, Metric.metric, *columns)
            .where(Metric.team_id == team_id, Metric.day.between(bounds[-1][0], last))
            .group_by(Metric.member_id, Metric.metric)
        )
        found: dict[tuple[int, str], Weeks] = {}
        for member_id, metric, *sums in rows:
            weeks = Weeks()
            for i in range(WEEKS):
                value, goal, with_goal, count = sums[4 * i : 4 * i + 4]
                weeks.values[i] = float(value or 0)
                weeks.goals[i] = float(goal or 0)
                weeks.with_goal[i] = int(with_goal or 0)
                weeks.rows[i] = int(count or 0)
            found[(member_id, metric)] = weeks
        return found

    async def count(self, team_id: int) -> int:
        """How many figures a team has (for checks and benchmarks)."""
        return int(
            await self._session.scalar(select(func.count()).where(Metric.team_id == team_id)) or 0
        )
