"""The team's history for the web view: up to a year of weeks, read as a leader preparing a
one-to-one or a quarterly talk would look back. Everything here is data; the page words it.

Costs one row per seller and week (or per day with answers, for the team's range), never one per
answer, so a team with a year behind it is read about as fast as a team in its first week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pepptalk.core.calendar import DAY_NAMES, holiday, holiday_country, workdays_of, zone
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import FeedbackKind, Platform, Role
from pepptalk.core.messages import plain
from pepptalk.core.ports import Actor
from pepptalk.core.privacy import Policy
from pepptalk.handlers.digest_parts import span_of_control
from pepptalk.handlers.privacy import export_document
from pepptalk.handlers.seen import FIRST_TALK_WITHIN
from pepptalk.store.checkins import DayMood
from pepptalk.store.history import FigureWeek, SellerWeek, TalkRow
from pepptalk.store.models import Agenda, AgendaItem, MeetingAction, Member, Team
from pepptalk.store.teams import Membership
from pepptalk.store.uow import UnitOfWork

MAX_WEEKS = 52
HISTORY_PATH = "/history"
# A drop in the team's weekly mood this large is named, as the morning summary names it.
DROP = 1.0
LOW_RUN = 3


class CellState(StrEnum):
    """What one seller's week was."""

    MOOD = "mood"  # answered: the cell carries the week's average
    NO_ANSWER = "no_answer"  # asked, never answered
    AWAY = "away"  # in the team, asked nothing: paused or off
    HOLIDAY = "holiday"  # every workday of the week a public holiday
    OUTSIDE = "outside"  # not in the team that week
    PENDING = "pending"  # this week, nothing yet


@dataclass(frozen=True)
class Cell:
    state: CellState
    average: float | None = None
    answers: int = 0


@dataclass(frozen=True)
class WeekMood:
    """The team's week: the average of every answer, the lowest and highest day's average,
    and how many of the check-ins sent were answered."""

    monday: date
    average: float | None
    low: float | None
    high: float | None
    answered: int
    asked: int
    sellers: int


@dataclass(frozen=True)
class Talk:
    """A feedback talk, and whether it came later than the seller's cadence asked."""

    day: date
    kind: FeedbackKind
    gap_days: int | None
    first: bool
    late: bool


@dataclass
class SellerHistory:
    member: Member
    cells: list[Cell] = field(default_factory=list)
    talks: list[Talk] = field(default_factory=list)
    wins: int = 0
    shouted: int = 0
    win_weeks: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def left(self) -> bool:
        return self.member.removed_at is not None


@dataclass(frozen=True)
class Pattern:
    """Something a summary named: a seller's run of low mornings, or a team-wide drop."""

    monday: date
    kind: str  # "low_run" or "drop"
    name: str | None = None
    before: float | None = None
    now: float | None = None


@dataclass(frozen=True)
class Meeting:
    """A posted agenda, with the actions recorded from that meeting until the next, and the
    team's figures of the week before it (what the pre-read showed)."""

    agenda: Agenda
    items: list[AgendaItem]
    actions: list[tuple[MeetingAction, str]]
    figures: list[FigureWeek]


@dataclass(frozen=True)
class TeamHistory:
    team: Team
    today: date
    mondays: list[date]
    moods: list[WeekMood]
    patterns: list[Pattern]
    sellers: list[SellerHistory]
    leaders: list[Member]
    praise_total: int
    praise_to_leaders: int
    meetings: list[Meeting]
    joined: list[Member]
    left: list[Member]
    span: str | None  # a word when the team is larger (or smaller) than one leader can follow


def history_link(actor: Actor, policy: Policy) -> str | None:
    """Where a person opens their history: through their platform's sign-in (straight to
    their Slack workspace), or, in the playground, as themselves; None when Pepptalk's public
    address is not set."""
    if actor.platform is Platform.PLAYGROUND:
        return f"{HISTORY_PATH}?as={actor.user_id}"
    if policy.public_url is None:
        return None
    base = policy.public_url.rstrip("/")
    if actor.platform is Platform.SLACK:
        return f"{base}{HISTORY_PATH}/signin/slack?team={actor.workspace_id}"
    return f"{base}{HISTORY_PATH}/signin/microsoft"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _in_team(member: Member, first: date, last: date) -> bool:
    joined = member.joined_at.date()
    removed = member.removed_at.date() if member.removed_at else None
    return joined <= last and (removed is None or removed >= first)


def _holiday_weeks(team: Team) -> Callable[[date], bool]:
    """Whether every workday of the team in a week (given its Monday) was a public holiday."""
    country = holiday_country(team)
    weekdays = [DAY_NAMES.index(name) for name in workdays_of(team)]

    def all_holidays(monday: date) -> bool:
        days = [monday + timedelta(days=i) for i in weekdays]
        return bool(days) and all(holiday(country, d, team.language) for d in days)

    return all_holidays


