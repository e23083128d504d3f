"""Pausing check-ins for a holiday or leave, and coming back."""

from __future__ import annotations

from datetime import date

from pepptalk.core.messages import Reply, text_reply
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import Habit, TeamCommand, TeamTurn


async def pause_checkins(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`pause [until YYYY-MM-DD]`: no check-ins until the date (inclusive), or until `resume`."""
    copy, args = turn.copy, line.args
    last_day: date | None = None
    if args:
        if len(args) != 2 or args[0].lower() != "until":
            return text_reply(copy.text("usage.pause"))
        try:
            last_day = date.fromisoformat(args[1])
        except ValueError:
            return text_reply(copy("errors.bad_date", value=args[1][:40]))
        if last_day < turn.today:
            return text_reply(copy("pause.date_in_past", date=copy.short_date(last_day)))
    turn.member.paused, turn.member.paused_until = True, last_day
    # A leader's pause holds their summaries and nudges; a co-leader still gets theirs.
    if last_day is None:
        return text_reply(
            copy.text("pause.leader_paused" if turn.is_leader else "pause.seller_paused")
        )
    key = "pause.leader_paused_until" if turn.is_leader else "pause.seller_paused_until"
    return text_reply(copy(key, date=copy.short_date(last_day)))


async def resume_checkins(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`resume`: check-ins start again from the next workday."""
    member = turn.member
    was_paused = member.paused and (
        member.paused_until is None or member.paused_until >= turn.today
    )
    member.paused, member.paused_until = False, None
    return text_reply(turn.copy("pause.resumed" if was_paused else "pause.not_paused"))


HABIT = Habit(
    name="pause",
    commands=(
        TeamCommand(("pause",), "help.pause", pause_checkins),
        TeamCommand(("resume",), "help.resume", resume_checkins),
    ),
)
