"""The morning check-in: ask every seller how they start the day, record the answer and the note."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.handlers.calendar import (
    is_paused,
    is_workday,
    local_today,
    member_zone,
    window_day,
)
from pepptalk.handlers.feedback import wish_buttons
from pepptalk.handlers.i18n import Copy, copy_for
from pepptalk.handlers.messages import (
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
from pepptalk.handlers.models import LEADER, SELLER, Checkin, Member, Team
from pepptalk.handlers.store import DeliveryJob, Membership, NewDelivery, Store

KIND = "checkin"
MOOD_ACTION = "checkin_mood"
NOTE_ACTION = "checkin_note"
NOTE_FORM = "checkin_note_form"
NOTE_MAX = 500
# If the server was down at check-in time, it still asks within this window, never later.
CATCH_UP = timedelta(hours=3)
MOOD_EMOJI = {1: "😣", 2: "😕", 3: "😐", 4: "🙂", 5: "😄"}
LOW_MOOD = 2
_GROUP_PREFIX = "checkin:"


def mood_label(copy: Copy, mood: int) -> str:
    """A mood as shown on buttons and in summaries: emoji and word."""
    return f"{MOOD_EMOJI[mood]} {copy.mood(mood)}"


def leader_names(members: list[Member]) -> list[str]:
    """The display names of a team's leaders."""
    return [m.display_name for m in members if m.role == LEADER]


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
            value=str(mood),
            style=Style.PRIMARY if mood == chosen else Style.DEFAULT,
            selected=mood == chosen,
        )
        for mood in range(1, 6)
    )
    blocks: list[Heading | Paragraph | Buttons | Note] = [
        Heading(copy("checkin.greeting", name=first_name)),
        Paragraph(copy("checkin.question")),
        Buttons(group=f"{_GROUP_PREFIX}{day.isoformat()}", buttons=buttons),
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
            group=f"{_GROUP_PREFIX}{day.isoformat()}:note",
            buttons=(Button(label=copy(note_label), action=NOTE_ACTION, value=day.isoformat()),),
        )
    )
    who = copy.join(leaders) or copy("checkin.leaders_fallback")
    blocks.append(Note(copy("checkin.who_sees", leaders=who)))
    return Message(summary=copy("checkin.question"), blocks=tuple(blocks))


def day_of_group(group: str) -> date | None:
    """The date a check-in button row was for."""
    text = group.removeprefix(_GROUP_PREFIX).split(":")[0]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


async def _current_message(store: Store, seat: Membership, day: date) -> Message:
    members = await store.members(seat.team.id)
    checkin = await store.checkin(member_id=seat.member.id, local_date=day)
    return compose_checkin(
        team=seat.team,
        member=seat.member,
        day=day,
        leaders=leader_names(members),
        checkin=checkin,
    )


async def record_mood(
    *, store: Store, seat: Membership, group: str, value: str, now: datetime
) -> Reply:
    """Record the mood a seller tapped, and show the check-in with their answer."""
    copy = copy_for(seat.team.language)
    day = day_of_group(group)
    if not value.isdigit() or not 1 <= int(value) <= 5 or day is None:
        return text_reply(copy("errors.bad_mood"))
    if seat.member.role != SELLER:
        return text_reply(copy("errors.sellers_only"))
    if day != local_today(seat.member, seat.team, now):
        return text_reply(copy("checkin.closed", date=copy.date(day)))
    mood = int(value)
    await store.save_mood(member=seat.member, local_date=day, mood=mood, now=now)
    if mood <= LOW_MOOD:
        # A hard morning brings this seller's next feedback talk to today.
        await store.update_member(seat.member.id, feedback_pulled_on=day)
    message = await _current_message(store, seat, day)
    if not seat.member.cadence_asked:
        # Asked once, at the first check-in: the leader sees the wish beside the cadence.
        await store.update_member(seat.member.id, cadence_asked=True)
        ask = wish_buttons(copy, f"{_GROUP_PREFIX}{day.isoformat()}")
        message = Message(summary=message.summary, blocks=(*message.blocks, *ask))
    return Reply(message=message, replace=True)


