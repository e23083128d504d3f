"""`help`: the five things this person uses most, each shown in real use; `help all`: everything
they can use, by habit; and a "did you mean" for a command typed a slip away from one."""

from __future__ import annotations

from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Role
from pepptalk.core.messages import (
    Block,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    joined,
    text_reply,
)
from pepptalk.handlers.grammar import CommandLine, nearest
from pepptalk.handlers.habit import AnyCommand, Habit, OpenCommand, Section, Turn

# The five each person uses most, in the order they come to need them: the one place that says
# so (each key shows the command in real use, and what it does). A seller's are the morning and
# what they bring to the meeting; a leader's are seeing each seller and the weekly rhythm. Someone
# with no team has come to start one (a seller is added by their leader): theirs are the first
# steps, the commands they can use once `team create` has made them a leader.
TOP: dict[Role | None, tuple[str, ...]] = {
    Role.SELLER: (
        "help.seller_checkin",
        "help.seller_note",
        "help.seller_win",
        "help.seller_topic",
        "help.seller_pause",
    ),
    Role.LEADER: (
        "help.leader_checkin",
        "help.leader_seen",
        "help.leader_feedback",
        "help.leader_agenda",
        "help.leader_digest",
    ),
    None: (
        "help.start_create",
        "help.start_add",
        "help.start_channel",
        "help.start_meeting",
        "help.start_language",
    ),
}


def usable(command: AnyCommand, role: Role | None) -> bool:
    """Whether someone of `role` (None: in no team) can use the command, so help lists it."""
    if isinstance(command, OpenCommand):
        return role is None or not command.for_newcomers
    return role is not None and command.role in (None, role)


def _role(turn: Turn) -> Role | None:
    return turn.seat.member.role if turn.seat else None


def _intro(turn: Turn) -> str:
    copy, seat = turn.copy, turn.seat
    if seat is None:
        return copy("help.intro_none")
    key = "help.intro_leader" if seat.is_leader else "help.intro_seller"
    return copy(key, team=seat.team.name)


def help_card(turn: Turn) -> Message:
    """The five things this person uses most, and how to see the rest, as a message."""
    copy, role = turn.copy, _role(turn)
    blocks: list[Block] = [Heading(copy("help.title"))]
    if turn.seat is None:
        blocks += [Paragraph(_intro(turn)), Paragraph(copy("help.start"))]
    else:
        blocks.append(Paragraph(joined(_intro(turn), copy("help.top"))))
    blocks.extend(Paragraph(copy.text(key)) for key in TOP[role])
    if turn.seat is None:
        blocks.append(Note(copy("help.joining")))
    blocks.append(Paragraph(copy.text("help.more")))
    return Message(summary=copy("help.title"), blocks=tuple(blocks))


def _section(copy: Copy, section: Section) -> str:
    return copy(f"help.section_{section.value}")


def full_card(turn: Turn) -> Message:
    """Every command this person can use, under the habit it belongs to, as a message."""
    copy, role = turn.copy, _role(turn)
    blocks: list[Block] = [Heading(copy("help.title_all")), Paragraph(_intro(turn))]
    listed = [c for c in turn.commands if usable(c, role)]
    for section in Section:
        lines = [c.help for c in listed if (c.section or Section.MORE) is section]
        if lines:
            blocks.append(Heading(_section(copy, section)))
            blocks.extend(Paragraph(copy.text(line)) for line in lines)
    return Message(summary=copy("help.title_all"), blocks=tuple(blocks))


def suggestion(turn: Turn, words: list[str], known: int = 0) -> Reply | None:
    """A "did you mean" when the typed words are a slip away from a command this person can
    use; `known`: how many of them already name a command (`team` of `team ad`)."""
    if len(words) <= known:
        return None
    role = _role(turn)
    meant = nearest(words, (c.words for c in turn.commands if usable(c, role)))
    # Words that already name a command stay as typed: only what follows them can be a slip.
    kept = tuple(w.lower() for w in words[:known])
    if meant is None or len(meant) <= known or meant[:known] != kept:
        return None
    typed = " ".join(words[: len(meant)])[:40]
    return text_reply(turn.copy.text("errors.did_you_mean", word=typed, command=" ".join(meant)))


async def show_help(*, turn: Turn, line: CommandLine) -> Reply:
    """`help`: the five things this person uses most."""
    return Reply(message=help_card(turn))


async def show_all(*, turn: Turn, line: CommandLine) -> Reply:
    """`help all`: everything this person can use, by habit."""
    return Reply(message=full_card(turn))


HABIT = Habit(
    name="help",
    commands=(
        OpenCommand(("help",), "help.help", show_help),
        OpenCommand(("help", "all"), "help.help_all", show_all),
    ),
)