def _talks(member: Member, given: list[TalkRow], since: date) -> list[Talk]:
    """Each talk with the days since the one before, or, for a seller's first, since they
    joined; `given` holds the talks from `since` on, so one before it is unknown."""
    talks: list[Talk] = []
    joined = member.joined_at.date()
    previous: date | None = joined if joined >= since else None
    for talk in given:
        first = not talks and previous == joined
        gap = (talk.given_on - previous).days if previous is not None else None
        allowed = FIRST_TALK_WITHIN.days if first else member.cadence.days
        # A weekend or a day off is no gap worth naming: two days of slack on any cadence.
        late = gap is not None and gap > allowed + 2
        talks.append(Talk(talk.given_on, talk.kind, gap, first=first, late=late))
        previous = talk.given_on
    return talks


def _low_runs(
    lows: list[tuple[int, date]], names: dict[int, str], first: date, team: Team
) -> list[Pattern]:
    """Three low mornings in a row on the team's workdays, named once per run."""
    number = _workday_numbers(team)
    found: list[Pattern] = []
    runs: dict[int, list[date]] = {}
    for member_id, day in lows:
        run = runs.setdefault(member_id, [])
        if run and number(day) - number(run[-1]) > 1:
            run.clear()
        run.append(day)
        if len(run) == LOW_RUN and member_id in names:
            found.append(Pattern(monday_of(day), "low_run", name=names[member_id]))
    return [p for p in found if p.monday >= first]


def _workday_numbers(team: Team) -> Callable[[date], int]:
    """How many of the team's workdays there have been up to a date: two workdays follow each
    other when their numbers do (a weekend between them is no gap)."""
    weekdays = sorted(DAY_NAMES.index(name) for name in workdays_of(team))

    def number(day: date) -> int:
        week, weekday = divmod(day.toordinal() - 1, 7)  # day 1 of year 1 was a Monday
        return week * len(weekdays) + sum(1 for w in weekdays if w <= weekday)

    return number


