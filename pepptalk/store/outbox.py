"""The outbox: proactive messages queued by jobs and drained by the sender, each sent once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import DeliveryKind, DeliveryStatus
from pepptalk.core.ports import SentMessage
from pepptalk.store.models import Delivery, Member, Team
from pepptalk.store.sql import changed, is_postgresql, upsert

# Chunks keep each statement under SQLite's bound-parameter limit.
CLAIM_CHUNK = 500


@dataclass(frozen=True)
class NewDelivery:
    """A proactive message a job wants sent."""

    workspace_id: str
    team_id: int
    member_id: int
    kind: str
    local_date: date
    due_at: datetime
    # A message for the team channel, sent on behalf of the member (a leader).
    channel_id: str | None = None


@dataclass(frozen=True)
class DeliveryJob:
    """A leased delivery with what is needed to compose it."""

    delivery: Delivery
    member: Member
    team: Team


@dataclass(frozen=True)
class SentResult:
    """Where a delivery landed, and how many attempts it took in all."""

    delivery_id: int
    channel: str
    ref: str
    attempts: int


class OutboxRepository:
    """The deliveries table, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, deliveries: Iterable[NewDelivery]) -> int:
        """Queue deliveries; ones already queued for that member, kind and date are ignored."""
        rows = [
            {
                "workspace_id": d.workspace_id,
                "team_id": d.team_id,
                "member_id": d.member_id,
                "kind": d.kind,
                "local_date": d.local_date,
                "due_at": d.due_at,
                "channel_id": d.channel_id,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
            }
            for d in deliveries
        ]
        inserted = 0
        for start in range(0, len(rows), CLAIM_CHUNK):
            statement = (
                upsert(self._session, Delivery)
                .values(rows[start : start + CLAIM_CHUNK])
                .on_conflict_do_nothing(
                    index_elements=[Delivery.member_id, Delivery.kind, Delivery.local_date]
                )
            )
            inserted += changed(await self._session.execute(statement))
        return inserted

    async def lease(
        self, *, now: datetime, owner: str, limit: int, lease_for: timedelta
    ) -> list[DeliveryJob]:
        """Take up to `limit` due deliveries for this sender; other senders skip them."""
        free = or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)
        query = (
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now, free)
            .order_by(Delivery.due_at, Delivery.id)
            .limit(limit)
        )
        if is_postgresql(self._session):
            query = query.with_for_update(skip_locked=True)
        ids = list(await self._session.scalars(query))
        if not ids:
            return []
        # The WHERE is checked again under the row lock, so two senders never both win a row.
        await self._session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING, free)
            .values(lease_owner=owner, lease_until=now + lease_for)
        )
        rows = await self._session.execute(
            select(Delivery, Member, Team)
            .join(Member, Member.id == Delivery.member_id)
            .join(Team, Team.id == Delivery.team_id)
            .where(Delivery.id.in_(ids), Delivery.lease_owner == owner)
            .order_by(Delivery.due_at, Delivery.id)
        )
        return [DeliveryJob(delivery=d, member=m, team=t) for d, m, t in rows]

    async def renew_lease(self, ids: Sequence[int], *, owner: str, until: datetime) -> None:
        """Extend `owner`'s lease to `until` on those of `ids` it still holds."""
        if not ids:
            return
        mine = (
            Delivery.id.in_(ids),
            Delivery.lease_owner == owner,
            Delivery.status == DeliveryStatus.PENDING,
        )
        if is_postgresql(self._session):
            # Lock the rows in id order, as the marks of what was sent do (mark_sent): two
            # statements taking one sender's rows in different orders deadlock, and a mark
            # lost that way would send its message again.
            await self._session.execute(
                select(Delivery.id).where(*mine).order_by(Delivery.id).with_for_update()
            )
        await self._session.execute(update(Delivery).where(*mine).values(lease_until=until))

    async def mark_sent(self, results: Sequence[SentResult], *, now: datetime) -> None:
        """Record deliveries as sent, and where they landed."""
        if not results:
            return
        rows = [
            {
                "id": result.delivery_id,
                "status": DeliveryStatus.SENT,
                "sent_at": now,
                "channel_ref": result.channel,
                "message_ref": result.ref,
                "lease_owner": None,
                "lease_until": None,
                "attempts": result.attempts,
                "error": None,
            }
            for result in sorted(results, key=lambda r: r.delivery_id)
        ]
        # One executemany by primary key, not a round trip per message; in id order, the order
        # renew_lease locks them in, so the two never deadlock.
        await self._session.execute(update(Delivery), rows)

    async def reschedule(
        self, *, delivery_id: int, due_at: datetime, error: str | None, count_attempt: bool
    ) -> None:
        """Put a delivery back in the queue to try again at `due_at`."""
        await self._session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                due_at=due_at,
                error=error[:200] if error else None,
                lease_owner=None,
                lease_until=None,
                attempts=Delivery.attempts + (1 if count_attempt else 0),
            )
        )

    async def finish(self, *, delivery_id: int, status: DeliveryStatus, error: str) -> None:
        """Close a delivery that will not be sent (failed for good, or nothing to say)."""
        if status not in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
            raise ValueError(f"a delivery cannot finish as {status!r}")
        await self._session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=status, error=error[:200], lease_owner=None, lease_until=None)
        )

    async def skip_pending_for(self, member_id: int, *, reason: str) -> None:
        """Nothing more goes out to this member (they left the team)."""
        await self._session.execute(
            update(Delivery)
            .where(Delivery.member_id == member_id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SKIPPED, error=reason)
        )

    async def sent_to(self, *, member_id: int, kind: str, day: date) -> SentMessage | None:
        """Where the delivery of one kind to one member for one date landed, once it went out."""
        row = (
            await self._session.execute(
                select(Delivery.channel_ref, Delivery.message_ref).where(
                    Delivery.member_id == member_id,
                    Delivery.kind == kind,
                    Delivery.local_date == day,
                    Delivery.status == DeliveryStatus.SENT,
                )
            )
        ).first()
        if row is None or not row[0] or not row[1]:
            return None
        return SentMessage(channel=row[0], ref=row[1])

    async def sent_at(
        self, kind: str, keys: Iterable[tuple[int, date]]
    ) -> dict[tuple[int, date], datetime]:
        """When each (member id, date) pair's delivery of `kind` went out, in one query."""
        wanted = set(keys)
        if not wanted:
            return {}
        rows = await self._session.execute(
            select(Delivery.member_id, Delivery.local_date, Delivery.sent_at).where(
                Delivery.kind == kind,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.member_id.in_({member for member, _ in wanted}),
                Delivery.local_date.in_({day for _, day in wanted}),
            )
        )
        return {(m, d): at for m, d, at in rows if (m, d) in wanted and at is not None}

    async def id_of(self, *, member_id: int, kind: str, day: date) -> int | None:
        """The id of the delivery of one kind to one member for one date, if there is one."""
        return await self._session.scalar(
            select(Delivery.id).where(
                Delivery.member_id == member_id, Delivery.kind == kind, Delivery.local_date == day
            )
        )

    async def asked(self, *, team_id: int, day: date) -> set[int]:
        """The members a check-in went out (or is going out) to on a date."""
        rows = await self._session.scalars(
            select(Delivery.member_id).where(
                Delivery.team_id == team_id,
                Delivery.kind == DeliveryKind.CHECKIN.value,
                Delivery.local_date == day,
                Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENT)),
            )
        )
        return set(rows)

    async def asked_between(self, *, team_id: int, first: date, last: date) -> int:
        """How many check-ins went out (or are going out) to a team from `first` to `last`."""
        count = await self._session.scalar(
            select(func.count()).where(
                Delivery.team_id == team_id,
                Delivery.local_date >= first,
                Delivery.local_date <= last,
                Delivery.kind == DeliveryKind.CHECKIN.value,
                Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENT)),
            )
        )
        return int(count or 0)

    async def backlog(self, *, now: datetime) -> tuple[int, float]:
        """How many deliveries are due and unsent, and how long the oldest has waited (s)."""
        count, oldest = (
            await self._session.execute(
                select(func.count(), func.min(Delivery.due_at)).where(
                    Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now
                )
            )
        ).one()
        if not count or oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None:  # SQLite gives back naive UTC
            oldest = oldest.replace(tzinfo=now.tzinfo)
        return int(count), max((now - oldest).total_seconds(), 0.0)

    async def counts(self) -> dict[DeliveryStatus, int]:
        """How many deliveries are in each status."""
        rows = await self._session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {DeliveryStatus(status): int(count) for status, count in rows}