async def open_note_form(*, store: Store, seat: Membership, value: str, now: datetime) -> Reply:
    """The form to add or change the note on a check-in."""
    copy = copy_for(seat.team.language)
    day = day_of_group(value)
    if day is None or day != local_today(seat.member, seat.team, now):
        return text_reply(copy("checkin.closed", date=copy.date(day or now.date())))
    checkin = await store.checkin(member_id=seat.member.id, local_date=day)
    if checkin is None:
        return text_reply(copy("checkin.note_needs_mood"))
    form = Form(
        action=NOTE_FORM,
        title=copy("checkin.note_form_title"),
        submit=copy("checkin.note_form_submit"),
        cancel=copy("checkin.note_form_cancel"),
        intro=copy("checkin.note_form_intro"),
        context=day.isoformat(),
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


async def submit_note_form(
    *, store: Store, seat: Membership, context: str, values: dict[str, str | bool], now: datetime
) -> Reply:
    """Save the note from the note form; an empty note removes it."""
    copy = copy_for(seat.team.language)
    day = day_of_group(context)
    if day is None or day != local_today(seat.member, seat.team, now):
        return text_reply(copy("checkin.closed", date=copy.date(day or now.date())))
    note = str(values.get("note") or "").strip()
    problem = note_problem(copy, note)
    if problem:
        return Reply(form_errors={"note": problem})
    saved = await store.save_note(
        member_id=seat.member.id,
        local_date=day,
        note=note or None,
        private=bool(values.get("private")),
        now=now,
    )
    if not saved:
        return text_reply(copy("checkin.note_needs_mood"))
    return Reply(message=await _current_message(store, seat, day), replace=True)


async def add_note(*, store: Store, seat: Membership, text: str, now: datetime) -> Reply:
    """`/pepptalk note <text>`: add or replace today's note."""
    copy = copy_for(seat.team.language)
    if seat.member.role != SELLER:
        return text_reply(copy("errors.sellers_only"))
    note = text.strip()
    if not note:
        return text_reply(copy("errors.note_empty"))
    problem = note_problem(copy, note)
    if problem:
        return text_reply(problem)
    day = local_today(seat.member, seat.team, now)
    previous = await store.checkin(member_id=seat.member.id, local_date=day)
    private = previous.note_private if previous else False
    if not await store.save_note(
        member_id=seat.member.id, local_date=day, note=note, private=private, now=now
    ):
        return text_reply(copy("checkin.note_needs_mood"))
    return text_reply(copy("checkin.note_saved_private" if private else "checkin.note_saved"))


async def show_checkin(*, store: Store, seat: Membership, now: datetime) -> Reply:
    """A seller's `/pepptalk checkin`: today's check-in, to answer or change."""
    return Reply(
        message=await _current_message(store, seat, local_today(seat.member, seat.team, now))
    )


def checkin_day(team: Team, member: Member, now: datetime) -> date | None:
    """The local date a seller's check-in is due for at `now`, if one is."""
    if member.role != SELLER:
        return None
    day = window_day(
        now, team.checkin_time, member_zone(member, team), after=timedelta(), length=CATCH_UP
    )
    if day is None or not is_workday(team, day) or is_paused(member, day):
        return None
    return day


async def claim_checkins(*, store: Store, now: datetime, queued_at: datetime | None = None) -> int:
    """Queue every check-in that is due at `now`; returns how many were newly queued."""
    due = [
        NewDelivery(
            workspace_id=team.workspace_id,
            team_id=team.id,
            member_id=member.id,
            kind=KIND,
            local_date=day,
            due_at=queued_at or now,
        )
        for team, members in await store.teams_with_members()
        for member in members
        if (day := checkin_day(team, member, now)) is not None
    ]
    return await store.claim(due)


async def compose_checkin_deliveries(
    *, store: Store, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    """Check-in messages for queued deliveries (None: no longer to go out), in two queries."""
    leaders = await store.leaders_of({job.team.id for job in jobs})
    answers = await store.checkins_of((job.member.id, job.delivery.local_date) for job in jobs)
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
