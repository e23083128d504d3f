"""The morning check-in: ask every seller how they start the day, and record the mood they tap.

The card a seller answers on is always drawn from what is stored, so every change (a tap, a note,
the answer to how often they'd like feedback) shows on it in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import (
    CATCH_UP,
    is_paused,
    is_workday,
    member_zone,
    moment,
    window_day,
)
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import Cadence, DeliveryKind, Mood, Role
from pepptalk.core.messages import (
    Block,
    Button,
    Buttons,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    Text,
    text_reply,
)
from pepptalk.core.ports import Press
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ButtonSpec, ComposerSpec, Habit, JobSpec, TeamCommand, TeamTurn
from pepptalk.store.models import Checkin, Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

MOOD_ACTION = "checkin_mood"
NOTE_ACTION = "checkin_note"
WISH_ACTION = "cadence_wish"
_GROUP_PREFIX = "checkin:"


@dataclass(frozen=True)
class MoodTap:
    """A mood button pressed: the morning it was for, and the mood."""

    day: date
    mood: Mood


@dataclass(frozen=True)
class WishTap:
    """An answer to how often a seller would like feedback, from the card of a morning."""

    day: date
    word: str


def group_of(day: date) -> str:
    """The button row id of a day's check-in (it tells a tap which morning it answers)."""
    return f"{_GROUP_PREFIX}{day.isoformat()}"


def day_of(text: str) -> date | None:
    """The date a check-in button row, note button or note form was for."""
    try:
        return date.fromisoformat(text.removeprefix(_GROUP_PREFIX).split(":")[0])
    except ValueError:
        return None


def first_name(member: Member) -> str:
    """What Pepptalk calls a person when it talks to them."""
    return member.display_name.split(" ")[0]


def mood_buttons(copy: Copy, day: date, chosen: Mood | None = None) -> Buttons:
    """The five mood buttons for a morning; the one chosen stands out."""
    return Buttons(
        group=group_of(day),
        buttons=tuple(
            Button(
                label=copy.mood_label(mood),
                action=MOOD_ACTION,
                value=str(int(mood)),
                style=Style.PRIMARY if mood == chosen else Style.DEFAULT,
                selected=mood == chosen,
            )
            for mood in Mood
        ),
    )


def wish_buttons(copy: Copy, group: str, action: str = WISH_ACTION) -> tuple[Paragraph, Buttons]:
    """The one-time question to a seller: how often would you like feedback?"""
    return (
        Paragraph(copy("checkin.wish_question")),
        Buttons(
            group=f"{group}:wish",
            buttons=tuple(Button(copy.cadence(c), action, c.value) for c in Cadence),
        ),
    )


def compose_checkin(
    *,
    team: Team,
    member: Member,
    day: date,
    leaders: list[str],
    checkin: Checkin | None,
    extra: tuple[Block, ...] = (),
) -> Message:
    """The check-in card for one seller and one morning, showing the answer and note so far."""
    copy = copy_for(team.language)
    name = first_name(member)
    who = copy.join(leaders) or copy("checkin.leaders_fallback")
    blocks: list[Block] = [
        Heading(copy("checkin.greeting", name=name)),
        Paragraph(copy("checkin.question")),
        mood_buttons(copy, day, checkin.mood if checkin else None),
    ]
    if checkin is not None:
        # The reply may open with the leaders' names (or "your team leader"): a capital, then.
        opening = who[:1].upper() + who[1:]
        reply = copy(f"checkin.reply_{int(checkin.mood)}", name=name, leaders=opening)
        blocks.append(Paragraph(reply))
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
    blocks.extend(extra)
    blocks.append(Note(copy("checkin.who_sees", leaders=who)))
    return Message(summary=copy("checkin.question"), blocks=tuple(blocks))


async def current_card(turn: TeamTurn, day: date, extra: tuple[Block, ...] = ()) -> Message:
    """The seller's card for a morning as it stands now."""
    leaders = await turn.uow.teams.leader_names([turn.team.id])
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=day, fresh=True)
    return compose_checkin(
        team=turn.team,
        member=turn.member,
        day=day,
        leaders=leaders[turn.team.id],
        checkin=checkin,
        extra=extra,
    )


def closed(turn: TeamTurn, day: date) -> Reply:
    """The answer to a tap on a morning that has passed."""
    return text_reply(turn.copy("checkin.closed", date=turn.copy.date(day)))


def _read_tap(press: Press) -> MoodTap | None:
    day, mood = day_of(press.group), Mood.parse(press.value)
    return MoodTap(day, mood) if day is not None and mood is not None else None


async def record_mood(*, turn: TeamTurn, target: MoodTap) -> Reply:
    """Record the mood a seller tapped, and show the card with a reply that fits the mood."""
    day = target.day
    if day != turn.today:
        return closed(turn, day)
    await turn.uow.checkins.save_mood(member=turn.member, day=day, mood=target.mood, now=turn.now)
    if target.mood.is_low:
        # A hard morning brings this seller's next feedback talk to today.
        turn.member.feedback_pulled_on = day
    extra: tuple[Block, ...] = ()
    if not turn.member.cadence_asked:
        # Asked once: the leader sees the wish beside the cadence in `seen`.
        turn.member.cadence_asked = True
        extra = wish_buttons(turn.copy, group_of(day))
    return Reply(message=await current_card(turn, day, extra), replace=True)


def save_wish(turn: TeamTurn, word: str) -> Text:
    """Keep a seller's answer to how often they'd like feedback; what to tell them."""
    copy = turn.copy
    cadence = Cadence.parse(word)
    if cadence is None:
        return copy("feedback.bad_cadence", value=word[:40])
    turn.member.cadence_wish, turn.member.cadence_asked = cadence, True
    return copy("checkin.wish_saved", cadence=copy.cadence(cadence))


def _read_wish(press: Press) -> WishTap | None:
    day = day_of(press.group)
    return WishTap(day, press.value) if day is not None else None


async def record_wish(*, turn: TeamTurn, target: WishTap) -> Reply:
    """The answer to the one-time question, on the morning's card: the card updates in place."""
    said = save_wish(turn, target.word)
    return Reply(message=await current_card(turn, target.day, (Paragraph(said),)), replace=True)


async def show_checkin(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """A seller's `checkin`: today's check-in, to answer or change."""
    return Reply(message=await current_card(turn, turn.today))


def checkin_day(team: Team, member: Member, now: datetime) -> date | None:
    """The local date a seller's check-in is due for at `now`, if one is."""
    if member.role is not Role.SELLER:
        return None
    zone = member_zone(member, team)
    day = window_day(now, team.checkin_time, zone, after=timedelta(), length=CATCH_UP)
    if day is None or not is_workday(team, day, member) or is_paused(member, day):
        return None
    if member.joined_at > moment(day, team.checkin_time, zone):
        # Added after this morning's check-in time: their first comes the next workday, as the
        # welcome says.
        return None
    return day


async def claim_checkins(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
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
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """Check-in cards for queued deliveries (None: no longer to go out), in two queries."""
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
        TeamCommand(
            ("checkin",), "help.checkin_seller", show_checkin, role=Role.SELLER, private=True
        ),
    ),
    buttons=(
        ButtonSpec(MOOD_ACTION, _read_tap, record_mood, Role.SELLER, "errors.bad_mood"),
        ButtonSpec(WISH_ACTION, _read_wish, record_wish, Role.SELLER),
    ),
    jobs=(JobSpec("checkins", claim_checkins),),
    composers=(ComposerSpec(DeliveryKind.CHECKIN, compose_checkins, for_its_day=True),),
)
