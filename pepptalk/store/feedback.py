"""Feedback talks a leader logged with each seller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, Subquery, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import FeedbackKind, Role
from pepptalk.store.models import Checkin, Feedback, Member, Win
from pepptalk.store.sql import active


def _ranked_talks(*, windowed: bool) -> Subquery:
    """A team's talks ranked per member, 1 the latest (from `since` on, when windowed)."""
    # Talks can be logged out of order (back-dated, imported): the latest is the latest day.
    ranked = select(
        Feedback.id,
        Feedback.member_id,
        func.row_number()
        .over(
            partition_by=Feedback.member_id,
            order_by=(Feedback.given_on.desc(), Feedback.created_at.desc(), Feedback.id.desc()),
        )
        .label("rank"),
    ).where(Feedback.team_id == bindparam("team_id"))
    if windowed:
        ranked = ranked.where(Feedback.given_on >= bindparam("since"))
    return ranked.subquery()


def _latest_talks(*, windowed: bool) -> Select[Feedback]:
    """Each member's latest talk in a team."""
    talks = _ranked_talks(windowed=windowed)
    return select(Feedback).join(talks, talks.c.id == Feedback.id).where(talks.c.rank == 1)


def _sellers_seen() -> Select[Member, Feedback | None, Checkin | None, datetime | None]:
    """A team's active sellers, each with their latest talk, their check-in on a day and their
    last shout-out."""
    talks = _ranked_talks(windowed=False)
    shouted = (
        select(Win.member_id, func.max(Win.shouted_at).label("last"))
        .where(Win.team_id == bindparam("team_id"), Win.shouted_at.is_not(None))
        .group_by(Win.member_id)
        .subquery()
    )
    return (
        select(Member, Feedback, Checkin, shouted.c.last)
        .outerjoin(talks, and_(talks.c.member_id == Member.id, talks.c.rank == 1))
        .outerjoin(Feedback, Feedback.id == talks.c.id)
        .outerjoin(
            Checkin,
            and_(
                Checkin.member_id == Member.id,
                Checkin.team_id == Member.team_id,
                Checkin.local_date == bindparam("day"),
            ),
        )
        .outerjoin(shouted, shouted.c.member_id == Member.id)
        .where(Member.team_id == bindparam("team_id"), Member.role == Role.SELLER, active())
        .order_by(func.lower(Member.display_name))
    )


# Built once: building a statement costs more CPU than running it, and `seen`, the nudge, the
# home view and the digest ask on every call.
_LATEST = _latest_talks(windowed=False)
_LATEST_SINCE = _latest_talks(windowed=True)
_SELLERS_SEEN = _sellers_seen()


@dataclass(frozen=True)
class SellerSeen:
    """A seller as `seen` shows them: their latest talk, this morning, their last shout-out."""

    seller: Member
    last: Feedback | None
    morning: Checkin | None
    shouted: datetime | None


class FeedbackRepository:
    """Feedback talks, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        seller: Member,
        leader: Member,
        kind: FeedbackKind,
        note: str | None,
        day: date,
        now: datetime,
    ) -> Feedback:
        """Log a feedback talk."""
        talk = Feedback(
            workspace_id=seller.workspace_id,
            team_id=seller.team_id,
            member_id=seller.id,
            given_by=leader.id,
            kind=kind,
            note=note,
            given_on=day,
            created_at=now,
        )
        self._session.add(talk)
        await self._session.flush()
        return talk

    async def latest(self, team_id: int, *, since: date | None = None) -> dict[int, Feedback]:
        """Each member's latest talk by the day it was given (then when it was logged); with
        `since`, only talks from that day on are looked at, so the cost stays with the window."""
        if since is None:
            rows = await self._session.scalars(_LATEST, {"team_id": team_id})
        else:
            rows = await self._session.scalars(_LATEST_SINCE, {"team_id": team_id, "since": since})
        return {row.member_id: row for row in rows}

    async def sellers_seen(self, team_id: int, *, day: date) -> list[SellerSeen]:
        """The team's active sellers by name, each with their latest talk, their check-in on
        `day` and when they last got a shout-out: `seen` in one query, not four."""
        rows = await self._session.execute(_SELLERS_SEEN, {"team_id": team_id, "day": day})
        return [SellerSeen(*row) for row in rows]

    async def between(self, *, team_id: int, first: date, last: date) -> list[Feedback]:
        """A team's talks given from `first` to `last`, inclusive."""
        rows = await self._session.scalars(
            select(Feedback).where(
                Feedback.team_id == team_id, Feedback.given_on >= first, Feedback.given_on <= last
            )
        )
        return list(rows)
