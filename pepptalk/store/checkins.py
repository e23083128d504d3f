"""Check-ins: each seller's mood and note for a day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import DeliveryKind, DeliveryStatus, Mood
from pepptalk.store.models import Checkin, Delivery, Member
from pepptalk.store.sql import upsert

# Built once: building a statement costs more CPU than running it.
_OF_TEAM = select(Checkin).where(
    Checkin.team_id == bindparam("team_id"), Checkin.local_date == bindparam("day")
)


@dataclass(frozen=True)
class LateLow:
    """A low mood that came after the summary: whose leader should hear of it, and about whom."""

    workspace_id: str
    team_id: int
    leader_id: int
    seller_id: int
    day: date


@dataclass(frozen=True)
class DayMood:
    """A team's day: the average mood of those who answered, and how many did."""

    day: date
    average: float
    answers: int


class CheckinRepository:
    """Check-ins, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save_mood(self, *, member: Member, day: date, mood: Mood, now: datetime) -> Checkin:
        """Record (or change) a seller's mood for a date, keeping any note."""
        statement = (
            upsert(self._session, Checkin)
            .values(
                workspace_id=member.workspace_id,
                team_id=member.team_id,
                member_id=member.id,
                local_date=day,
                mood=mood,
                note_private=False,
                answered_at=now,
                updated_at=now,
                mood_at=now,
            )
            .on_conflict_do_update(
                index_elements=[Checkin.member_id, Checkin.local_date],
                set_={"mood": mood, "updated_at": now, "mood_at": now},
            )
        )
        await self._session.execute(statement)
        checkin = await self.of(member_id=member.id, day=day, fresh=True)
        if checkin is None:  # pragma: no cover - it was written a line ago, in this transaction
            raise RuntimeError("a check-in just saved could not be read back")
        return checkin

    async def of(self, *, member_id: int, day: date, fresh: bool = False) -> Checkin | None:
        """A seller's check-in for a date (`fresh`: read again, past what this session holds)."""
        query = select(Checkin).where(Checkin.member_id == member_id, Checkin.local_date == day)
        if fresh:
            query = query.execution_options(populate_existing=True)
        return (await self._session.scalars(query)).first()

    async def of_many(self, keys: Iterable[tuple[int, date]]) -> dict[tuple[int, date], Checkin]:
        """The check-ins for many (member id, date) pairs in one query."""
        wanted = set(keys)
        if not wanted:
            return {}
        members = {member_id for member_id, _ in wanted}
        days = {day for _, day in wanted}
        rows = await self._session.scalars(
            select(Checkin).where(Checkin.member_id.in_(members), Checkin.local_date.in_(days))
        )
        return {
            (c.member_id, c.local_date): c for c in rows if (c.member_id, c.local_date) in wanted
        }

    async def of_team(self, *, team_id: int, day: date) -> list[Checkin]:
        """A team's check-ins for a date."""
        return list(await self._session.scalars(_OF_TEAM, {"team_id": team_id, "day": day}))

    async def of_team_between(self, *, team_id: int, first: date, last: date) -> list[Checkin]:
        """A team's check-ins from `first` to `last`, inclusive, oldest first."""
        rows = await self._session.scalars(
            select(Checkin)
            .where(
                Checkin.team_id == team_id, Checkin.local_date >= first, Checkin.local_date <= last
            )
            .order_by(Checkin.local_date)
        )
        return list(rows)

    async def daily_moods(self, *, team_id: int, first: date, last: date) -> list[DayMood]:
        """The team's average mood and number of answers for each day that had any, oldest
        first: one row a day, whatever the team's size or age."""
        rows = await self._session.execute(
            select(Checkin.local_date, func.avg(Checkin.mood), func.count())
            .where(
                Checkin.team_id == team_id, Checkin.local_date >= first, Checkin.local_date <= last
            )
            .group_by(Checkin.local_date)
            .order_by(Checkin.local_date)
        )
        return [DayMood(day, float(average), int(count)) for day, average, count in rows]

    async def low_after_summary(self, *, since: date) -> list[LateLow]:
        """Low moods set after their team's summary went out to a leader, since a date."""
        rows = await self._session.execute(
            select(
                Delivery.workspace_id,
                Delivery.team_id,
                Delivery.member_id,
                Checkin.member_id,
                Delivery.local_date,
            )
            .join(
                Checkin,
                and_(
                    Checkin.team_id == Delivery.team_id, Checkin.local_date == Delivery.local_date
                ),
            )
            .where(
                Delivery.kind == DeliveryKind.SUMMARY.value,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.local_date >= since,
                Checkin.mood <= Mood.LOW,
                func.coalesce(Checkin.mood_at, Checkin.answered_at) > Delivery.sent_at,
            )
        )
        return [LateLow(*row) for row in rows]

    async def recent(self, *, member_id: int, limit: int) -> list[Checkin]:
        """A member's latest check-ins, newest first."""
        rows = await self._session.scalars(
            select(Checkin)
            .where(Checkin.member_id == member_id)
            .order_by(Checkin.local_date.desc())
            .limit(limit)
        )
        return list(rows)
