"""Team meetings: the topics sellers raise, the actions agreed, and each meeting's agenda."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import AgendaItemKind, TopicAudience
from pepptalk.store.models import Agenda, AgendaItem, MeetingAction, Member, Topic
from pepptalk.store.sql import changed


class MeetingRepository:
    """Topics, actions and agendas, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- topics ------------------------------------------------------------------------------

    async def add_topic(self, *, member: Member, text: str, now: datetime) -> Topic:
        """Keep a seller's topic (who it is for is chosen next)."""
        topic = Topic(
            workspace_id=member.workspace_id,
            team_id=member.team_id,
            member_id=member.id,
            text=text,
            created_at=now,
        )
        self._session.add(topic)
        await self._session.flush()
        return topic

    async def topic(self, topic_id: int) -> Topic | None:
        """One topic by id."""
        return await self._session.get(Topic, topic_id)

    async def open_topics(
        self, team_id: int, *, audience: TopicAudience | None = None, member_id: int | None = None
    ) -> list[Topic]:
        """A team's open topics (of one audience, of one seller), oldest first."""
        query = select(Topic).where(Topic.team_id == team_id, Topic.closed_at.is_(None))
        if audience is not None:
            query = query.where(Topic.audience == audience)
        if member_id is not None:
            query = query.where(Topic.member_id == member_id)
        return list(await self._session.scalars(query.order_by(Topic.id)))

    async def close_topics(self, topic_ids: Iterable[int], *, now: datetime) -> None:
        """Close topics an agenda took up."""
        ids = list(topic_ids)
        if ids:
            await self._session.execute(
                update(Topic)
                .where(Topic.id.in_(ids), Topic.closed_at.is_(None))
                .values(closed_at=now)
            )

    # --- actions -----------------------------------------------------------------------------

    async def add_action(
        self, *, owner: Member, by: Member, text: str, now: datetime
    ) -> MeetingAction:
        """Record an action; it gets the team's next number."""
        last = await self._session.scalar(
            select(func.max(MeetingAction.number)).where(MeetingAction.team_id == owner.team_id)
        )
        action = MeetingAction(
            workspace_id=owner.workspace_id,
            team_id=owner.team_id,
            number=int(last or 0) + 1,
            owner_id=owner.id,
            created_by=by.id,
            text=text,
            created_at=now,
        )
        self._session.add(action)
        await self._session.flush()
        return action

    async def action(self, action_id: int) -> MeetingAction | None:
        """One action by id."""
        return await self._session.get(MeetingAction, action_id)

    async def action_numbered(self, team_id: int, number: int) -> MeetingAction | None:
        """A team's action by its number."""
        return (
            await self._session.scalars(
                select(MeetingAction).where(
                    MeetingAction.team_id == team_id, MeetingAction.number == number
                )
            )
        ).first()

    async def open_actions(self, team_id: int) -> list[MeetingAction]:
        """A team's actions not yet done, by number."""
        rows = await self._session.scalars(
            select(MeetingAction)
            .where(MeetingAction.team_id == team_id, MeetingAction.done_at.is_(None))
            .order_by(MeetingAction.number)
        )
        return list(rows)

    # --- agendas -----------------------------------------------------------------------------

    async def agenda(self, team_id: int, meeting_on: date) -> Agenda | None:
        """The agenda of one meeting, if drafted."""
        return (
            await self._session.scalars(
                select(Agenda).where(Agenda.team_id == team_id, Agenda.meeting_on == meeting_on)
            )
        ).first()

    async def agenda_by_id(self, agenda_id: int) -> Agenda | None:
        """One agenda by id."""
        return await self._session.get(Agenda, agenda_id)

    async def start_agenda(
        self, *, workspace_id: str, team_id: int, meeting_on: date, now: datetime
    ) -> Agenda:
        """A new, empty agenda for a meeting."""
        agenda = Agenda(
            workspace_id=workspace_id, team_id=team_id, meeting_on=meeting_on, created_at=now
        )
        self._session.add(agenda)
        await self._session.flush()
        return agenda

    async def items(self, agenda_id: int) -> list[AgendaItem]:
        """An agenda's items still on it, in order."""
        rows = await self._session.scalars(
            select(AgendaItem)
            .where(AgendaItem.agenda_id == agenda_id, AgendaItem.removed.is_(False))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
        return list(rows)

    async def all_refs(self, agenda_id: int) -> set[tuple[AgendaItemKind, int]]:
        """What an agenda ever held (removed items too), so a removed item is not added back."""
        rows = await self._session.execute(
            select(AgendaItem.kind, AgendaItem.ref_id).where(
                AgendaItem.agenda_id == agenda_id, AgendaItem.ref_id.is_not(None)
            )
        )
        return {(kind, ref) for kind, ref in rows if ref is not None}

    async def kinds_ever(self, agenda_id: int) -> set[AgendaItemKind]:
        """The kinds of item an agenda ever held (removed items too)."""
        rows = await self._session.scalars(
            select(AgendaItem.kind).where(AgendaItem.agenda_id == agenda_id).distinct()
        )
        return set(rows)

    async def add_item(
        self, *, agenda: Agenda, kind: AgendaItemKind, text: str, ref_id: int | None = None
    ) -> AgendaItem:
        """Put an item at the end of an agenda."""
        last = await self._session.scalar(
            select(func.max(AgendaItem.position)).where(AgendaItem.agenda_id == agenda.id)
        )
        item = AgendaItem(
            agenda_id=agenda.id,
            position=int(last if last is not None else -1) + 1,
            kind=kind,
            text=text,
            ref_id=ref_id,
            removed=False,
        )
        self._session.add(item)
        await self._session.flush()
        return item

    async def item(self, item_id: int) -> AgendaItem | None:
        """One agenda item by id."""
        return await self._session.get(AgendaItem, item_id)

    async def mark_posted(self, *, agenda_id: int, now: datetime) -> bool:
        """Record that an agenda was posted; False when it already was (two taps post once)."""
        result = await self._session.execute(
            update(Agenda)
            .where(Agenda.id == agenda_id, Agenda.posted_at.is_(None))
            .values(posted_at=now)
        )
        return changed(result) > 0
