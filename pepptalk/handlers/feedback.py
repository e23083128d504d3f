"""Feedback talks: a leader logs them (by command, or by a form from the nudge), and sets each
seller's cadence."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from pepptalk.core.i18n import LANGUAGES, Copy, copy_for
from pepptalk.core.kinds import Cadence, FeedbackKind, Role
from pepptalk.core.mentions import Mention
from pepptalk.core.messages import Choice, Form, Message, Paragraph, Reply, TextInput, text_reply
from pepptalk.core.ports import FormValues, Press
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import (
    Abandon,
    ButtonSpec,
    FormSpec,
    Habit,
    TeamCommand,
    TeamTurn,
)
from pepptalk.handlers.people import find, fold, shown, whole_name
from pepptalk.handlers.seen import LOG_ACTION, NUDGE_GROUP, compose_nudge, due_on, on_a_workday
from pepptalk.store.models import Member

FORM = "feedback_form"
NOTE_MAX = 1000
_FROM_NUDGE = "nudge"


@dataclass(frozen=True)
class TalkTarget:
    """Whom a "log feedback" button or form is about, and whether it came from the nudge."""

    member_id: int
    from_nudge: bool = False


@cache
def kind_words() -> dict[str, FeedbackKind]:
    """Every word for a kind of talk a leader may type, in any of Pepptalk's languages."""
    words: dict[str, FeedbackKind] = {}
    for language in LANGUAGES:
        copy = copy_for(language)
        for kind in FeedbackKind:
            typed = copy(f"feedback.words_{kind.value}").split(",")
            for word in (*typed, copy.kind(kind)):
                words[fold(word)] = kind
    return words


async def _seller(turn: TeamTurn, mention: Mention | None) -> Member:
    """The seller a command names; else abandon with a reply that says what was wrong."""
    copy = turn.copy
    if mention is None:
        raise Abandon(text_reply(copy.text("usage.feedback")))
    sellers = await turn.uow.teams.sellers(turn.team.id)
    seller = find(sellers, mention)
    if seller is not None:
        return seller
    if mention.user_id is None:
        raise Abandon(text_reply(copy.text("feedback.nobody_called", name=mention.raw[:40])))
    name = shown(mention, unnamed=copy("feedback.that_person"))
    raise Abandon(text_reply(copy("feedback.not_a_seller", name=name)))


