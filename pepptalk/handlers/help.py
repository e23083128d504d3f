"""`help`: what this person can do, from the registry's own list of commands."""

from __future__ import annotations

from pepptalk.core.kinds import Role
from pepptalk.core.messages import Block, Heading, Message, Paragraph, Reply
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import AnyCommand, Habit, OpenCommand, Turn


def _listed(command: AnyCommand, role: Role | None) -> bool:
    if isinstance(command, OpenCommand):
        return role is None or not command.for_newcomers
    return role is not None and command.role in (None, role)


def help_card(turn: Turn) -> Message:
    """The commands this person can use, by their role, as a message."""
    copy, seat = turn.copy, turn.seat
    if seat is None:
        intro = copy("help.intro_none")
    elif seat.is_leader:
        intro = copy("help.intro_leader", team=seat.team.name)
    else:
        intro = copy("help.intro_seller", team=seat.team.name)
    role = seat.member.role if seat else None
    blocks: list[Block] = [Heading(copy("help.title")), Paragraph(intro)]
    blocks.extend(Paragraph(copy.text(c.help)) for c in turn.commands if _listed(c, role))
    return Message(summary=copy("help.title"), blocks=tuple(blocks))


async def show_help(*, turn: Turn, line: CommandLine) -> Reply:
    """`help`: what this person can do, by their role."""
    return Reply(message=help_card(turn))


HABIT = Habit(name="help", commands=(OpenCommand(("help",), "help.help", show_help),))
