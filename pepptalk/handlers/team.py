"""Team setup: create a team, add and remove sellers, share its lead, and show it all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from pepptalk.core.calendar import country_of_zone, parse_timezone, workdays_of
from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Role
from pepptalk.core.messages import (
    Block,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    joined,
    text_reply,
)
from pepptalk.core.ports import UserProfile
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import Habit, OpenCommand, TeamCommand, TeamTurn, Turn
from pepptalk.handlers.people import find, shown
from pepptalk.handlers.settings import describe_days, setting_text
from pepptalk.handlers.welcome import greet_button, welcome_deliveries
from pepptalk.store.models import Member

NAME_MAX = 80


async def create_team(*, turn: Turn, line: CommandLine) -> Reply:
    """`team create <name>`: start a team with the person asking as its leader."""
    copy = turn.copy
    if turn.seat is not None:
        return text_reply(copy("team.already_member", team=turn.seat.team.name))
    name = " ".join(line.rest().split())
    if not name:
        return text_reply(copy.text("team.name_missing"))
    if len(name) > NAME_MAX:
        return text_reply(copy("team.name_too_long", max=NAME_MAX))
    actor = turn.actor
    if await turn.uow.teams.named(actor.workspace_id, name) is not None:
        return text_reply(copy("team.name_taken", team=name))
    profile = await turn.chat.find_user(
        platform=actor.platform, workspace_id=actor.workspace_id, user_id=actor.user_id
    )
    leader = profile or UserProfile(user_id=actor.user_id, name=actor.user_id)
    timezone = parse_timezone(leader.timezone or "") or "Europe/Oslo"
    seat = await turn.uow.teams.create(
        workspace_id=actor.workspace_id,
        platform=actor.platform,
        name=name,
        leader=leader,
        timezone=timezone,
        country=country_of_zone(timezone),
        now=turn.now,
    )
    team = seat.team
    next_steps = copy.text(
        "team.next_steps",
        time=team.checkin_time,
        days=describe_days(copy, workdays_of(team)),
        timezone=team.timezone,
    )
    return text_reply(joined(copy.text("team.created", team=team.name), next_steps))


async def add_sellers(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team add @a @b`: add the mentioned people to the leader's team as sellers."""
    copy, team = turn.copy, turn.team
    mentions = line.mentions()
    if not mentions:
        return text_reply(copy.text("errors.no_mentions"))
    problems: list[str] = []
    welcome: dict[str, UserProfile] = {}
    for mention in mentions:
        profile = None
        if mention.user_id is not None:
            profile = await turn.chat.find_user(
                platform=team.platform, workspace_id=team.workspace_id, user_id=mention.user_id
            )
        if profile is None:
            name = shown(mention, unnamed=copy("team.that_person"))
            problems.append(copy("team.unknown_user", mention=name))
        elif profile.is_bot:
            problems.append(copy("team.is_bot", name=profile.name))
        elif (
            other := await turn.uow.teams.membership(team.workspace_id, profile.user_id)
        ) is not None:
            key = "team.already_here" if other.team.id == team.id else "team.already_in_team"
            problems.append(copy(key, name=profile.name, team=other.team.name))
        else:
            welcome[profile.user_id] = profile
    if not welcome:
        return text_reply(" ".join(problems))
    added = await turn.uow.teams.add_sellers(team=team, people=list(welcome.values()), now=turn.now)
    await turn.uow.outbox.claim(welcome_deliveries(team, added, turn.now))
    names = copy.join([p.name for p in welcome.values()])
    said = " ".join([copy("team.added", names=names, time=team.checkin_time), *problems])
    blocks: list[Block] = [Paragraph(said)]
    greet = greet_button(team, added)
    if greet is not None:
        blocks.append(greet)
    return Reply(message=Message(summary=said, blocks=tuple(blocks)))


