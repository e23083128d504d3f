"""The queries behind the habits. Every method is one short transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pepptalk.handlers.models import (
    FAILED,
    LEADER,
    PENDING,
    SELLER,
    SENT,
    SKIPPED,
    Checkin,
    ConversationRef,
    Delivery,
    Feedback,
    Member,
    ProcessedEvent,
    Team,
    Win,
)
from pepptalk.handlers.ports import UserProfile


@dataclass(frozen=True)
class Membership:
    """A person's active place in a team."""

    member: Member
    team: Team

    @property
    def is_leader(self) -> bool:
        """Whether this person leads the team."""
        return self.member.role == LEADER


@dataclass(frozen=True)
class NewDelivery:
    """A proactive message a job wants sent."""

    workspace_id: str
    team_id: int
    member_id: int
    kind: str
    local_date: date
    due_at: datetime


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


def _active() -> ColumnElement[bool]:
    return Member.removed_at.is_(None)


class Store:
    """The database, as the habits use it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @property
    def dialect(self) -> str:
        """The database's dialect name ("sqlite" or "postgresql")."""
        bind = self._sessions.kw["bind"]
        return str(bind.dialect.name)

    def _insert(self, table: Any) -> Any:
        # Both dialects spell ON CONFLICT the same way, but it lives on their own insert().
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def ping(self) -> None:
        """Check the database answers."""
        async with self._sessions() as session:
            await session.execute(select(1))

    # --- teams and members -------------------------------------------------------------------

    async def membership(self, workspace_id: str, user_id: str) -> Membership | None:
        """The active team membership of a person, if any."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Member, Team)
                    .join(Team, Team.id == Member.team_id)
                    .where(
                        Member.workspace_id == workspace_id, Member.user_id == user_id, _active()
                    )
                )
            ).first()
        return Membership(member=row[0], team=row[1]) if row else None

    async def team_named(self, workspace_id: str, name: str) -> Team | None:
        """A team by name (case-insensitive) in a workspace."""
        async with self._sessions() as session:
            return (
                await session.scalars(
                    select(Team).where(
                        Team.workspace_id == workspace_id, func.lower(Team.name) == name.lower()
                    )
                )
            ).first()

    async def create_team(
        self,
        *,
        workspace_id: str,
        platform: str,
        name: str,
        leader: UserProfile,
        timezone: str,
        country: str | None,
        now: datetime,
    ) -> Membership:
        """Create a team with its first leader."""
        async with self._sessions.begin() as session:
            team = Team(
                workspace_id=workspace_id,
                platform=platform,
                name=name,
                timezone=timezone,
                country=country,
                created_at=now,
            )
            session.add(team)
            await session.flush()
            member = Member(
                workspace_id=workspace_id,
                team_id=team.id,
                user_id=leader.user_id,
                role=LEADER,
                display_name=leader.name,
                timezone=leader.timezone,
                paused=False,
                joined_at=now,
            )
            session.add(member)
        return Membership(member=member, team=team)

    async def add_sellers(
        self, *, team: Team, people: Sequence[UserProfile], now: datetime
    ) -> None:
        """Add people to a team as sellers (a removed seller of this team comes back)."""
        async with self._sessions.begin() as session:
            for person in people:
                previous = (
                    await session.scalars(
                        select(Member)
                        .where(Member.team_id == team.id, Member.user_id == person.user_id)
                        .order_by(Member.id.desc())
                    )
                ).first()
                if previous is not None:
                    previous.removed_at = None
                    previous.display_name = person.name
                    previous.timezone = person.timezone
                    continue
                session.add(
                    Member(
                        workspace_id=team.workspace_id,
                        team_id=team.id,
                        user_id=person.user_id,
                        role=SELLER,
                        display_name=person.name,
                        timezone=person.timezone,
                        paused=False,
                        joined_at=now,
                    )
                )

    async def remove_member(self, *, member_id: int, now: datetime) -> None:
        """Take a person out of their team, keeping their history."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Member).where(Member.id == member_id).values(removed_at=now)
            )
            # Nothing more should go out to someone who has left.
            await session.execute(
                update(Delivery)
                .where(Delivery.member_id == member_id, Delivery.status == PENDING)
                .values(status=SKIPPED, error="member removed")
            )

    async def update_team(self, team_id: int, **values: object) -> None:
        """Change team settings."""
        async with self._sessions.begin() as session:
            await session.execute(update(Team).where(Team.id == team_id).values(**values))

    async def members(self, team_id: int) -> list[Member]:
        """The active members of a team, leaders first, then by name."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Member)
                .where(Member.team_id == team_id, _active())
                .order_by(Member.role, func.lower(Member.display_name))
            )
            return list(rows)

    async def set_pause(self, *, member_id: int, paused: bool, until: date | None) -> None:
        """Pause or resume a seller's check-ins."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Member)
                .where(Member.id == member_id)
                .values(paused=paused, paused_until=until if paused else None)
            )

    async def update_profile(
        self, *, workspace_id: str, user_id: str, name: str, timezone: str | None
    ) -> None:
        """Keep a person's name and time zone as the platform reports them."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Member)
                .where(Member.workspace_id == workspace_id, Member.user_id == user_id, _active())
                .values(display_name=name, timezone=timezone)
            )

    async def teams_with_members(self) -> list[tuple[Team, list[Member]]]:
        """Every team with its active members (for the schedule)."""
        async with self._sessions() as session:
            teams = list(await session.scalars(select(Team).order_by(Team.id)))
            members = await session.scalars(select(Member).where(_active()).order_by(Member.id))
        by_team: dict[int, list[Member]] = {team.id: [] for team in teams}
        for member in members:
            by_team.setdefault(member.team_id, []).append(member)
        return [(team, by_team[team.id]) for team in teams]

    # --- check-ins ---------------------------------------------------------------------------

    async def save_mood(
        self, *, member: Member, local_date: date, mood: int, now: datetime
    ) -> None:
        """Record (or change) a seller's mood for a date."""
        statement = self._insert(Checkin).values(
            workspace_id=member.workspace_id,
            team_id=member.team_id,
            member_id=member.id,
            local_date=local_date,
            mood=mood,
            note_private=False,
            answered_at=now,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[Checkin.member_id, Checkin.local_date],
            set_={"mood": mood, "updated_at": now},
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def save_note(
        self, *, member_id: int, local_date: date, note: str | None, private: bool, now: datetime
    ) -> bool:
        """Set the note on an existing check-in; False when there is no check-in to note on."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Checkin)
                .where(Checkin.member_id == member_id, Checkin.local_date == local_date)
                .values(note=note, note_private=private, updated_at=now)
            )
        return bool(getattr(result, "rowcount", 0))

    async def checkin(self, *, member_id: int, local_date: date) -> Checkin | None:
        """A seller's check-in for a date."""
        async with self._sessions() as session:
            return (
                await session.scalars(
                    select(Checkin).where(
                        Checkin.member_id == member_id, Checkin.local_date == local_date
                    )
                )
            ).first()

    async def checkins_of(
        self, keys: Iterable[tuple[int, date]]
    ) -> dict[tuple[int, date], Checkin]:
        """The check-ins for many (member id, date) pairs in one query."""
        wanted = set(keys)
        if not wanted:
            return {}
        members = {member_id for member_id, _ in wanted}
        days = {day for _, day in wanted}
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Checkin).where(Checkin.member_id.in_(members), Checkin.local_date.in_(days))
            )
            return {
                (c.member_id, c.local_date): c
                for c in rows
                if (c.member_id, c.local_date) in wanted
            }

    async def leaders_of(self, team_ids: Iterable[int]) -> dict[int, list[str]]:
        """The leaders' names of many teams in one query."""
        ids = set(team_ids)
        names: dict[int, list[str]] = {team_id: [] for team_id in ids}
        if not ids:
            return names
        async with self._sessions() as session:
            rows = await session.execute(
                select(Member.team_id, Member.display_name)
                .where(Member.team_id.in_(ids), Member.role == LEADER, _active())
                .order_by(Member.id)
            )
            for team_id, name in rows:
                names[team_id].append(name)
        return names

    async def team_day(self, *, team_id: int, local_date: date) -> tuple[list[Checkin], set[int]]:
        """A team's check-ins for a date, and the members a check-in went out to that date."""
        async with self._sessions() as session:
            checkins = list(
                await session.scalars(
                    select(Checkin).where(
                        Checkin.team_id == team_id, Checkin.local_date == local_date
                    )
                )
            )
            asked = set(
                await session.scalars(
                    select(Delivery.member_id).where(
                        Delivery.team_id == team_id,
                        Delivery.kind == "checkin",
                        Delivery.local_date == local_date,
                        Delivery.status.in_((PENDING, SENT)),
                    )
                )
            )
        return checkins, asked

    # --- feedback ----------------------------------------------------------------------------

    async def update_member(self, member_id: int, **values: object) -> None:
        """Change a member's own fields (cadence, wishes, pulled-forward feedback)."""
        async with self._sessions.begin() as session:
            await session.execute(update(Member).where(Member.id == member_id).values(**values))

    async def add_feedback(
        self,
        *,
        seller: Member,
        leader: Member,
        kind: str,
        note: str | None,
        day: date,
        now: datetime,
    ) -> None:
        """Log a feedback conversation."""
        async with self._sessions.begin() as session:
            session.add(
                Feedback(
                    workspace_id=seller.workspace_id,
                    team_id=seller.team_id,
                    member_id=seller.id,
                    given_by=leader.id,
                    kind=kind,
                    note=note,
                    given_on=day,
                    created_at=now,
                )
            )

    async def last_feedback(self, team_id: int) -> dict[int, Feedback]:
        """Each member's latest feedback conversation, in one query."""
        latest = (
            select(func.max(Feedback.id))
            .where(Feedback.team_id == team_id)
            .group_by(Feedback.member_id)
            .scalar_subquery()
        )
        async with self._sessions() as session:
            rows = await session.scalars(select(Feedback).where(Feedback.id.in_(latest)))
            return {row.member_id: row for row in rows}

    # --- wins --------------------------------------------------------------------------------

    async def add_win(self, *, seller: Member, text: str, day: date, now: datetime) -> Win:
        """Log a seller's win."""
        win = Win(
            workspace_id=seller.workspace_id,
            team_id=seller.team_id,
            member_id=seller.id,
            text=text,
            won_on=day,
            created_at=now,
        )
        async with self._sessions.begin() as session:
            session.add(win)
        return win

    async def win(self, win_id: int) -> Win | None:
        """One win by id."""
        async with self._sessions() as session:
            return await session.get(Win, win_id)

    async def mark_shouted(self, *, win_id: int, now: datetime) -> bool:
        """Record a shout-out; False when one was already given (two taps post once)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Win).where(Win.id == win_id, Win.shouted_at.is_(None)).values(shouted_at=now)
            )
        return bool(getattr(result, "rowcount", 0))

    async def unmark_shouted(self, *, win_id: int) -> None:
        """Take a shout-out back when posting it failed, so it can be tried again."""
        async with self._sessions.begin() as session:
            await session.execute(update(Win).where(Win.id == win_id).values(shouted_at=None))

    async def last_shoutouts(self, team_id: int) -> dict[int, datetime]:
        """When each member last got a shout-out, in one query."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Win.member_id, func.max(Win.shouted_at))
                .where(Win.team_id == team_id, Win.shouted_at.is_not(None))
                .group_by(Win.member_id)
            )
            # max() keeps the column's type, so these come back as aware UTC datetimes.
            return {member_id: when for member_id, when in rows if when is not None}

    # --- history for the home view ----------------------------------------------------------

    async def recent_checkins(self, *, member_id: int, limit: int) -> list[Checkin]:
        """A member's latest check-ins, newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Checkin)
                .where(Checkin.member_id == member_id)
                .order_by(Checkin.local_date.desc())
                .limit(limit)
            )
            return list(rows)

    async def recent_wins(
        self, *, team_id: int, member_id: int | None = None, unshouted: bool = False, limit: int
    ) -> list[Win]:
        """Latest wins of a team (or of one member), newest first."""
        query = select(Win).where(Win.team_id == team_id)
        if member_id is not None:
            query = query.where(Win.member_id == member_id)
        if unshouted:
            query = query.where(Win.shouted_at.is_(None))
        async with self._sessions() as session:
            rows = await session.scalars(query.order_by(Win.id.desc()).limit(limit))
            return list(rows)

    # --- the outbox --------------------------------------------------------------------------

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
                "status": PENDING,
                "attempts": 0,
            }
            for d in deliveries
        ]
        if not rows:
            return 0
        inserted = 0
        async with self._sessions.begin() as session:
            # Chunks keep each statement under SQLite's bound-parameter limit.
            for start in range(0, len(rows), 500):
                statement = (
                    self._insert(Delivery)
                    .values(rows[start : start + 500])
                    .on_conflict_do_nothing(
                        index_elements=[Delivery.member_id, Delivery.kind, Delivery.local_date]
                    )
                )
                result = await session.execute(statement)
                inserted += max(getattr(result, "rowcount", 0), 0)
        return inserted

    async def lease(
        self, *, now: datetime, owner: str, limit: int, lease_for: timedelta
    ) -> list[DeliveryJob]:
        """Take up to `limit` due deliveries for this sender; other senders skip them."""
        free = or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)
        async with self._sessions.begin() as session:
            query = (
                select(Delivery.id)
                .where(Delivery.status == PENDING, Delivery.due_at <= now, free)
                .order_by(Delivery.due_at, Delivery.id)
                .limit(limit)
            )
            if self.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(await session.scalars(query))
            if not ids:
                return []
            # The WHERE is checked again under the row lock, so two senders never both win a row.
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.status == PENDING, free)
                .values(lease_owner=owner, lease_until=now + lease_for)
            )
            rows = await session.execute(
                select(Delivery, Member, Team)
                .join(Member, Member.id == Delivery.member_id)
                .join(Team, Team.id == Delivery.team_id)
                .where(Delivery.id.in_(ids), Delivery.lease_owner == owner)
                .order_by(Delivery.due_at, Delivery.id)
            )
            return [DeliveryJob(delivery=d, member=m, team=t) for d, m, t in rows]

    async def mark_sent(self, results: Sequence[SentResult], *, now: datetime) -> None:
        """Record deliveries as sent, and where they landed."""
        if not results:
            return
        rows = [
            {
                "id": result.delivery_id,
                "status": SENT,
                "sent_at": now,
                "channel_ref": result.channel,
                "message_ref": result.ref,
                "lease_owner": None,
                "lease_until": None,
                "attempts": result.attempts,
                "error": None,
            }
            for result in results
        ]
        async with self._sessions.begin() as session:
            # One executemany by primary key, not a round trip per message.
            await session.execute(update(Delivery), rows)

    async def reschedule(
        self, *, delivery_id: int, due_at: datetime, error: str | None, count_attempt: bool
    ) -> None:
        """Put a delivery back in the queue to try again at `due_at`."""
        async with self._sessions.begin() as session:
            await session.execute(
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

    async def finish(self, *, delivery_id: int, status: str, error: str) -> None:
        """Close a delivery that will not be sent (failed for good, or nothing to say)."""
        if status not in (FAILED, SKIPPED):
            raise ValueError(f"a delivery cannot finish as {status!r}")
        async with self._sessions.begin() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status=status, error=error[:200], lease_owner=None, lease_until=None)
            )

    async def delivery(self, *, member_id: int, kind: str, local_date: date) -> Delivery | None:
        """The delivery of one kind to one member for one date."""
        async with self._sessions() as session:
            return (
                await session.scalars(
                    select(Delivery).where(
                        Delivery.member_id == member_id,
                        Delivery.kind == kind,
                        Delivery.local_date == local_date,
                    )
                )
            ).first()

    async def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each status."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            return {str(status): int(count) for status, count in rows}

    # --- conversation references ------------------------------------------------------------

    async def save_reference(
        self,
        *,
        workspace_id: str,
        platform: str,
        scope: str,
        key: str,
        reference: str,
        now: datetime,
    ) -> None:
        """Keep the newest way to reach a person or channel."""
        statement = (
            self._insert(ConversationRef)
            .values(
                workspace_id=workspace_id,
                platform=platform,
                scope=scope,
                key=key,
                reference=reference,
                updated_at=now,
            )
            .on_conflict_do_update(
                index_elements=[
                    ConversationRef.workspace_id,
                    ConversationRef.platform,
                    ConversationRef.scope,
                    ConversationRef.key,
                ],
                set_={"reference": reference, "updated_at": now},
            )
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def reference(
        self, *, workspace_id: str, platform: str, scope: str, key: str
    ) -> str | None:
        """The stored reference for a person or channel, if any."""
        async with self._sessions() as session:
            return await session.scalar(
                select(ConversationRef.reference).where(
                    ConversationRef.workspace_id == workspace_id,
                    ConversationRef.platform == platform,
                    ConversationRef.scope == scope,
                    ConversationRef.key == key,
                )
            )

    # --- platform events ---------------------------------------------------------------------

    async def remember_event(self, *, event_id: str, workspace_id: str, now: datetime) -> bool:
        """Note an event as handled; False when it was handled before (a retry)."""
        statement = (
            self._insert(ProcessedEvent)
            .values(event_id=event_id, workspace_id=workspace_id, received_at=now)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def forget_events_before(self, when: datetime) -> None:
        """Drop event ids older than any retry could be."""
        async with self._sessions.begin() as session:
            await session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < when))
