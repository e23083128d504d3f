"""Wins sellers logged, and the shout-outs their leaders gave."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.store.models import Member, Win
from pepptalk.store.sql import changed

# Built once: building a statement costs more CPU than running it.
_LAST_SHOUTOUTS = (
    select(Win.member_id, func.max(Win.shouted_at))
    .where(Win.team_id == bindparam("team_id"), Win.shouted_at.is_not(None))
    .group_by(Win.member_id)
)


class WinRepository:
    """Wins, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, seller: Member, text: str, day: date, now: datetime) -> Win:
        """Log a seller's win."""
        win = Win(
            workspace_id=seller.workspace_id,
            team_id=seller.team_id,
            member_id=seller.id,
            text=text,
            won_on=day,
            created_at=now,
        )
        self._session.add(win)
        await self._session.flush()
        return win

    async def get(self, win_id: int) -> Win | None:
        """One win by id."""
        return await self._session.get(Win, win_id)

    async def mark_shouted(self, *, win_id: int, now: datetime) -> bool:
        """Record a shout-out; False when one was already given (two taps post once)."""
        result = await self._session.execute(
            update(Win).where(Win.id == win_id, Win.shouted_at.is_(None)).values(shouted_at=now)
        )
        return changed(result) > 0

    async def last_shoutouts(self, team_id: int) -> dict[int, datetime]:
        """When each member last got a shout-out, in one query."""
        rows = await self._session.execute(_LAST_SHOUTOUTS, {"team_id": team_id})
        # max() keeps the column's type, so these come back as aware UTC datetimes.
        return {member_id: when for member_id, when in rows if when is not None}

    async def shouted_since(self, *, team_id: int, since: datetime) -> list[Win]:
        """A team's wins that got a shout-out from `since` on, oldest shout-out first."""
        rows = await self._session.scalars(
            select(Win)
            .where(Win.team_id == team_id, Win.shouted_at >= since)
            .order_by(Win.shouted_at)
        )
        return list(rows)

    async def between(self, *, team_id: int, first: date, last: date) -> list[Win]:
        """A team's wins from `first` to `last`, inclusive, oldest first."""
        rows = await self._session.scalars(
            select(Win)
            .where(Win.team_id == team_id, Win.won_on >= first, Win.won_on <= last)
            .order_by(Win.won_on, Win.id)
        )
        return list(rows)

    async def recent(
        self, *, team_id: int, member_id: int | None = None, unshouted: bool = False, limit: int
    ) -> list[Win]:
        """Latest wins of a team (or of one member), newest first."""
        query = select(Win).where(Win.team_id == team_id)
        if member_id is not None:
            query = query.where(Win.member_id == member_id)
        if unshouted:
            query = query.where(Win.shouted_at.is_(None))
        rows = await self._session.scalars(query.order_by(Win.id.desc()).limit(limit))
        return list(rows)
