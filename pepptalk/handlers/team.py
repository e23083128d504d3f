"""Team setup: create a team, add and remove sellers, change settings, show it all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from pepptalk.handlers.calendar import (
    COUNTRY_OF_ZONE,
    DAY_NAMES,
    parse_country,
    parse_days,
    parse_time,
    parse_timezone,
    workdays_of,
)
from pepptalk.handlers.i18n import LANGUAGES, Copy, copy_for
from pepptalk.handlers.messages import (
    Block,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    text_reply,
)
from pepptalk.handlers.models import LEADER, SELLER, Team
from pepptalk.handlers.ports import Actor, Chat, UserProfile
from pepptalk.handlers.store import Membership, Store

NAME_MAX = 80
# Platforms hand channel mentions over as <#ID> or <#ID|name>.
CHANNEL_MENTION = re.compile(r"^<#([A-Za-z0-9_:.@-]+)(?:\|([^>]*))?>$")


@dataclass(frozen=True)
class Mention:
    """A person named in a command: their id, or the raw word when it was not a real mention."""

    user_id: str | None
    raw: str


def describe_days(copy: Copy, days: tuple[str, ...]) -> str:
    """Workdays for people: "Mon–Fri" for a run, else a list."""
    indexes = [DAY_NAMES.index(day) for day in days]
    names = [copy(f"days.{day}") for day in days]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


async def create_team(*, store: Store, chat: Chat, actor: Actor, name: str, now: datetime) -> Reply:
    """Start a team with the person asking as its leader."""
    copy = copy_for("en")
    seat = await store.membership(actor.workspace_id, actor.user_id)
    if seat is not None:
        return text_reply(copy_for(seat.team.language)("team.already_member", team=seat.team.name))
    name = " ".join(name.split())
    if not name:
        return text_reply(copy("team.name_missing"))
    if len(name) > NAME_MAX:
        return text_reply(copy("team.name_too_long", max=NAME_MAX))
    if await store.team_named(actor.workspace_id, name) is not None:
        return text_reply(copy("team.name_taken", team=name))
    profile = await chat.find_user(
        platform=actor.platform, workspace_id=actor.workspace_id, user_id=actor.user_id
    )
    leader = profile or UserProfile(user_id=actor.user_id, name=actor.user_id)
    timezone = parse_timezone(leader.timezone or "") or "Europe/Oslo"
    seat = await store.create_team(
        workspace_id=actor.workspace_id,
        platform=actor.platform,
        name=name,
        leader=leader,
        timezone=timezone,
        country=COUNTRY_OF_ZONE.get(timezone),
        now=now,
    )
    team = seat.team
    next_steps = copy(
        "team.next_steps",
        time=team.checkin_time,
        days=describe_days(copy, workdays_of(team)),
        timezone=team.timezone,
    )
    return text_reply(f"{copy('team.created', team=team.name)} {next_steps}")


async def add_sellers(
    *, store: Store, chat: Chat, seat: Membership, mentions: list[Mention], now: datetime
) -> Reply:
    """Add the mentioned people to the leader's team as sellers."""
    copy = copy_for(seat.team.language)
    if not mentions:
        return text_reply(copy("errors.no_mentions"))
    problems: list[str] = []
    welcome: dict[str, UserProfile] = {}
    for mention in mentions:
        if mention.user_id is None:
            problems.append(copy("team.unknown_user", mention=mention.raw))
            continue
        profile = await chat.find_user(
            platform=seat.team.platform,
            workspace_id=seat.team.workspace_id,
            user_id=mention.user_id,
        )
        if profile is None:
            problems.append(copy("team.unknown_user", mention=mention.raw))
        elif profile.is_bot:
            problems.append(copy("team.is_bot", name=profile.name))
        elif (other := await store.membership(seat.team.workspace_id, profile.user_id)) is not None:
            key = "team.already_here" if other.team.id == seat.team.id else "team.already_in_team"
            problems.append(copy(key, name=profile.name, team=other.team.name))
        else:
            welcome[profile.user_id] = profile
    if welcome:
        await store.add_sellers(team=seat.team, people=list(welcome.values()), now=now)
        names = copy.join([p.name for p in welcome.values()])
        problems.insert(0, copy("team.added", names=names, time=seat.team.checkin_time))
    return text_reply(" ".join(problems))


