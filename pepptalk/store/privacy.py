"""A person's own data, all of it: read for an export, erased when they ask, and notes dropped
once they are older than the retention period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pepptalk.core.kinds import AgendaItemKind, Role
from pepptalk.store.downloads import Download
from pepptalk.store.models import (
    Agenda,
    AgendaItem,
    Checkin,
    ConversationRef,
    Delivery,
    Feedback,
    MeetingAction,
    Member,
    Metric,
    Team,
    Topic,
    Win,
)
from pepptalk.store.sql import active, changed

# The retention sweep runs every minute: it reads only the rows that still carry a note.
Index(
    "ix_checkins_noted_updated_at",
    Checkin.updated_at,
    sqlite_where=text("note IS NOT NULL"),
    postgresql_where=text("note IS NOT NULL"),
)
Index(
    "ix_feedback_noted_created_at",
    Feedback.created_at,
    sqlite_where=text("note IS NOT NULL"),
    postgresql_where=text("note IS NOT NULL"),
)


@dataclass(frozen=True)
class Talk:
    """A feedback talk with the name of the other person in it (None: they have left Pepptalk)."""

    feedback: Feedback
    other: str | None


@dataclass(frozen=True)
class PersonData:
    """Everything Pepptalk keeps about one person in one workspace."""

    memberships: list[tuple[Member, Team]]
    checkins: list[Checkin]
    wins: list[Win]
    topics: list[Topic]
    feedback_about: list[Talk]
    feedback_given: list[Talk]
    actions: list[MeetingAction]
    # Actions the person recorded at meetings, for whoever owns them (None: the owner left).
    actions_recorded: list[tuple[MeetingAction, str | None]]
    metrics: list[Metric]


class PrivacyRepository:
    """A person's data as a whole, read and erased in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _member_ids(self, workspace_id: str, user_id: str) -> list[int]:
        rows = await self._session.scalars(
            select(Member.id).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
        )
        return list(rows)

    async def _all(self, query: Any) -> list[Any]:
        return list(await self._session.scalars(query))

    async def of_person(self, *, workspace_id: str, user_id: str) -> PersonData:
        """All of one person's rows, in past teams too, oldest first."""
        ids = await self._member_ids(workspace_id, user_id)
        memberships = await self._session.execute(
            select(Member, Team)
            .join(Team, Team.id == Member.team_id)
            .where(Member.id.in_(ids))
            .order_by(Member.joined_at, Member.id)
        )
        other = aliased(Member)
        about = await self._session.execute(
            select(Feedback, other.display_name)
            .outerjoin(other, other.id == Feedback.given_by)
            .where(Feedback.member_id.in_(ids))
            .order_by(Feedback.given_on, Feedback.id)
        )
        given = await self._session.execute(
            select(Feedback, other.display_name)
            .join(other, other.id == Feedback.member_id)
            .where(Feedback.given_by.in_(ids))
            .order_by(Feedback.given_on, Feedback.id)
        )
        recorded = await self._session.execute(
            select(MeetingAction, other.display_name)
            .outerjoin(other, other.id == MeetingAction.owner_id)
            .where(MeetingAction.created_by.in_(ids))
            .order_by(MeetingAction.created_at, MeetingAction.id)
        )
        return PersonData(
            memberships=[(m, t) for m, t in memberships],
            checkins=await self._all(
                select(Checkin)
                .where(Checkin.member_id.in_(ids))
                .order_by(Checkin.local_date, Checkin.id)
            ),
            wins=await self._all(
                select(Win).where(Win.member_id.in_(ids)).order_by(Win.won_on, Win.id)
            ),
            topics=await self._all(
                select(Topic).where(Topic.member_id.in_(ids)).order_by(Topic.id)
            ),
            feedback_about=[Talk(f, name) for f, name in about],
            feedback_given=[Talk(f, name) for f, name in given],
            actions=await self._all(
                select(MeetingAction)
                .where(MeetingAction.owner_id.in_(ids))
                .order_by(MeetingAction.id)
            ),
            actions_recorded=[(a, name) for a, name in recorded],
            metrics=await self._all(
                select(Metric)
                .where(Metric.member_id.in_(ids))
                .order_by(Metric.day, Metric.metric, Metric.id)
            ),
        )

    async def holds_anything(self, *, workspace_id: str, user_id: str) -> bool:
        """Whether Pepptalk keeps any membership of this person."""
        return bool(await self._member_ids(workspace_id, user_id))

    async def sole_leader_of(self, member: Member) -> bool:
        """Whether this member is the only active leader of their team."""
        if member.role is not Role.LEADER:
            return False
        leaders = await self._session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.team_id == member.team_id, Member.role == Role.LEADER, active())
        )
        return int(leaders or 0) <= 1

    async def erase_person(self, *, workspace_id: str, user_id: str) -> int:
        """Erase one person: their memberships and everything about them (check-ins, notes,
        wins, topics, figures, feedback about them, actions they own, queued messages, ways to
        reach them, files waiting for them). What a leader logged about others stays theirs,
        without the leader's name. Returns how many memberships went."""
        ids = await self._member_ids(workspace_id, user_id)
        session = self._session
        if ids:
            wins = select(Win.id).where(Win.member_id.in_(ids))
            topics = select(Topic.id).where(Topic.member_id.in_(ids))
            actions = select(MeetingAction.id).where(MeetingAction.owner_id.in_(ids))
            # An agenda's copy of their win, topic or action is theirs too.
            await session.execute(
                delete(AgendaItem).where(
                    or_(
                        (AgendaItem.kind == AgendaItemKind.WIN) & AgendaItem.ref_id.in_(wins),
                        (AgendaItem.kind == AgendaItemKind.TOPIC) & AgendaItem.ref_id.in_(topics),
                        (AgendaItem.kind == AgendaItemKind.ACTION) & AgendaItem.ref_id.in_(actions),
                    )
                )
            )
            await session.execute(
                update(Feedback).where(Feedback.given_by.in_(ids)).values(given_by=None)
            )
            await session.execute(
                update(MeetingAction)
                .where(MeetingAction.created_by.in_(ids))
                .values(created_by=None)
            )
            for table, column in (
                (Checkin, Checkin.member_id),
                (Win, Win.member_id),
                (Topic, Topic.member_id),
                (Metric, Metric.member_id),
                (Feedback, Feedback.member_id),
                (MeetingAction, MeetingAction.owner_id),
                (Delivery, Delivery.member_id),
            ):
                await session.execute(delete(table).where(column.in_(ids)))
            await session.execute(delete(Member).where(Member.id.in_(ids)))
        # A channel's reference is the team's; every other one names the person by key (their
        # 1:1 chat) or by what it points to (a Teams id standing for them).
        await session.execute(
            delete(ConversationRef).where(
                ConversationRef.workspace_id == workspace_id,
                ConversationRef.scope != "channel",
                or_(ConversationRef.key == user_id, ConversationRef.reference == user_id),
            )
        )
        await session.execute(
            delete(Download).where(
                Download.workspace_id == workspace_id, Download.user_id == user_id
            )
        )
        session.expunge_all()
        return len(ids)

    async def erase_team(self, team_id: int) -> list[str]:
        """Erase a team and everything kept in it, everyone's; returns the user ids that were
        in it (each has no team here any more)."""
        session = self._session
        people = list(
            await session.scalars(select(Member.user_id).where(Member.team_id == team_id))
        )
        agendas = select(Agenda.id).where(Agenda.team_id == team_id)
        await session.execute(delete(AgendaItem).where(AgendaItem.agenda_id.in_(agendas)))
        tables: Sequence[Any] = (
            Agenda,
            Checkin,
            Win,
            Topic,
            Metric,
            Feedback,
            MeetingAction,
            Delivery,
            Member,
        )
        for table in tables:
            await session.execute(delete(table).where(table.team_id == team_id))
        await session.execute(delete(Team).where(Team.id == team_id))
        session.expunge_all()
        return people

    async def forget_notes(self, *, before: datetime) -> int:
        """Drop the notes written before `before` (check-ins' and feedback talks'); the moods,
        kinds and dates stay. Returns how many notes went."""
        session = self._session
        checkins = await session.execute(
            update(Checkin)
            .where(Checkin.note.is_not(None), Checkin.updated_at < before)
            .values(note=None, note_private=False)
            .execution_options(synchronize_session=False)
        )
        talks = await session.execute(
            update(Feedback)
            .where(Feedback.note.is_not(None), Feedback.created_at < before)
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
        return changed(checkins) + changed(talks)
