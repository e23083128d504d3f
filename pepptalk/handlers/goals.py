"""Goals a leader sets in Pepptalk, for the team or one seller: `team set goal calls 60/day`.
A goal in Pepptalk wins over none; the CRM's wins over Pepptalk's unless the leader says
`team set goals pepptalk`. The CRM sync spreads each goal over the seller's workdays."""

from __future__ import annotations

import re

from pepptalk.core.crm import GoalPeriod
from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Role
from pepptalk.core.messages import Message, Paragraph, Reply, text_reply
from pepptalk.handlers.crm_figures import METRICS
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import Habit, TeamCommand, TeamTurn
from pepptalk.handlers.metrics import read_number
from pepptalk.handlers.preread import metric_name

# "60/day", "12 / week", "250 000/month", "60/dag", "12/uke", "250000/månad".
_GOAL = re.compile(r"^\s*([\d\s.,\u00a0]+?)\s*(?:/|per\s+)\s*(\w+)\s*$", re.IGNORECASE)
PERIODS = {
    GoalPeriod.DAY: ("day", "dag", "d"),
    GoalPeriod.WEEK: ("week", "uke", "vecka", "uge", "w", "wk"),
    GoalPeriod.MONTH: ("month", "måned", "månad", "maned", "manad", "mnd", "mån", "m"),
}


def read_goal(text: str) -> tuple[float, GoalPeriod] | None:
    """A goal as typed: a number and its period; None when it is not one."""
    found = _GOAL.match(text)
    if found is None:
        return None
    value = read_number(found.group(1))
    if value is None:
        return None
    word = found.group(2).lower()
    period = next((p for p, words in PERIODS.items() if word in words), None)
    if period is None or not 0 < value < 1e12:
        return None
    return value, period


def _said(text: str) -> Reply:
    return Reply(message=Message(summary=text, blocks=(Paragraph(text),)))


def goal_text(copy: Copy, value: float, period: GoalPeriod) -> str:
    """A goal as people read it: "60 a day"."""
    return copy(f"goals.per_{period.value}", value=copy.number(value))


async def set_goal(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team set goal <metric> <n>/<period> [@seller]` (or `off`): a goal kept in Pepptalk."""
    copy = turn.copy
    mentions = [m for m in line.mentions() if m.user_id is not None]
    args = [m.raw for m in line.mentions() if m.user_id is None]
    metric = args[0].lower() if args else ""
    if metric not in METRICS or len(mentions) > 1:
        return text_reply(copy.text("usage.team_set_goal", metrics=", ".join(METRICS)))
    seller = None
    if mentions:
        seller = await turn.uow.teams.seller(turn.team.id, user_id=mentions[0].user_id or "")
        if seller is None:
            return text_reply(copy("goals.not_a_seller"))
    rest = " ".join(args[1:])
    off = rest.strip().lower() == "off"
    goal = None if off else read_goal(rest)
    if goal is None and not off:
        return text_reply(copy.text("usage.team_set_goal", metrics=", ".join(METRICS)))
    await turn.uow.crm.set_goal(
        workspace_id=turn.team.workspace_id,
        team_id=turn.team.id,
        member_id=seller.id if seller else None,
        metric=metric,
        period=goal[1] if goal else GoalPeriod.DAY,
        value=goal[0] if goal else None,
        now=turn.now,
    )
    who = seller.display_name if seller else turn.team.name
    name = metric_name(copy, metric)
    if goal is None:
        return _said(copy("goals.cleared", metric=name, who=who))
    return _said(copy("goals.saved", metric=name, who=who, goal=goal_text(copy, *goal)))


async def set_goal_order(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team set goals crm|pepptalk`: whose goals win when both the CRM and Pepptalk have one."""
    copy = turn.copy
    word = line.arg(0).lower()
    if word not in ("crm", "pepptalk"):
        return text_reply(copy.text("usage.team_set_goals"))
    connection = await turn.uow.crm.of_team(turn.team.id)
    if connection is None:
        return text_reply(copy("goals.no_crm"))
    connection.own_goals_first = word == "pepptalk"
    return _said(copy("goals.pepptalk_first" if word == "pepptalk" else "goals.crm_first"))


HABIT = Habit(
    name="goals",
    commands=(
        TeamCommand(("team", "set", "goal"), "help.team_set_goal", set_goal, role=Role.LEADER),
        TeamCommand(
            ("team", "set", "goals"), "help.team_set_goals", set_goal_order, role=Role.LEADER
        ),
    ),
)