def feedback_form(copy: Copy, seller: Member, *, note: str = "", from_nudge: bool = False) -> Form:
    """The form to log a talk with one seller: the kind is chosen, never guessed."""
    # The last part tells this opening of the form from the next: each can be saved once.
    origin = _FROM_NUDGE if from_nudge else "talk"
    context = f"{seller.id}:{origin}:{secrets.token_hex(4)}"
    return Form(
        action=FORM,
        title=copy("feedback.form_title"),
        submit=copy("feedback.form_submit"),
        cancel=copy("feedback.form_cancel"),
        intro=copy("feedback.form_intro", name=seller.display_name),
        context=context,
        inputs=(
            Choice(
                name="kind",
                label=copy("feedback.form_kind"),
                options=tuple((k.value, copy.kind(k)) for k in FeedbackKind),
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


async def _save(
    turn: TeamTurn, seller: Member, kind: FeedbackKind, note: str, *, from_nudge: bool = False
) -> Reply:
    copy = turn.copy
    talk = await turn.uow.feedback.add(
        seller=seller,
        leader=turn.member,
        kind=kind,
        note=note or None,
        day=turn.today,
        now=turn.now,
    )
    next_talk = copy.day(on_a_workday(turn.team, due_on(seller, talk)))
    if from_nudge:
        row = copy("feedback.logged_row", kind=copy.kind(kind).lower(), date=next_talk)
        nudge = await compose_nudge(
            uow=turn.uow, team=turn.team, day=turn.today, logged={seller.id: row}
        )
        if nudge is not None:
            return Reply(message=nudge, replace=True)
        said = copy("feedback.everyone_seen")
        return Reply(message=Message(summary=said, blocks=(Paragraph(said),)), replace=True)
    return text_reply(
        copy(
            "feedback.logged",
            kind=copy.kind(kind).lower(),
            name=seller.display_name,
            date=next_talk,
        )
    )


async def _whole_name(turn: TeamTurn, line: CommandLine) -> tuple[Member, int] | None:
    """A seller's full name typed as plain words, when the first word is no mention."""
    first = line.mention(0)
    if first is None or first.user_id is not None:
        return None
    return whole_name(await turn.uow.teams.sellers(turn.team.id), line.args)


async def log_feedback(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`feedback @seller [kind] [note]`: log it, or open the form when no kind is given."""
    copy = turn.copy
    named = await _whole_name(turn, line)
    seller = named[0] if named else await _seller(turn, line.mention(0))
    rest = line.rest(named[1] if named else 1)
    first, _, after = rest.partition(" ")
    kind = kind_words().get(fold(first))
    note = after.strip() if kind else rest
    if len(note) > NOTE_MAX:
        return text_reply(copy("errors.note_too_long", length=len(note), max=NOTE_MAX))
    if kind is None:
        return Reply(form=feedback_form(copy, seller, note=note))
    return await _save(turn, seller, kind, note)


def _read_log_button(press: Press) -> TalkTarget | None:
    member_id = read_id(press.value)
    if member_id is None:
        return None
    return TalkTarget(member_id, from_nudge=press.group.startswith(f"{NUDGE_GROUP}:"))


async def open_feedback_form(*, turn: TeamTurn, target: TalkTarget) -> Reply:
    """The "log feedback" button: the form for the seller it names."""
    seller = await turn.seller(target.member_id)
    return Reply(form=feedback_form(turn.copy, seller, from_nudge=target.from_nudge))


def _read_form(context: str) -> TalkTarget | None:
    member, _, rest = context.partition(":")
    origin = rest.partition(":")[0]
    member_id = read_id(member)
    return TalkTarget(member_id, origin == _FROM_NUDGE) if member_id is not None else None


async def submit_feedback_form(*, turn: TeamTurn, target: TalkTarget, values: FormValues) -> Reply:
    """Save a talk from the form; from the nudge, the nudge shows it done."""
    copy = turn.copy
    seller = await turn.seller(target.member_id)
    note = str(values.get("note") or "").strip()
    try:
        kind = FeedbackKind(str(values.get("kind") or ""))
    except ValueError:
        return Reply(form_errors={"kind": copy("feedback.bad_kind")})
    if len(note) > NOTE_MAX:
        return Reply(
            form_errors={"note": copy("errors.note_too_long", length=len(note), max=NOTE_MAX)}
        )
    return await _save(turn, seller, kind, note, from_nudge=target.from_nudge)


async def set_cadence(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`cadence @seller daily|twice-weekly|weekly|biweekly`."""
    copy = turn.copy
    if line.mention(0) is None:
        return text_reply(copy.text("usage.cadence"))
    seller = await _seller(turn, line.mention(0))
    word = line.arg(1)
    cadence = Cadence.parse(word)
    if cadence is None:
        return text_reply(copy("feedback.bad_cadence", value=word[:40]))
    seller.cadence = cadence
    return text_reply(
        copy("feedback.cadence_set", name=seller.display_name, cadence=copy.cadence(cadence))
    )


HABIT = Habit(
    name="feedback",
    commands=(
        TeamCommand(("feedback",), "help.feedback", log_feedback, role=Role.LEADER, private=True),
        TeamCommand(("cadence",), "help.cadence", set_cadence, role=Role.LEADER, private=True),
    ),
    buttons=(
        ButtonSpec(
            LOG_ACTION, _read_log_button, open_feedback_form, Role.LEADER, "feedback.seller_gone"
        ),
    ),
    forms=(
        FormSpec(
            FORM, _read_form, submit_feedback_form, Role.LEADER, "feedback.seller_gone", once=True
        ),
    ),
)