def weeks_to_show(team: Team, today: date, weeks: int = MAX_WEEKS) -> list[date]:
    """The Mondays of the weeks the view covers: since the team began, a year at most."""
    this = monday_of(today)
    since = monday_of(team.created_at.astimezone(zone(team.timezone)).date())
    count = min(weeks, max(1, (this - since).days // 7 + 1))
    return [this - timedelta(weeks=count - 1 - i) for i in range(count)]


async def team_history(*, uow: UnitOfWork, team: Team, now: datetime) -> TeamHistory:
    """Up to a year of the team's weeks, oldest first, as a leader looks back over them."""
    today = now.astimezone(zone(team.timezone)).date()
    mondays = weeks_to_show(team, today)
    first, last = mondays[0], today
    history = uow.history
    everyone = await history.everyone(team.id)
    sellers = [m for m in everyone if m.role is Role.SELLER and _in_team(m, first, last)]
    leaders = [m for m in everyone if m.role is Role.LEADER and m.removed_at is None]
    rows = {m.id: SellerHistory(m) for m in sellers}

    answered = {(w.member_id, w.week): w for w in await history.seller_weeks(team.id, first, last)}
    asked = {(a.member_id, a.week): a.count for a in await history.asked(team.id, first, last)}
    # Each figure put in its week once, so a year costs one pass over it, not one per week.
    answered_in: dict[int, int] = {}
    for (_, index), answers_of in answered.items():
        answered_in[index] = answered_in.get(index, 0) + answers_of.answers
    asked_in: dict[int, int] = {}
    for (_, index), count in asked.items():
        asked_in[index] = asked_in.get(index, 0) + count
    days_in: dict[int, list[DayMood]] = {}
    for day in await uow.checkins.daily_moods(team_id=team.id, first=first, last=last):
        days_in.setdefault((day.day - first).days // 7, []).append(day)
    all_holidays = _holiday_weeks(team)
    moods = []
    for index, monday in enumerate(mondays):
        sunday = monday + timedelta(days=6)
        found = days_in.get(index, [])
        answers = sum(d.answers for d in found)
        moods.append(
            WeekMood(
                monday=monday,
                average=sum(d.average * d.answers for d in found) / answers if answers else None,
                low=min((d.average for d in found), default=None),
                high=max((d.average for d in found), default=None),
                answered=answered_in.get(index, 0),
                asked=asked_in.get(index, 0),
                sellers=sum(1 for s in sellers if _in_team(s, monday, sunday)),
            )
        )
        holidays = all_holidays(monday)
        for seller in sellers:
            rows[seller.id].cells.append(
                _cell(seller, monday, sunday, index, answered, asked, holidays, today)
            )

    # A month before the first week: enough to know the gap before the first talk shown.
    since = first - timedelta(days=30)
    by_member: dict[int, list[TalkRow]] = {}
    for talk in await history.talks(team.id, since, last):
        by_member.setdefault(talk.member_id, []).append(talk)
    for seller in sellers:
        given = by_member.get(seller.id, [])
        rows[seller.id].talks = [t for t in _talks(seller, given, since) if t.day >= first]

    praise_total = praise_to_leaders = 0
    roles = {m.id: m.role for m in everyone}
    for week in await history.win_weeks(team.id, first, last):
        praise_total += week.shouted
        if roles.get(week.member_id) is Role.LEADER:
            praise_to_leaders += week.shouted
        row = rows.get(week.member_id)
        if row is not None:
            row.wins += week.wins
            row.shouted += week.shouted
            row.win_weeks[week.week] = (week.wins, week.shouted)

    names = {s.id: s.display_name for s in sellers}
    lows = [(low.member_id, low.day) for low in await history.low_mornings(team.id, first, last)]
    patterns = _low_runs(lows, names, first, team) + _drops(moods)
    patterns.sort(key=lambda p: p.monday, reverse=True)

    start = datetime.combine(first, time(), tzinfo=zone(team.timezone))
    founded = team.created_at.date()
    return TeamHistory(
        team=team,
        today=today,
        mondays=mondays,
        moods=moods,
        patterns=patterns,
        sellers=[rows[s.id] for s in sellers],
        leaders=leaders,
        praise_total=praise_total,
        praise_to_leaders=praise_to_leaders,
        meetings=await _meetings(uow, team, first, last, start, everyone),
        # Who came later: those who started the team with it are no news.
        joined=[m for m in everyone if m.joined_at >= start and m.joined_at.date() > founded],
        left=[m for m in everyone if m.removed_at is not None and m.removed_at >= start],
        span=_span(team, [s for s in sellers if s.removed_at is None]),
    )


def _span(team: Team, sellers: list[Member]) -> str | None:
    word = span_of_control(copy_for(team.language), team, len(sellers))
    return plain(word) if word is not None else None


def _cell(
    seller: Member,
    monday: date,
    sunday: date,
    index: int,
    answered: dict[tuple[int, int], SellerWeek],
    asked: dict[tuple[int, int], int],
    holidays: bool,
    today: date,
) -> Cell:
    week = answered.get((seller.id, index))
    if week is not None:
        return Cell(CellState.MOOD, week.mood_sum / week.answers, week.answers)
    if not _in_team(seller, monday, sunday):
        return Cell(CellState.OUTSIDE)
    if holidays:
        return Cell(CellState.HOLIDAY)
    if asked.get((seller.id, index)):
        return Cell(CellState.NO_ANSWER)
    return Cell(CellState.PENDING if sunday >= today else CellState.AWAY)


def _drops(moods: list[WeekMood]) -> list[Pattern]:
    found = []
    for before, now in zip(moods, moods[1:], strict=False):
        if (
            before.average is not None
            and now.average is not None
            and before.average - now.average >= DROP
        ):
            found.append(Pattern(now.monday, "drop", before=before.average, now=now.average))
    return found


async def _meetings(
    uow: UnitOfWork, team: Team, first: date, last: date, start: datetime, everyone: list[Member]
) -> list[Meeting]:
    names = {m.id: m.display_name for m in everyone}
    agendas = await uow.history.posted_agendas(team.id, first, last)
    actions = await uow.history.actions(team.id, start)
    figures = await uow.history.figure_weeks(team.id, first - timedelta(weeks=1), last)
    meetings: list[Meeting] = []
    later: datetime | None = None
    base = first - timedelta(weeks=1)
    for agenda, items in agendas:  # newest first
        held = datetime.combine(agenda.meeting_on, time(), tzinfo=zone(team.timezone))
        recorded = [
            (a, names.get(a.owner_id, ""))
            for a in actions
            if a.created_at >= held and (later is None or a.created_at < later)
        ]
        week = (monday_of(agenda.meeting_on) - base).days // 7 - 1
        meetings.append(Meeting(agenda, items, recorded, [f for f in figures if f.week == week]))
        later = held
    return meetings


async def own_data(*, uow: UnitOfWork, seat: Membership, now: datetime) -> dict[str, Any]:
    """Everything kept about the person in a seat, as `export` gives it."""
    member = seat.member
    actor = Actor(member.workspace_id, member.user_id, seat.team.platform)
    data = await uow.privacy.of_person(workspace_id=actor.workspace_id, user_id=actor.user_id)
    return export_document(data, now=now, actor=actor)
