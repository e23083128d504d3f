"""Feedback talks a leader logged with each seller."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import FeedbackKind
from pepptalk.store.models import Feedback, Member


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
        # Talks can be logged out of order (back-dated, imported): the latest is the latest day.
        ranked = (
            select(
                Feedback.id,
                func.row_number()
                .over(
                    partition_by=Feedback.member_id,
                    order_by=(
                        Feedback.given_on.desc(),
                        Feedback.created_at.desc(),
                        Feedback.id.desc(),
                    ),
                )
                .label("rank"),
            )
            .where(
                Feedback.team_id == team_id,
                Feedback.given_on >= since if since is not None else true(),
            )
            .subquery()
        )
        rows = await self._session.scalars(
            select(Feedback).join(ranked, ranked.c.id == Feedback.id).where(ranked.c.rank == 1)
        )
        return {row.member_id: row for row in rows}

    async def between(self, *, team_id: int, first: date, last: date) -> list[Feedback]:
        """A team's talks given from `first` to `last`, inclusive."""
        rows = await self._session.scalars(
            select(Feedback).where(
                Feedback.team_id == team_id, Feedback.given_on >= first, Feedback.given_on <= last
            )
        )
        return list(rows)
