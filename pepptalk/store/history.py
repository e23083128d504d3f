"""A team's history by week: what the web view reads, added up in SQL so a page costs one row
per seller and week, however many answers, talks and wins lie behind it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from pepptalk.core.kinds import DeliveryKind, DeliveryStatus, FeedbackKind, Mood, Platform
from pepptalk.store.models import (
    Agenda,
    AgendaItem,
    Checkin,
    Delivery,
    Feedback,
    MeetingAction,
    Member,
    Metric,
    Team,
    Win,
)
from pepptalk.store.teams import Membership


class week_of(FunctionElement[int]):  # noqa: N801 - read as SQL, like func.count
    """Which week after `first` (a Monday) a date falls in: 0 for the first week."""

    type = Integer()
    inherit_cache = True
    name = "week_of"


@compiles(week_of, "sqlite")
def _week_of_sqlite(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    day, first = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST(julianday({day}) - julianday({first}) AS INTEGER) / 7)"


@compiles(week_of, "postgresql")
def _week_of_postgresql(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    day, first = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({day} - CAST({first} AS DATE)) / 7)"


def _week(column: Any, first: date) -> week_of:
    return week_of(column, literal(first, Date()))


@dataclass(frozen=True)
class SellerWeek:
    """One seller's answers in one week."""

    member_id: int
    week: int
    answers: int
    mood_sum: int


@dataclass(frozen=True)
class Asked:
    """Check-ins that went out to one seller in one week."""

    member_id: int
    week: int
    count: int


@dataclass(frozen=True)
class LowMorning:
    member_id: int
    day: date


@dataclass(frozen=True)
class TalkRow:
    """A feedback talk as the history shows it: who, when, which kind."""

    member_id: int
    given_on: date
    kind: FeedbackKind


@dataclass(frozen=True)
class WinWeek:
    """One seller's wins in one week, and how many of them were shouted out."""

    member_id: int
    week: int
    wins: int
    shouted: int


@dataclass(frozen=True)
class FigureWeek:
    """The team's total of one metric in one week, and of its goals where rows carry one."""

    metric: str
    week: int
    value: float
    goal: float | None


