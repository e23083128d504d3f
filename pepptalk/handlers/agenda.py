"""The meeting about why: the workday before the weekly meeting, the leader gets a draft agenda
(`agenda_draft.py`) that never reads numbers aloud. The leader edits it and posts it to the team
channel with one tap; the numbers go there first, as a pre-read (`preread.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pepptalk.core.calendar import CATCH_UP, is_paused, member_zone, window_day, zone
from pepptalk.core.kinds import AgendaItemKind, DeliveryKind, Role
from pepptalk.core.messages import Form, Message, Reply, TextInput, text_reply
from pepptalk.core.ports import FormValues
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.agenda_draft import (
    ADD,
    DONE,
    POST,
    REMOVE,
    UP,
    compose_draft,
    open_agenda,
    team_part,
)
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import (
    ButtonSpec,
    ComposerSpec,
    FormSpec,
    Habit,
    JobSpec,
    TeamCommand,
    TeamTurn,
    by_value,
)
from pepptalk.handlers.meeting_days import (
    DRAFT_AT,
    channel_anchor,
    draft_day,
    figures_until,
    meeting_slot,
    next_meeting,
)
from pepptalk.handlers.preread import compose_preread, compose_prereads, preread_delivery
from pepptalk.store.models import Agenda, AgendaItem
from pepptalk.store.outbox import DeliveryJob, NewDelivery, SentResult
from pepptalk.store.uow import UnitOfWork

ADD_FORM = "agenda_form"
# The pre-read goes two hours before the meeting, so it is in the channel at least an hour before
# it even after a slow morning; if Pepptalk was down then, it still goes until the meeting starts.
PRE_READ_BEFORE = timedelta(hours=2)
ITEM_MAX = 300


async def claim_agendas(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
    """Queue each leader's draft (the workday before the meeting, 14:00 where they are) and the
    pre-read (one hour before the meeting, if the agenda's post has not brought it already)."""
    due: list[NewDelivery] = []
    for team, members in await uow.teams.with_members():
        slot = meeting_slot(team)
        if slot is None:
            continue
        weekday, at = slot
        for leader in (m for m in members if m.role is Role.LEADER):
            day = window_day(
                now, DRAFT_AT, member_zone(leader, team), after=timedelta(), length=CATCH_UP
            )
            if day is None or is_paused(leader, day):
                continue
            meeting_on = next(
                day + timedelta(days=n)
                for n in range(1, 8)
                if (day + timedelta(days=n)).weekday() == weekday
            )
            if draft_day(team, leader, meeting_on) == day:
                due.append(
                    NewDelivery(
                        workspace_id=team.workspace_id,
                        team_id=team.id,
                        member_id=leader.id,
                        kind=DeliveryKind.AGENDA,
                        local_date=meeting_on,
                        due_at=queued_at,
                    )
                )
        tz = zone(team.timezone)
        meeting_day = window_day(now, at, tz, after=-PRE_READ_BEFORE, length=PRE_READ_BEFORE)
        anchor = channel_anchor(members)
        if meeting_day is not None and meeting_day.weekday() == weekday and anchor is not None:
            pre_read = preread_delivery(team, anchor, meeting_day, queued_at)
            if pre_read is not None:
                due.append(pre_read)
    return await uow.outbox.claim(due)


async def show_agenda(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`agenda`: the draft for the next meeting, any time."""
    meeting_on = next_meeting(turn.team, turn.now)
    if meeting_on is None:
        return text_reply(turn.copy.text("agenda.no_meeting"))
    agenda = await open_agenda(
        uow=turn.uow, team=turn.team, leader=turn.member, meeting_on=meeting_on, now=turn.now
    )
    return Reply(message=await compose_draft(turn.uow, turn.team, turn.member, agenda, turn.now))


async def _editable(turn: TeamTurn, agenda_id: int) -> Agenda | Reply:
    agenda = await turn.uow.meetings.agenda_by_id(agenda_id)
    if agenda is None or agenda.team_id != turn.team.id:
        return text_reply(turn.copy("agenda.not_found"))
    return agenda


async def _redrawn(turn: TeamTurn, agenda: Agenda) -> Reply:
    return Reply(
        message=await compose_draft(turn.uow, turn.team, turn.member, agenda, turn.now),
        replace=True,
    )


async def _item_of(turn: TeamTurn, item_id: int) -> tuple[Agenda, AgendaItem] | Reply:
    item = await turn.uow.meetings.item(item_id)
    agenda = await _editable(turn, item.agenda_id) if item is not None else None
    if item is None or agenda is None or isinstance(agenda, Reply) or item.removed:
        return agenda if isinstance(agenda, Reply) else text_reply(turn.copy("agenda.not_found"))
    if agenda.posted_at is not None:
        return await _redrawn(turn, agenda)
    return agenda, item


async def remove_item(*, turn: TeamTurn, target: int) -> Reply:
    """Take an item off the draft."""
    found = await _item_of(turn, target)
    if isinstance(found, Reply):
        return found
    agenda, item = found
    item.removed = True
    return await _redrawn(turn, agenda)


async def move_up(*, turn: TeamTurn, target: int) -> Reply:
    """Move an item one place up."""
    found = await _item_of(turn, target)
    if isinstance(found, Reply):
        return found
    agenda, item = found
    items = await turn.uow.meetings.items(agenda.id)
    place = next(i for i, it in enumerate(items) if it.id == item.id)
    if place > 0:
        above = items[place - 1]
        above.position, item.position = item.position, above.position
        if above.position == item.position:
            item.position -= 1
    return await _redrawn(turn, agenda)


async def open_add_form(*, turn: TeamTurn, target: int) -> Reply:
    """The form to add an item of the leader's own."""
    agenda = await _editable(turn, target)
    if isinstance(agenda, Reply):
        return agenda
    copy = turn.copy
    return Reply(
        form=Form(
            action=ADD_FORM,
            title=copy("agenda.add_title"),
            submit=copy("agenda.add_submit"),
            cancel=copy("checkin.note_form_cancel"),
            intro=copy("agenda.add_intro"),
            context=str(agenda.id),
            inputs=(TextInput(name="item", label=copy("agenda.add_label"), max_length=ITEM_MAX),),
        )
    )


async def add_item(*, turn: TeamTurn, target: int, values: FormValues) -> Reply:
    """Add the leader's own item at the end of the draft."""
    agenda = await _editable(turn, target)
    if isinstance(agenda, Reply):
        return agenda
    text = " ".join(str(values.get("item") or "").split())
    if not text:
        return Reply(form_errors={"item": turn.copy("agenda.add_empty")})
    if len(text) > ITEM_MAX:
        return Reply(
            form_errors={"item": turn.copy("errors.text_too_long", length=len(text), max=ITEM_MAX)}
        )
    if agenda.posted_at is None:
        await turn.uow.meetings.add_item(agenda=agenda, kind=AgendaItemKind.CUSTOM, text=text)
    return await _redrawn(turn, agenda)


async def finish_action(*, turn: TeamTurn, target: int) -> Reply:
    """The Done button on an action: it leaves every next agenda."""
    action = await turn.uow.meetings.action(target)
    if action is None or action.team_id != turn.team.id:
        return text_reply(turn.copy("actions.not_found"))
    action.done_at = action.done_at or turn.now
    meeting_on = next_meeting(turn.team, turn.now)
    agenda = await turn.uow.meetings.agenda(turn.team.id, meeting_on) if meeting_on else None
    if agenda is None:
        return text_reply(turn.copy("actions.done", number=action.number))
    return await _redrawn(turn, agenda)


async def _post_pre_read(turn: TeamTurn, agenda: Agenda) -> None:
    """The pre-read goes before the agenda, unless it went out already (once per meeting).

    Its outbox row is claimed, posted and marked sent in this one transaction: no sender sees the
    row before it is marked, and if posting fails the claim goes back with everything else.
    """
    anchor = channel_anchor(await turn.uow.teams.members(turn.team.id))
    wanted = preread_delivery(turn.team, anchor, agenda.meeting_on, turn.now) if anchor else None
    if wanted is None or not await turn.uow.outbox.claim([wanted]):
        return
    row = await turn.uow.outbox.id_of(
        member_id=wanted.member_id, kind=wanted.kind, day=wanted.local_date
    )
    last = figures_until(turn.team, turn.member, agenda.meeting_on, turn.now)
    message = await compose_preread(
        uow=turn.uow, team=turn.team, meeting_on=agenda.meeting_on, last=last
    )
    if row is None or message is None:
        return
    await turn.post_in_channel(message)
    sent = SentResult(row, turn.team.channel_id or "", "", attempts=1)
    await turn.uow.outbox.mark_sent([sent], now=turn.now)


async def post_agenda(*, turn: TeamTurn, target: int) -> Reply:
    """Post the team part to the team channel, once however often it is tapped; topics it takes
    up are closed; the leader's draft then shows it as posted."""
    agenda = await _editable(turn, target)
    if isinstance(agenda, Reply):
        return agenda
    if not turn.team.channel_id:
        return text_reply(turn.copy.text("wins.need_channel"))
    if not await turn.uow.meetings.mark_posted(agenda_id=agenda.id, now=turn.now):
        return await _redrawn(turn, agenda)
    await _post_pre_read(turn, agenda)
    await turn.post_in_channel(await team_part(turn.uow, turn.team, agenda))
    items = await turn.uow.meetings.items(agenda.id)
    await turn.uow.meetings.close_topics(
        (i.ref_id for i in items if i.kind is AgendaItemKind.TOPIC and i.ref_id is not None),
        now=turn.now,
    )
    agenda.posted_at = turn.now
    return await _redrawn(turn, agenda)


async def compose_agendas(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """Each leader's draft for the meeting a delivery is for (None: the leader has left)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        if job.member.removed_at is not None or meeting_slot(job.team) is None:
            messages[job.delivery.id] = None
            continue
        now = job.delivery.due_at
        agenda = await open_agenda(
            uow=uow, team=job.team, leader=job.member, meeting_on=job.delivery.local_date, now=now
        )
        messages[job.delivery.id] = await compose_draft(uow, job.team, job.member, agenda, now)
    return messages


HABIT = Habit(
    name="agenda",
    commands=(
        TeamCommand(("agenda",), "help.agenda", show_agenda, role=Role.LEADER, private=True),
    ),
    buttons=(
        ButtonSpec(REMOVE, by_value(read_id), remove_item, Role.LEADER, "agenda.not_found"),
        ButtonSpec(UP, by_value(read_id), move_up, Role.LEADER, "agenda.not_found"),
        ButtonSpec(ADD, by_value(read_id), open_add_form, Role.LEADER, "agenda.not_found"),
        ButtonSpec(POST, by_value(read_id), post_agenda, Role.LEADER, "agenda.not_found"),
        ButtonSpec(DONE, by_value(read_id), finish_action, Role.LEADER, "actions.not_found"),
    ),
    forms=(FormSpec(ADD_FORM, read_id, add_item, Role.LEADER, "agenda.not_found"),),
    jobs=(JobSpec("agendas", claim_agendas),),
    composers=(
        ComposerSpec(DeliveryKind.AGENDA, compose_agendas),
        ComposerSpec(DeliveryKind.PRE_READ, compose_prereads),
    ),
)