async def remove_sellers(
    *, store: Store, seat: Membership, mentions: list[Mention], now: datetime
) -> Reply:
    """Take the mentioned sellers out of the leader's team."""
    copy = copy_for(seat.team.language)
    if not mentions:
        return text_reply(copy("errors.usage", usage="/pepptalk team remove @name"))
    members = {m.user_id: m for m in await store.members(seat.team.id)}
    lines: list[str] = []
    for mention in mentions:
        member = members.get(mention.user_id or "")
        if member is None:
            lines.append(copy("team.not_in_team", name=mention.raw))
        elif member.role == LEADER:
            lines.append(copy("team.cannot_remove_leader"))
        else:
            await store.remove_member(member_id=member.id, now=now)
            lines.append(copy("team.removed", name=member.display_name, team=seat.team.name))
    return text_reply(" ".join(lines))


def _yes_no(text: str) -> dict[str, object] | None:
    word = text.strip().lower()
    if word in ("yes", "y", "true", "on", "ja", "j"):
        return {"leader_sells": True}
    if word in ("no", "n", "false", "off", "nei", "nej"):
        return {"leader_sells": False}
    return None


def _meeting(text: str) -> dict[str, object] | None:
    parts = text.lower().split()
    if len(parts) != 2 or parts[0][:3] not in DAY_NAMES or len(parts[0]) < 3:
        return None
    at = parse_time(parts[1])
    return {"meeting": f"{parts[0][:3]} {at}"} if at else None


def _channel(text: str) -> dict[str, object] | None:
    match = CHANNEL_MENTION.match(text.strip())
    if not match:
        return None
    return {"channel_id": match.group(1), "channel_name": (match.group(2) or match.group(1))[:80]}


def _one(
    column: str, parse: Callable[[str], str | None]
) -> Callable[[str], dict[str, object] | None]:
    def parse_into(text: str) -> dict[str, object] | None:
        value = parse(text)
        return None if value is None else {column: value or None}

    return parse_into


def _language(text: str) -> str | None:
    word = text.strip().lower()
    return word if word in LANGUAGES else None


def _days(text: str) -> str | None:
    days = parse_days(text)
    return ",".join(days) if days else None


def _country(text: str) -> str | None:
    # "none" clears it: an empty string is stored as NULL by _one.
    return "" if text.strip().lower() == "none" else parse_country(text)


@dataclass(frozen=True)
class Setting:
    """One `team set` key: its label, how to read the value into columns, and the error when bad."""

    label: str
    parse: Callable[[str], dict[str, object] | None]
    error: str


SETTINGS: dict[str, Setting] = {
    "checkin": Setting("team.checkin", _one("checkin_time", parse_time), "errors.bad_time"),
    "days": Setting("team.days", _one("workdays", _days), "errors.bad_days"),
    "timezone": Setting("team.timezone", _one("timezone", parse_timezone), "errors.bad_timezone"),
    "language": Setting("team.language", _one("language", _language), "errors.bad_language"),
    "country": Setting("team.country", _one("country", _country), "errors.bad_country"),
    "channel": Setting("team.channel", _channel, "errors.bad_channel"),
    "meeting": Setting("team.meeting", _meeting, "errors.bad_meeting"),
    "sells": Setting("team.sells", _yes_no, "errors.bad_yes_no"),
}


async def change_setting(*, store: Store, seat: Membership, key: str, value: str) -> Reply:
    """`team set <key> <value>`: change one team setting after checking the value."""
    copy = copy_for(seat.team.language)
    setting = SETTINGS.get(key.lower())
    if setting is None:
        return text_reply(copy("errors.bad_setting", value=key[:40], settings=", ".join(SETTINGS)))
    if not value.strip():
        return text_reply(copy("errors.usage", usage=f"/pepptalk team set {key.lower()} …"))
    columns = setting.parse(value)
    if columns is None:
        return text_reply(copy(setting.error, value=value[:60]))
    await store.update_team(seat.team.id, **columns)
    for column, stored in columns.items():
        setattr(seat.team, column, stored)
    # Answer in the new language when the language is what changed.
    copy = copy_for(seat.team.language)
    shown = setting_text(copy, seat.team, key.lower())
    return text_reply(copy("team.setting_saved", setting=copy(setting.label), value=shown))