class HistoryRepository:
    """The web view's reads, each one statement grouped by week."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seller_weeks(self, team_id: int, first: date, last: date) -> list[SellerWeek]:
        """Each seller's number of answers and sum of moods per week."""
        week = _week(Checkin.local_date, first)
        rows = await self._session.execute(
            select(Checkin.member_id, week, func.count(), func.sum(Checkin.mood, type_=Integer()))
            .where(*_between(Checkin.team_id, Checkin.local_date, team_id, first, last))
            .group_by(Checkin.member_id, week)
        )
        return [SellerWeek(m, int(w), int(n), int(s)) for m, w, n, s in rows]

    async def asked(self, team_id: int, first: date, last: date) -> list[Asked]:
        """Check-ins sent per seller and week: a week without any was a pause or time off."""
        week = _week(Delivery.local_date, first)
        rows = await self._session.execute(
            select(Delivery.member_id, week, func.count())
            .where(
                *_between(Delivery.team_id, Delivery.local_date, team_id, first, last),
                Delivery.kind == DeliveryKind.CHECKIN.value,
                Delivery.status == DeliveryStatus.SENT,
            )
            .group_by(Delivery.member_id, week)
        )
        return [Asked(m, int(w), int(n)) for m, w, n in rows]

    async def low_mornings(self, team_id: int, first: date, last: date) -> list[LowMorning]:
        """Every low start in the span, oldest first: few, and enough to find runs of them."""
        rows = await self._session.execute(
            select(Checkin.member_id, Checkin.local_date)
            .where(
                *_between(Checkin.team_id, Checkin.local_date, team_id, first, last),
                Checkin.mood <= Mood.LOW,
            )
            .order_by(Checkin.local_date)
        )
        return [LowMorning(m, d) for m, d in rows]

    async def talks(self, team_id: int, first: date, last: date) -> list[TalkRow]:
        """The team's feedback talks in the span, oldest first (what and when, not the notes)."""
        rows = await self._session.execute(
            select(Feedback.member_id, Feedback.given_on, Feedback.kind)
            .where(*_between(Feedback.team_id, Feedback.given_on, team_id, first, last))
            .order_by(Feedback.given_on, Feedback.id)
        )
        return [TalkRow(m, d, k) for m, d, k in rows]

    async def win_weeks(self, team_id: int, first: date, last: date) -> list[WinWeek]:
        """Wins and shout-outs per seller and week."""
        week = _week(Win.won_on, first)
        rows = await self._session.execute(
            select(Win.member_id, week, func.count(), func.count(Win.shouted_at))
            .where(*_between(Win.team_id, Win.won_on, team_id, first, last))
            .group_by(Win.member_id, week)
        )
        return [WinWeek(m, int(w), int(n), int(s)) for m, w, n, s in rows]

    async def figure_weeks(self, team_id: int, first: date, last: date) -> list[FigureWeek]:
        """The team's totals per metric and week: what each week's pre-read showed."""
        week = _week(Metric.day, first)
        rows = await self._session.execute(
            select(Metric.metric, week, func.sum(Metric.value), func.sum(Metric.goal))
            .where(*_between(Metric.team_id, Metric.day, team_id, first, last))
            .group_by(Metric.metric, week)
        )
        return [
            FigureWeek(m, int(w), float(v), float(g) if g is not None else None)
            for m, w, v, g in rows
        ]

    async def posted_agendas(
        self, team_id: int, first: date, last: date
    ) -> list[tuple[Agenda, list[AgendaItem]]]:
        """The agendas posted for meetings in the span, newest first, with their items."""
        agendas = list(
            await self._session.scalars(
                select(Agenda)
                .where(
                    *_between(Agenda.team_id, Agenda.meeting_on, team_id, first, last),
                    Agenda.posted_at.is_not(None),
                )
                .order_by(Agenda.meeting_on.desc())
            )
        )
        items: dict[int, list[AgendaItem]] = {agenda.id: [] for agenda in agendas}
        if agendas:
            found = await self._session.scalars(
                select(AgendaItem)
                .where(AgendaItem.agenda_id.in_(items), AgendaItem.removed.is_(False))
                .order_by(AgendaItem.agenda_id, AgendaItem.position)
            )
            for item in found:
                items[item.agenda_id].append(item)
        return [(agenda, items[agenda.id]) for agenda in agendas]

    async def actions(self, team_id: int, since: datetime) -> list[MeetingAction]:
        """The actions the team recorded since a moment, oldest first."""
        found = await self._session.scalars(
            select(MeetingAction)
            .where(MeetingAction.team_id == team_id, MeetingAction.created_at >= since)
            .order_by(MeetingAction.created_at)
        )
        return list(found)

    async def seats(
        self, platform: Platform, workspace_ids: Iterable[str], user_id: str
    ) -> list[Membership]:
        """A person's places in teams today, on one platform, in any of the workspaces given
        (an Enterprise Grid org's), leaders' seats first."""
        rows = await self._session.execute(
            select(Member, Team)
            .join(Team, Team.id == Member.team_id)
            .where(
                Team.platform == platform,
                Member.workspace_id.in_(list(workspace_ids)),
                Member.user_id == user_id,
                Member.removed_at.is_(None),
            )
            .order_by(Member.role, Team.name)
        )
        seats = [Membership(member, team) for member, team in rows]
        return sorted(seats, key=lambda seat: (not seat.is_leader, seat.team.name))

    async def everyone(self, team_id: int) -> list[Member]:
        """Everyone who has been in the team, those who left included, by name."""
        found = await self._session.scalars(
            select(Member).where(Member.team_id == team_id).order_by(Member.display_name)
        )
        return list(found)


def _between(
    team_column: Any, day_column: Any, team_id: int, first: date, last: date
) -> tuple[ColumnElement[bool], ...]:
    return (team_column == team_id, and_(day_column >= first, day_column <= last))
