"""When the weekly meeting is, and when its draft is due: the workday before it, where the
leader is."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.core.calendar import DAY_NAMES, is_workday, member_zone, moment, zone
from pepptalk.core.kinds import Role
from pepptalk.store.models import Member, Team

# When the leader gets the draft, on the workday before the meeting, where they are.
DRAFT_AT = "14:00"


def meeting_slot(team: Team) -> tuple[int, str] | None:
    """The weekly meeting's weekday (0 = Monday) and time, when one is set."""
    if not team.meeting:
        return None
    day, at = team.meeting.split()
    return DAY_NAMES.index(day), at


def next_meeting(team: Team, now: datetime) -> date | None:
    """The date of the next meeting still to come (in the team's zone)."""
    slot = meeting_slot(team)
    if slot is None:
        return None
    weekday, at = slot
    tz = zone(team.timezone)
    today = now.astimezone(tz).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() == weekday and moment(day, at, tz) > now:
            return day
    return None


def draft_day(team: Team, leader: Member, meeting_on: date) -> date:
    """The workday before a meeting, where the leader is: when the draft comes."""
    day = meeting_on - timedelta(days=1)
    for _ in range(7):
        if is_workday(team, day, leader):
            return day
        day -= timedelta(days=1)
    return meeting_on - timedelta(days=1)


def channel_anchor(members: list[Member]) -> Member | None:
    """The leader the team channel's messages are kept under (one, so each goes out once)."""
    leaders = [m for m in members if m.role is Role.LEADER]
    return min(leaders, key=lambda m: m.id) if leaders else None


def figures_until(team: Team, leader: Member, meeting_on: date, now: datetime) -> date:
    """The last day of the week a meeting talks about: the day before its draft (or before
    today, when the agenda is asked for sooner). The questions and the pre-read share it."""
    today = now.astimezone(member_zone(leader, team)).date()
    return min(today, draft_day(team, leader, meeting_on)) - timedelta(days=1)