async def _each_named(
    turn: TeamTurn, line: CommandLine, usage: str, act: Callable[[Member], Awaitable[str]]
) -> Reply:
    """Do `act` for each member a command names, saying per name what happened (or that the
    person is not in the team)."""
    copy = turn.copy
    mentions = line.mentions()
    if not mentions:
        return text_reply(copy.text(usage))
    members = await turn.uow.teams.members(turn.team.id)
    lines: list[str] = []
    for mention in mentions:
        member = find(members, mention)
        if member is None:
            # The name opens the sentence here, so the stand-in for no name is capitalised.
            name = shown(mention, unnamed=copy("feedback.that_person"))
            lines.append(copy("team.not_in_team", name=name))
        else:
            lines.append(await act(member))
    return text_reply(" ".join(lines))


async def remove_sellers(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team remove @a`: take the mentioned sellers out of the leader's team."""
    copy, team = turn.copy, turn.team

    async def remove(member: Member) -> str:
        if member.role is Role.LEADER:
            return copy("team.cannot_remove_leader")
        member.removed_at = turn.now
        # Nothing more should go out to someone who has left.
        await turn.uow.outbox.skip_pending_for(member.id, reason="member removed")
        return copy("team.removed", name=member.display_name, team=team.name)

    return await _each_named(turn, line, "usage.team_remove", remove)


async def make_leaders(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team lead @a`: a member of the team becomes one of its leaders, so the team can be
    led together or handed over (a leader alone cannot leave it, nor erase their data)."""
    copy, team = turn.copy, turn.team

    async def lead(member: Member) -> str:
        if member.role is Role.LEADER:
            return copy("team.already_leader", name=member.display_name)
        member.role = Role.LEADER
        # A leader is not checked in with: what was queued for them as a seller stops.
        await turn.uow.outbox.skip_pending_for(member.id, reason="became a leader")
        return copy("team.made_leader", name=member.display_name, team=team.name)

    return await _each_named(turn, line, "usage.team_lead", lead)


async def show_team(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team`: who is in the team and how it is set up."""
    team, copy = turn.team, turn.copy
    if line.args:
        return text_reply(copy.text("errors.unknown_command", word=f"team {line.arg(0)[:40]}"))
    members = await turn.uow.teams.members(team.id)
    today = turn.now.date()
    leaders = [m.display_name for m in members if m.role is Role.LEADER]
    sellers = [
        _seller_line(copy, m.display_name, m.paused, m.paused_until, today)
        for m in members
        if m.role is Role.SELLER
    ]
    settings = (
        "checkin",
        "days",
        "timezone",
        "language",
        "country",
        "channel",
        "meeting",
        "sells",
        "numbers",
        "digest",
        "pulse",
    )
    pairs = [(copy(f"team.{key}"), setting_text(copy, team, key)) for key in settings]
    summary = (copy("team.summary"), copy("team.summary_after", minutes=team.summary_delay_minutes))
    pairs.insert(1, summary)
    blocks: list[Block] = [
        Heading(copy("team.heading", team=team.name)),
        Fields(
            (
                (copy("team.leaders"), copy.join(leaders)),
                (copy("team.sellers"), copy.join(sellers) if sellers else copy("team.no_sellers")),
            )
        ),
        Fields(tuple(pairs)),
    ]
    if not sellers:
        blocks.append(Note(copy.text("team.no_sellers")))
    return Reply(
        message=Message(summary=copy("team.heading", team=team.name), blocks=tuple(blocks))
    )


def _seller_line(copy: Copy, name: str, paused: bool, until: date | None, today: date) -> str:
    if not paused or (until is not None and until < today):
        return name
    if until is None:
        return copy("team.paused", name=name)
    return copy("team.paused_until", name=name, date=copy.short_date(until))


HABIT = Habit(
    name="team",
    commands=(
        OpenCommand(("team", "create"), "help.team_create", create_team, for_newcomers=True),
        TeamCommand(("team",), "help.team", show_team),
        TeamCommand(("team", "add"), "help.team_add", add_sellers, role=Role.LEADER),
        TeamCommand(("team", "remove"), "help.team_remove", remove_sellers, role=Role.LEADER),
        TeamCommand(("team", "lead"), "help.team_lead", make_leaders, role=Role.LEADER),
    ),
)
