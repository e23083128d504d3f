"""`team set`: a leader changes one team setting at a time, each value checked before it is kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pepptalk.core.calendar import (
    DAY_NAMES,
    parse_country,
    parse_days,
    parse_time,
    parse_timezone,
    workdays_of,
)
from pepptalk.core.i18n import LANGUAGES, Copy, copy_for
from pepptalk.core.kinds import Role
from pepptalk.core.mentions import ChannelMention, read_channel
from pepptalk.core.messages import Message, Paragraph, Reply, Text, text_reply
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import Habit, TeamCommand, TeamTurn
from pepptalk.handlers.meeting_days import DRAFT_AT, draft_day, next_meeting
from pepptalk.store.models import Team

V = TypeVar("V")
Apply = Callable[[Team, str], bool]


def _parsed(parse: Callable[[str], V | None], keep: Callable[[Team, V], None]) -> Apply:
    """A setting that is kept when `parse` understands the text."""

    def apply(team: Team, text: str) -> bool:
        value = parse(text)
        if value is None:
            return False
        keep(team, value)
        return True

    return apply


def _yes_no(text: str) -> bool | None:
    word = text.strip().lower()
    if word in ("yes", "y", "true", "on", "ja", "j"):
        return True
    if word in ("no", "n", "false", "off", "nei", "nej"):
        return False
    return None


def _meeting(text: str) -> str | None:
    parts = text.lower().split()
    if len(parts) != 2 or parts[0][:3] not in DAY_NAMES or len(parts[0]) < 3:
        return None
    at = parse_time(parts[1])
    return f"{parts[0][:3]} {at}" if at else None


def _language(text: str) -> str | None:
    word = text.strip().lower()
    return word if word in LANGUAGES else None


def _days(text: str) -> str | None:
    days = parse_days(text)
    return ",".join(days) if days else None


def _country(text: str) -> str | None:
    # "none" clears it: kept as NULL below.
    return "" if text.strip().lower() == "none" else parse_country(text)


def _keep_checkin(team: Team, value: str) -> None:
    team.checkin_time = value


def _keep_days(team: Team, value: str) -> None:
    team.workdays = value


def _keep_timezone(team: Team, value: str) -> None:
    team.timezone = value


def _keep_language(team: Team, value: str) -> None:
    team.language = value


def _keep_country(team: Team, value: str) -> None:
    team.country = value or None


def _keep_channel(team: Team, value: ChannelMention) -> None:
    team.channel_id, team.channel_name = value.channel_id, value.name


def _keep_meeting(team: Team, value: str) -> None:
    team.meeting = value


def _keep_digest(team: Team, value: str) -> None:
    team.digest = value


def _keep_pulse(team: Team, value: bool) -> None:
    team.pulse = value


def _keep_sells(team: Team, value: bool) -> None:
    team.leader_sells = value


def _numbers(text: str) -> bool | None:
    word = text.strip().lower()
    return {"team": False, "sellers": True}.get(word)


def _keep_numbers(team: Team, value: bool) -> None:
    team.numbers_per_seller = value


@dataclass(frozen=True)
class Setting:
    """One `team set` key: its label, how its value is read and kept, and the error when bad."""

    label: str
    apply: Apply
    error: str
    # What the change means for the team, said after "Saved." (None: nothing to add).
    then: Callable[[TeamTurn], Text | None] | None = None


def _meeting_then(turn: TeamTurn) -> Text | None:
    meeting_on = next_meeting(turn.team, turn.now)
    if meeting_on is None:
        return None
    copy = copy_for(turn.team.language)
    draft_on = draft_day(turn.team, turn.member, meeting_on)
    where = turn.team.channel_name or ""
    key = "team.meeting_then" if where else "team.meeting_then_no_channel"
    return copy.text(key, day=copy.day(draft_on), time=DRAFT_AT, channel=where)


SETTINGS: dict[str, Setting] = {
    "checkin": Setting("team.checkin", _parsed(parse_time, _keep_checkin), "errors.bad_time"),
    "days": Setting("team.days", _parsed(_days, _keep_days), "errors.bad_days"),
    "timezone": Setting(
        "team.timezone", _parsed(parse_timezone, _keep_timezone), "errors.bad_timezone"
    ),
    "language": Setting("team.language", _parsed(_language, _keep_language), "errors.bad_language"),
    "country": Setting("team.country", _parsed(_country, _keep_country), "errors.bad_country"),
    "channel": Setting("team.channel", _parsed(read_channel, _keep_channel), "errors.bad_channel"),
    "meeting": Setting(
        "team.meeting", _parsed(_meeting, _keep_meeting), "errors.bad_meeting", _meeting_then
    ),
    "sells": Setting("team.sells", _parsed(_yes_no, _keep_sells), "errors.bad_yes_no"),
    "numbers": Setting("team.numbers", _parsed(_numbers, _keep_numbers), "errors.bad_numbers"),
    "digest": Setting("team.digest", _parsed(_meeting, _keep_digest), "errors.bad_digest"),
    "pulse": Setting("team.pulse", _parsed(_yes_no, _keep_pulse), "errors.bad_on_off"),
}


async def change_setting(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team set <key> <value>`: change one team setting after checking the value."""
    copy, team = turn.copy, turn.team
    key, value = line.arg(0), line.rest(1)
    if not key:
        # `team set` and nothing more: what can be set, and how.
        return text_reply(copy.text("help.team_set"))
    setting = SETTINGS.get(key.lower())
    if setting is None:
        return text_reply(copy("errors.bad_setting", value=key[:40], settings=", ".join(SETTINGS)))
    if not value.strip():
        return text_reply(copy.text("usage.team_set", setting=key.lower()))
    if not setting.apply(team, value):
        return text_reply(copy(setting.error, value=value[:60]))
    # Answer in the new language when the language is what changed.
    copy = copy_for(team.language)
    shown = setting_text(copy, team, key.lower())
    said = copy("team.setting_saved", setting=copy(setting.label), value=shown)
    then = setting.then(turn) if setting.then else None
    blocks = (Paragraph(said),) if then is None else (Paragraph(said), Paragraph(then))
    return Reply(message=Message(summary=said, blocks=blocks))