def setting_text(copy: Copy, team: Team, key: str) -> str:
    """A team setting's current value, as people read it."""
    if key == "checkin":
        return team.checkin_time
    if key == "days":
        return describe_days(copy, workdays_of(team))
    if key == "timezone":
        return team.timezone
    if key == "language":
        return team.language
    if key == "country":
        return team.country or copy("team.country_none")
    if key == "channel":
        return f"#{team.channel_name}" if team.channel_id else copy("team.not_set")
    if key == "meeting":
        if not team.meeting:
            return copy("team.not_set")
        day, at = team.meeting.split()
        return f"{copy(f'days.{day}')} {at}"
    if team.leader_sells is None:
        return copy("team.not_set")
    return copy("team.yes") if team.leader_sells else copy("team.no")


async def show_team(*, store: Store, seat: Membership, now: datetime) -> Reply:
    """`/pepptalk team`: who is in the team and how it is set up."""
    team = seat.team
    copy = copy_for(team.language)
    members = await store.members(team.id)
    today = now.date()
    leaders = [m.display_name for m in members if m.role == LEADER]
    sellers = [
        _seller_line(copy, m.display_name, m.paused, m.paused_until, today)
        for m in members
        if m.role == SELLER
    ]
    blocks: list[Block] = [
        Heading(copy("team.heading", team=team.name)),
        Fields(
            (
                (copy("team.leaders"), copy.join(leaders)),
                (copy("team.sellers"), copy.join(sellers) if sellers else copy("team.no_sellers")),
            )
        ),
        Fields(
            (
                (copy("team.checkin"), setting_text(copy, team, "checkin")),
                (
                    copy("team.summary"),
                    copy("team.summary_after", minutes=team.summary_delay_minutes),
                ),
                (copy("team.days"), setting_text(copy, team, "days")),
                (copy("team.timezone"), setting_text(copy, team, "timezone")),
                (copy("team.language"), setting_text(copy, team, "language")),
                (copy("team.country"), setting_text(copy, team, "country")),
                (copy("team.channel"), setting_text(copy, team, "channel")),
                (copy("team.meeting"), setting_text(copy, team, "meeting")),
                (copy("team.sells"), setting_text(copy, team, "sells")),
            )
        ),
    ]
    if not sellers:
        blocks.append(Note(copy("team.no_sellers")))
    return Reply(
        message=Message(summary=copy("team.heading", team=team.name), blocks=tuple(blocks))
    )


def _seller_line(copy: Copy, name: str, paused: bool, until: date | None, today: date) -> str:
    if not paused or (until is not None and until < today):
        return name
    if until is None:
        return copy("team.paused", name=name)
    return copy("team.paused_until", name=name, date=copy.short_date(until))


def help_message(*, seat: Membership | None) -> Reply:
    """`/pepptalk help`: what this person can do, by their role."""
    return Reply(message=help_card(seat=seat))


def help_card(*, seat: Membership | None) -> Message:
    """What this person can do, by their role, as a message."""
    copy = copy_for(seat.team.language if seat else "en")
    if seat is None:
        intro, keys = copy("help.intro_none"), ["cmd_team_create", "cmd_help"]
    elif seat.is_leader:
        intro = copy("help.intro_leader", team=seat.team.name)
        keys = [
            "cmd_team",
            "cmd_team_add",
            "cmd_team_remove",
            "cmd_team_set",
            "cmd_checkin_leader",
            "cmd_feedback",
            "cmd_cadence",
            "cmd_seen",
            "cmd_help",
        ]
    else:
        intro = copy("help.intro_seller", team=seat.team.name)
        keys = [
            "cmd_checkin_seller",
            "cmd_note",
            "cmd_win",
            "cmd_pause",
            "cmd_resume",
            "cmd_team",
            "cmd_help",
        ]
    blocks: list[Block] = [Heading(copy("help.title")), Paragraph(intro)]
    blocks.extend(Paragraph(f"/pepptalk {copy(f'help.{key}')}") for key in keys)
    return Message(summary=copy("help.title"), blocks=tuple(blocks))
