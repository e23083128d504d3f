"""Feedback talks: leaders log them; each seller has a cadence and says how often they want one."""

from __future__ import annotations

from datetime import date, timedelta

from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Cadence, FeedbackKind, Role
from pepptalk.core.mentions import Mention
from pepptalk.core.messages import (
    Button,
    Buttons,
    Choice,
    Form,
    Paragraph,
    Reply,
    TextInput,
    text_reply,
)
from pepptalk.core.ports import FormValues
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import (
    Abandon,
    ButtonSpec,
    FormSpec,
    Habit,
    TeamCommand,
    TeamTurn,
    by_value,
)
from pepptalk.store.models import Feedback, Member

# What leaders type for each kind (the form offers them by name).
_KIND_WORDS = {
    "praise": FeedbackKind.PRAISE,
    "coaching": FeedbackKind.COACHING,
    "coach": FeedbackKind.COACHING,
    "goal": FeedbackKind.GOAL,
    "goals": FeedbackKind.GOAL,
    "goal-talk": FeedbackKind.GOAL,
    "1:1": FeedbackKind.ONE_TO_ONE,
    "1on1": FeedbackKind.ONE_TO_ONE,
    "one-to-one": FeedbackKind.ONE_TO_ONE,
    "121": FeedbackKind.ONE_TO_ONE,
}
FORM = "feedback_form"
LOG_ACTION = "feedback_log"
WISH = "cadence_wish"
NOTE_MAX = 1000


def kind_label(copy: Copy, kind: FeedbackKind) -> str:
    """A kind of conversation, as people say it."""
    return copy(f"feedback.kind_{kind.value}")


def cadence_label(copy: Copy, cadence: Cadence) -> str:
    """A cadence, as people say it."""
    return copy(f"feedback.cadence_{cadence.value.replace('-', '_')}")


def due_on(member: Member, last: Feedback | None) -> date:
    """When a seller's next feedback conversation is due."""
    if last is None:
        due = member.joined_at.date()
    else:
        due = last.given_on + timedelta(days=member.cadence.days)
    pulled = member.feedback_pulled_on
    if pulled is not None and (last is None or pulled > last.given_on):
        # A low morning brings the next talk forward, never pushes it back.
        due = min(due, pulled)
    return due


async def seller_by_id(turn: TeamTurn, member_id: int) -> Member:
    """A seller of the leader's own team, by the id a button or form carried."""
    seller = await turn.uow.teams.seller(turn.team.id, member_id=member_id)
    if seller is None:
        raise Abandon(text_reply(turn.copy("feedback.seller_gone")))
    return seller


async def _mentioned_seller(turn: TeamTurn, mention: Mention | None, usage: str) -> Member:
    """The seller a command mentions; else the reply saying what would work instead."""
    if mention is None or mention.user_id is None:
        raise Abandon(text_reply(turn.copy.text(usage)))
    seller = await turn.uow.teams.seller(turn.team.id, user_id=mention.user_id)
    if seller is None:
        raise Abandon(text_reply(turn.copy("feedback.not_a_seller", name=mention.raw)))
    return seller


def feedback_form(copy: Copy, seller: Member, *, note: str = "") -> Form:
    """The form to log a conversation with one seller."""
    return Form(
        action=FORM,
        title=copy("feedback.form_title"),
        submit=copy("feedback.form_submit"),
        cancel=copy("feedback.form_cancel"),
        intro=copy("feedback.form_intro", name=seller.display_name),
        context=str(seller.id),
        inputs=(
            Choice(
                name="kind",
                label=copy("feedback.form_kind"),
                options=tuple((k.value, kind_label(copy, k)) for k in FeedbackKind),
                initial=FeedbackKind.COACHING.value,
            ),
            TextInput(
                name="note",
                label=copy("feedback.form_note"),
                initial=note,
                multiline=True,
                max_length=NOTE_MAX,
                optional=True,
            ),
        ),
    )


