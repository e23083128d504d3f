"""A seller's note on their morning: by the card's button and form, by `note`, or just by writing
to Pepptalk. However it comes, the morning's card shows it."""

from __future__ import annotations

import logging
from datetime import date

from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Checkbox, Form, Reply, TextInput, text_reply
from pepptalk.core.ports import DeliveryError, FormValues, RateLimitedError
from pepptalk.handlers.checkin import NOTE_ACTION, closed, current_card, day_of
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ButtonSpec, FormSpec, Habit, TeamCommand, TeamTurn, by_value

log = logging.getLogger(__name__)
NOTE_FORM = "checkin_note_form"
NOTE_MAX = 500


def note_problem(copy: Copy, note: str) -> str | None:
    """Why a note cannot be saved, or None when it can."""
    if len(note) > NOTE_MAX:
        return copy("errors.note_too_long", length=len(note), max=NOTE_MAX)
    return None


async def open_note_form(*, turn: TeamTurn, target: date) -> Reply:
    """The form to add or change the note on a morning's check-in."""
    copy = turn.copy
    if target != turn.today:
        return closed(turn, target)
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


async def submit_note_form(*, turn: TeamTurn, target: date, values: FormValues) -> Reply:
    """Save the note from the form (an empty note removes it); the card it came from updates."""
    if target != turn.today:
        return closed(turn, target)
    note = str(values.get("note") or "").strip()
    problem = note_problem(turn.copy, note)
    if problem:
        return Reply(form_errors={"note": problem})
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=target)
    if checkin is None:
        return text_reply(turn.copy("checkin.note_needs_mood"))
    checkin.note, checkin.note_private = note or None, bool(values.get("private"))
    checkin.updated_at = turn.now
    return Reply(message=await current_card(turn, target), replace=True)


async def _refresh_morning_card(turn: TeamTurn, day: date) -> None:
    """Show the change on the check-in card Pepptalk sent this morning, where it is."""
    sent = await turn.uow.outbox.sent_to(
        member_id=turn.member.id, kind=DeliveryKind.CHECKIN, day=day
    )
    if sent is None:
        return
    try:
        await turn.chat.update_direct(
            platform=turn.team.platform,
            workspace_id=turn.team.workspace_id,
            user_id=turn.member.user_id,
            sent=sent,
            message=await current_card(turn, day),
        )
    except (DeliveryError, RateLimitedError) as error:
        # The note is kept either way; the card just shows it the next time it is drawn.
        log.info("could not update the check-in card of member %s: %r", turn.member.id, error)


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
    day = turn.today
    checkin = await turn.uow.checkins.of(member_id=turn.member.id, day=day)
    if checkin is None:
        return text_reply(copy("checkin.note_needs_mood"))
    checkin.note, checkin.updated_at = note, turn.now
    await _refresh_morning_card(turn, day)
    if checkin.note_private:
        return text_reply(copy("checkin.note_saved_private"))
    leaders = (await turn.uow.teams.leader_names([turn.team.id]))[turn.team.id]
    who = copy.join(leaders) or copy("checkin.leaders_fallback")
    return text_reply(copy("checkin.note_saved", leaders=who))


HABIT = Habit(
    name="notes",
    commands=(TeamCommand(("note",), "help.note", add_note, role=Role.SELLER, private=True),),
    buttons=(ButtonSpec(NOTE_ACTION, by_value(day_of), open_note_form),),
    forms=(FormSpec(NOTE_FORM, day_of, submit_note_form),),
    on_text=add_note,
)
