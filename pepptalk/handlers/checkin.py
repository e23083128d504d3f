"""The morning check-in: ask every seller how they start the day, record the answer and the note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import CATCH_UP, is_paused, is_workday, member_zone, window_day
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Mood, Role
from pepptalk.core.messages import (
    Block,
    Button,
    Buttons,
    Checkbox,
    Form,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    TextInput,
    text_reply,
)
from pepptalk.core.ports import FormValues, Press
from pepptalk.handlers.feedback import wish_buttons
from pepptalk.handlers.grammar import CommandLine
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
from pepptalk.store.models import Checkin, Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

MOOD_ACTION = "checkin_mood"
NOTE_ACTION = "checkin_note"
NOTE_FORM = "checkin_note_form"
NOTE_MAX = 500
_GROUP_PREFIX = "checkin:"


@dataclass(frozen=True)
class MoodTap:
    """A mood button pressed: the morning it was for, and the mood."""

    day: date
    mood: Mood


def mood_label(copy: Copy, mood: Mood) -> str:
    """A mood as shown on buttons and in summaries: emoji and word."""
    return f"{mood.emoji} {copy.mood(mood)}"


def group_of(day: date) -> str:
    """The button row id of a day's check-in (it tells a tap which morning it answers)."""
    return f"{_GROUP_PREFIX}{day.isoformat()}"


def day_of(text: str) -> date | None:
    """The date a check-in button row, note button or note form was for."""
    try:
        return date.fromisoformat(text.removeprefix(_GROUP_PREFIX).split(":")[0])
    except ValueError:
        return None


def _read_tap(press: Press) -> MoodTap | None:
    day, mood = day_of(press.group), Mood.parse(press.value)
    return MoodTap(day, mood) if day is not None and mood is not None else None


def compose_checkin(
    *, team: Team, member: Member, day: date, leaders: list[str], checkin: Checkin | None
) -> Message:
    """The check-in message for one seller and one date, showing any answer already given."""
    copy = copy_for(team.language)
    first_name = member.display_name.split(" ")[0]
    chosen = checkin.mood if checkin else None
    buttons = tuple(
        Button(
            label=mood_label(copy, mood),
            action=MOOD_ACTION,
            value=str(int(mood)),
            style=Style.PRIMARY if mood == chosen else Style.DEFAULT,
            selected=mood == chosen,
        )
        for mood in Mood
    )
    blocks: list[Block] = [
        Heading(copy("checkin.greeting", name=first_name)),
        Paragraph(copy("checkin.question")),
        Buttons(group=group_of(day), buttons=buttons),
    ]
    if checkin is not None:
        blocks.append(
            Paragraph(copy("checkin.thanks", name=first_name, mood=mood_label(copy, checkin.mood)))
        )
        if checkin.note:
            key = "checkin.your_private_note" if checkin.note_private else "checkin.your_note"
            blocks.append(Paragraph(copy(key, note=checkin.note)))
    note_label = "checkin.change_note" if checkin and checkin.note else "checkin.add_note"
    blocks.append(
        Buttons(
            group=f"{group_of(day)}:note",
            buttons=(Button(label=copy(note_label), action=NOTE_ACTION, value=day.isoformat()),),
        )
    )
    who = copy.join(leaders) or copy("checkin.leaders_fallback")
    blocks.append(Note(copy("checkin.who_sees", leaders=who)))
    return Message(summary=copy("checkin.question"), blocks=tuple(blocks))


async def _current_message(turn: TeamTurn, day: date) -> Message:
    leaders = await turn.uow.teams.leader_names([turn.team.id])
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=day, fresh=True)
    return compose_checkin(
        team=turn.team,
        member=turn.member,
        day=day,
        leaders=leaders[turn.team.id],
        checkin=checkin,
    )


def _closed(turn: TeamTurn, day: date) -> Reply:
    return text_reply(turn.copy("checkin.closed", date=turn.copy.date(day)))


async def record_mood(*, turn: TeamTurn, target: MoodTap) -> Reply:
    """Record the mood a seller tapped, and show the check-in with their answer."""
    day = target.day
    if day != turn.today:
        return _closed(turn, day)
    await turn.uow.checkins.save_mood(member=turn.member, day=day, mood=target.mood, now=turn.now)
    if target.mood.is_low:
        # A hard morning brings this seller's next feedback talk to today.
        turn.member.feedback_pulled_on = day
    message = await _current_message(turn, day)
    if not turn.member.cadence_asked:
        # Asked once, at the first check-in: the leader sees the wish beside the cadence.
        turn.member.cadence_asked = True
        ask = wish_buttons(turn.copy, group_of(day))
        message = Message(summary=message.summary, blocks=(*message.blocks, *ask))
    return Reply(message=message, replace=True)