async def _save(turn: TeamTurn, seller: Member, kind: FeedbackKind, note: str) -> Reply:
    copy, day = turn.copy, turn.today
    talk = await turn.uow.feedback.add(
        seller=seller, leader=turn.member, kind=kind, note=note or None, day=day, now=turn.now
    )
    return text_reply(
        copy(
            "feedback.logged",
            kind=kind_label(copy, kind).lower(),
            name=seller.display_name,
            date=copy.short_date(due_on(seller, talk)),
        )
    )


async def log_feedback(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`feedback @seller [kind] [note]`: log it, or open the form when the kind is not given."""
    copy = turn.copy
    seller = await _mentioned_seller(turn, line.mention(0), "usage.feedback")
    rest = line.rest(1)
    first, _, after = rest.partition(" ")
    kind = _KIND_WORDS.get(first.lower())
    note = after.strip() if kind else rest
    if len(note) > NOTE_MAX:
        return text_reply(copy("errors.note_too_long", length=len(note), max=NOTE_MAX))
    if kind is None:
        return Reply(form=feedback_form(copy, seller, note=note))
    return await _save(turn, seller, kind, note)


async def open_feedback_form(*, turn: TeamTurn, target: int) -> Reply:
    """The "log feedback" button: the form for the seller it names."""
    return Reply(form=feedback_form(turn.copy, await seller_by_id(turn, target)))


async def submit_feedback_form(*, turn: TeamTurn, target: int, values: FormValues) -> Reply:
    """Save a conversation from the feedback form."""
    copy = turn.copy
    seller = await seller_by_id(turn, target)
    note = str(values.get("note") or "").strip()
    try:
        kind = FeedbackKind(str(values.get("kind") or ""))
    except ValueError:
        return Reply(form_errors={"kind": copy("feedback.bad_kind")})
    if len(note) > NOTE_MAX:
        return Reply(
            form_errors={"note": copy("errors.note_too_long", length=len(note), max=NOTE_MAX)}
        )
    return await _save(turn, seller, kind, note)


async def set_cadence(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`cadence @seller daily|twice-weekly|weekly|biweekly`."""
    copy = turn.copy
    seller = await _mentioned_seller(turn, line.mention(0), "usage.cadence")
    word = line.arg(1)
    cadence = Cadence.parse(word)
    if cadence is None:
        return text_reply(copy("feedback.bad_cadence", value=word[:40]))
    seller.cadence = cadence
    return text_reply(
        copy("feedback.cadence_set", name=seller.display_name, cadence=cadence_label(copy, cadence))
    )


def wish_buttons(copy: Copy, group: str) -> tuple[Paragraph, Buttons]:
    """The one-time question to a seller: how often would you like feedback?"""
    return (
        Paragraph(copy("feedback.wish_question")),
        Buttons(
            group=f"{group}:wish",
            buttons=tuple(Button(cadence_label(copy, c), WISH, c.value) for c in Cadence),
        ),
    )


async def record_wish(*, turn: TeamTurn, target: str) -> Reply:
    """A seller's answer to how often they would like feedback; their leader sees it in `seen`."""
    copy = turn.copy
    cadence = Cadence.parse(target)
    if cadence is None:
        return text_reply(copy("feedback.bad_cadence", value=target[:40]))
    turn.member.cadence_wish, turn.member.cadence_asked = cadence, True
    return text_reply(copy("feedback.wish_saved", cadence=cadence_label(copy, cadence)))


HABIT = Habit(
    name="feedback",
    commands=(
        TeamCommand(("feedback",), "help.feedback", log_feedback, role=Role.LEADER),
        TeamCommand(("cadence",), "help.cadence", set_cadence, role=Role.LEADER),
    ),
    buttons=(
        ButtonSpec(
            LOG_ACTION, by_value(read_id), open_feedback_form, Role.LEADER, "feedback.seller_gone"
        ),
        ButtonSpec(WISH, by_value(str), record_wish, Role.SELLER),
    ),
    forms=(FormSpec(FORM, read_id, submit_feedback_form, Role.LEADER, "feedback.seller_gone"),),
)
