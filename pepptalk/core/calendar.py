"""Days, times and zones: when a team works, and what the settings values mean."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol
from zoneinfo import TZPATH, ZoneInfo, available_timezones

import holidays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIMEZONE = "Europe/Oslo"
# If the server was down at a scheduled time, it still sends for this long after, never later.
CATCH_UP = timedelta(hours=3)


class TeamCalendar(Protocol):
    """What the calendar needs to know of a team."""

    @property
    def workdays(self) -> str:
        """Comma-separated day names ("mon,tue,wed")."""
        ...

    @property
    def country(self) -> str | None:
        """Whose public holidays are days off."""
        ...

    @property
    def timezone(self) -> str:
        """The team's IANA zone."""
        ...


class MemberCalendar(Protocol):
    """What the calendar needs to know of a member."""

    @property
    def timezone(self) -> str | None:
        """The member's own IANA zone, if known."""
        ...

    @property
    def paused(self) -> bool:
        """Whether check-ins are paused."""
        ...

    @property
    def paused_until(self) -> date | None:
        """The last paused day, if the pause has an end."""
        ...


_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
# The holidays package names its languages its own way.
_HOLIDAY_LANGUAGE = {"en": "en_US", "nb": "no", "sv": "sv", "da": "da"}


def parse_time(text: str) -> str | None:
    """A 24-hour time as "HH:MM", or None when it is not one."""
    match = _HHMM.match(text.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


def parse_days(text: str) -> tuple[str, ...] | None:
    """Workdays from "mon-fri", "mon,tue,thu" or "mon-wed,fri"; None when not understood."""
    chosen: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            return None
        ends = part.split("-")
        if len(ends) > 2 or any(end[:3] not in DAY_NAMES or len(end) < 3 for end in ends):
            return None
        first, last = DAY_NAMES.index(ends[0][:3]), DAY_NAMES.index(ends[-1][:3])
        if last < first:
            return None
        chosen.update(range(first, last + 1))
    return tuple(DAY_NAMES[i] for i in sorted(chosen))


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(text: str) -> str | None:
    """The canonical IANA zone name for `text` (any case), or None."""
    return _zone_names().get(text.strip().lower())


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo, falling back to the default for unknown names."""
    canonical = parse_timezone(name) if name else None
    return ZoneInfo(canonical or DEFAULT_TIMEZONE)


@cache
def supported_countries() -> frozenset[str]:
    """Country codes the holidays package knows."""
    return frozenset(holidays.list_supported_countries())


def parse_country(text: str) -> str | None:
    """An upper-case two-letter country code we know holidays for, or None."""
    code = text.strip().upper()
    return code if len(code) == 2 and code in supported_countries() else None


@cache
def _zone_countries() -> dict[str, str]:
    """Each zone of the time zone database's zone.tab, and the one country it lies in."""
    text = ""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        for folder in TZPATH:
            path = Path(folder) / "zone.tab"
            if path.is_file():
                text = path.read_text("utf-8")
                break
    countries: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            countries[fields[2]] = fields[0]
    return countries


def country_of_zone(name: str | None) -> str | None:
    """The country a time zone lies in, when it names one we know holidays for."""
    canonical = parse_timezone(name) if name else None
    country = _zone_countries().get(canonical or "")
    return country if country in supported_countries() else None


@cache
def _holidays(country: str, year: int, language: str) -> dict[date, str]:
    try:
        table = holidays.country_holidays(
            country, years=year, language=_HOLIDAY_LANGUAGE.get(language)
        )
    except (NotImplementedError, KeyError):
        table = holidays.country_holidays(country, years=year)
    return dict(table.items())


def holiday(country: str | None, day: date, language: str = "en") -> str | None:
    """The name of the public holiday on `day` in `country`, if it is one."""
    if not country:
        return None
    return _holidays(country, day.year, language).get(day)


def workdays_of(team: TeamCalendar) -> tuple[str, ...]:
    """The team's workdays as day names."""
    return tuple(day for day in team.workdays.split(",") if day)


def holiday_country(team: TeamCalendar, member: MemberCalendar | None = None) -> str | None:
    """Whose public holidays are a member's days off: their own zone's country when it names one,
    else the team's country."""
    own = country_of_zone(member.timezone) if member is not None else None
    return own or team.country


def is_workday(team: TeamCalendar, day: date, member: MemberCalendar | None = None) -> bool:
    """A day the team works (one of its weekdays), and not a public holiday where the member (or,
    without one, the team) is."""
    if DAY_NAMES[day.weekday()] not in workdays_of(team):
        return False
    return holiday(holiday_country(team, member), day) is None


def member_zone(member: MemberCalendar, team: TeamCalendar) -> ZoneInfo:
    """A member's own zone, else the team's."""
    return zone(member.timezone or team.timezone)


def local_today(member: MemberCalendar, team: TeamCalendar, now: datetime) -> date:
    """The date it is for a member right now."""
    return now.astimezone(member_zone(member, team)).date()


def is_paused(member: MemberCalendar, day: date) -> bool:
    """Whether a seller's check-ins are paused on `day`."""
    return member.paused and (member.paused_until is None or day <= member.paused_until)


def moment(day: date, hhmm: str, tz: ZoneInfo, *, after: timedelta = timedelta()) -> datetime:
    """The UTC instant of a local wall-clock time on a day, plus `after`."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    local = datetime.combine(day, time(hours, minutes), tzinfo=tz)
    return (local + after).astimezone(UTC)


def window_day(
    now: datetime, hhmm: str, tz: ZoneInfo, *, after: timedelta, length: timedelta
) -> date | None:
    """The local date whose [time + after, + length) window contains `now`, if any."""
    today = now.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        start = moment(day, hhmm, tz, after=after)
        if start <= now < start + length:
            return day
    return None