async def open_note_form(*, turn: TeamTurn, target: date) -> Reply:
    """The form to add or change the note on a check-in."""
    copy = turn.copy
    if target != turn.today:
        return _closed(turn, target)
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=target)
    if checkin is None:
        return text_reply(copy("checkin.note_needs_mood"))
    form = Form(
        action=NOTE_FORM,
        title=copy("checkin.note_form_title"),
        submit=copy("checkin.note_form_submit"),
        cancel=copy("checkin.note_form_cancel"),
        intro=copy("checkin.note_form_intro"),
        context=target.isoformat(),
        inputs=(
            TextInput(
                name="note",
                label=copy("checkin.note_form_label"),
                initial=checkin.note or "",
                multiline=True,
                max_length=NOTE_MAX,
                optional=True,
                placeholder=copy("checkin.note_form_placeholder"),
            ),
            Checkbox(
                name="private",
                label=copy("checkin.note_form_private"),
                checked=checkin.note_private,
            ),
        ),
    )
    return Reply(form=form)


def note_problem(copy: Copy, note: str) -> str | None:
    """Why a note cannot be saved, or None when it can."""
    if len(note) > NOTE_MAX:
        return copy("errors.note_too_long", length=len(note), max=NOTE_MAX)
    return None


async def submit_note_form(*, turn: TeamTurn, target: date, values: FormValues) -> Reply:
    """Save the note from the note form; an empty note removes it."""
    if target != turn.today:
        return _closed(turn, target)
    note = str(values.get("note") or "").strip()
    problem = note_problem(turn.copy, note)
    if problem:
        return Reply(form_errors={"note": problem})
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=target)
    if checkin is None:
        return text_reply(turn.copy("checkin.note_needs_mood"))
    checkin.note, checkin.note_private = note or None, bool(values.get("private"))
    checkin.updated_at = turn.now
    return Reply(message=await _current_message(turn, target), replace=True)


async def add_note(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`note <text>`: add or replace today's note (words written straight to Pepptalk too)."""
    copy = turn.copy
    if turn.member.role is not Role.SELLER:
        return text_reply(copy("errors.sellers_only"))
    note = line.rest()
    if not note:
        return text_reply(copy.text("errors.note_empty"))
    problem = note_problem(copy, note)
    if problem:
        return text_reply(problem)
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=turn.today)
    if checkin is None:
        return text_reply(copy("checkin.note_needs_mood"))
    checkin.note, checkin.updated_at = note, turn.now
    return text_reply(
        copy("checkin.note_saved_private" if checkin.note_private else "checkin.note_saved")
    )


async def show_checkin(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """A seller's `checkin`: today's check-in, to answer or change."""
    return Reply(message=await _current_message(turn, turn.today))


def checkin_day(team: Team, member: Member, now: datetime) -> date | None:
    """The local date a seller's check-in is due for at `now`, if one is."""
    if member.role is not Role.SELLER:
        return None
    day = window_day(
        now, team.checkin_time, member_zone(member, team), after=timedelta(), length=CATCH_UP
    )
    if day is None or not is_workday(team, day) or is_paused(member, day):
        return None
    return day


async def claim_checkins(*, uow: UnitOfWork, now: datetime, queued_at: datetime) -> int:
    """Queue every check-in that is due at `now`; returns how many were newly queued."""
    due = [
        NewDelivery(
            workspace_id=team.workspace_id,
            team_id=team.id,
            member_id=member.id,
            kind=DeliveryKind.CHECKIN,
            local_date=day,
            due_at=queued_at,
        )
        for team, members in await uow.teams.with_members()
        for member in members
        if (day := checkin_day(team, member, now)) is not None
    ]
    return await uow.outbox.claim(due)


async def compose_checkins(
    *, uow: UnitOfWork, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    """Check-in messages for queued deliveries (None: no longer to go out), in two queries."""
    leaders = await uow.teams.leader_names({job.team.id for job in jobs})
    answers = await uow.checkins.of_many((job.member.id, job.delivery.local_date) for job in jobs)
    messages: dict[int, Message | None] = {}
    for job in jobs:
        day = job.delivery.local_date
        if job.member.removed_at is not None or is_paused(job.member, day):
            messages[job.delivery.id] = None
            continue
        messages[job.delivery.id] = compose_checkin(
            team=job.team,
            member=job.member,
            day=day,
            leaders=leaders.get(job.team.id, []),
            checkin=answers.get((job.member.id, day)),
        )
    return messages


HABIT = Habit(
    name="checkin",
    commands=(
        TeamCommand(("checkin",), "help.checkin_seller", show_checkin, role=Role.SELLER),
        TeamCommand(("note",), "help.note", add_note, role=Role.SELLER),
    ),
    buttons=(
        ButtonSpec(MOOD_ACTION, _read_tap, record_mood, Role.SELLER, "errors.bad_mood"),
        ButtonSpec(NOTE_ACTION, by_value(day_of), open_note_form),
    ),
    forms=(FormSpec(NOTE_FORM, day_of, submit_note_form),),
    jobs=(JobSpec("checkins", claim_checkins),),
    composers=(ComposerSpec(DeliveryKind.CHECKIN, compose_checkins),),
    on_text=add_note,
)