def setting_text(copy: Copy, team: Team, key: str) -> str:
    """A team setting's current value, as people read it."""
    if key == "checkin":
        return team.checkin_time
    if key == "days":
        return describe_days(copy, workdays_of(team))
    if key == "timezone":
        return team.timezone
    if key == "language":
        return copy.language_name(team.language)
    if key == "country":
        return team.country or copy("team.country_none")
    if key == "channel":
        return f"#{team.channel_name}" if team.channel_id else copy("team.not_set")
    if key == "meeting":
        if not team.meeting:
            return copy("team.not_set")
        day, at = team.meeting.split()
        return f"{copy(f'days.{day}')} {at}"
    if key == "digest":
        day, at = team.digest.split()
        return f"{copy(f'days.{day}')} {at}"
    if key == "pulse":
        return copy("team.on" if team.pulse else "team.off")
    if key == "numbers":
        return copy("team.numbers_sellers" if team.numbers_per_seller else "team.numbers_team")
    if team.leader_sells is None:
        return copy("team.not_set")
    return copy("team.yes") if team.leader_sells else copy("team.no")


def describe_days(copy: Copy, days: tuple[str, ...]) -> str:
    """Workdays for people: "Mon–Fri" for a run, else a list."""
    indexes = [DAY_NAMES.index(day) for day in days]
    names = [copy(f"days.{day}") for day in days]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


HABIT = Habit(
    name="settings",
    commands=(TeamCommand(("team", "set"), "help.team_set", change_setting, role=Role.LEADER),),
)
