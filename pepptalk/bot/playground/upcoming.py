"""What the schedule does next for the demo team, so the clock's buttons can say it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pepptalk.core.calendar import DAY_NAMES, is_workday, moment, zone
from pepptalk.store.models import Team

# The draft agenda comes at this time the workday before the meeting (the habit's own rule).
DRAFT_AT = "14:00"


@dataclass(frozen=True)
class Upcoming:
    """One scheduled moment: its kind (checkin, summary, agenda, meeting, digest) and when."""

    kind: str
    at: datetime


def weekly_slot(text: str | None) -> tuple[int, time] | None:
    """ "thu 09:00" as a weekday (0 is Monday) and a time; None when unset or unreadable."""
    if not text:
        return None
    day, _, at = text.partition(" ")
    if day not in DAY_NAMES or len(at) != 5:
        return None
    return DAY_NAMES.index(day), time(int(at[:2]), int(at[3:]))


def _later(hhmm: str, minutes: int) -> str:
    total = int(hhmm[:2]) * 60 + int(hhmm[3:]) + minutes
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def upcoming(team: Team, now: datetime, *, days: int = 8) -> list[Upcoming]:
    """Everything the schedule does for the team in the next `days`, soonest first."""
    tz = zone(team.timezone)
    today = now.astimezone(tz).date()
    summary = _later(team.checkin_time, team.summary_delay_minutes)
    meeting = weekly_slot(team.meeting)
    digest = weekly_slot(team.digest)
    found: list[Upcoming] = []
    for ahead in range(days):
        day: date = today + timedelta(days=ahead)
        if is_workday(team, day):
            found.append(Upcoming("checkin", moment(day, team.checkin_time, tz)))
            found.append(Upcoming("summary", moment(day, summary, tz)))
            if meeting is not None and _next_workday(team, day).weekday() == meeting[0]:
                found.append(Upcoming("agenda", moment(day, DRAFT_AT, tz)))
        if meeting is not None and day.weekday() == meeting[0]:
            found.append(Upcoming("meeting", datetime.combine(day, meeting[1], tzinfo=tz)))
        if digest is not None and day.weekday() == digest[0]:
            found.append(Upcoming("digest", datetime.combine(day, digest[1], tzinfo=tz)))
    return sorted((u for u in found if u.at > now), key=lambda u: u.at)


def _next_workday(team: Team, day: date) -> date:
    following = day + timedelta(days=1)
    for _ in range(7):
        if is_workday(team, following):
            return following
        following += timedelta(days=1)
    return following


def first_of(kind: str, items: list[Upcoming]) -> Upcoming | None:
    """The soonest moment of a kind."""
    return next((u for u in items if u.kind == kind), None)
