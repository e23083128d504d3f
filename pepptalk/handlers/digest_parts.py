"""The parts of a leader's weekly digest, each read from a bounded window (this week, the last
eight weeks, the last 30 days), so a digest costs the same in a team's first month and its fifth
year. `digest.py` puts them together and sends them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import is_paused
from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Role
from pepptalk.core.messages import ChartPoint, Text
from pepptalk.handlers.seen import is_due
from pepptalk.store.checkins import DayMood
from pepptalk.store.metrics import Weeks
from pepptalk.store.models import Member, Team
from pepptalk.store.uow import UnitOfWork

CHART_WEEKS = 8
PRAISE_WINDOW = timedelta(days=30)
# The longest cadence (every other week) and a little: any talk older says "due" all the same.
TALKS_WINDOW = timedelta(days=15)
# How many sellers one leader can follow closely, selling themselves or not.
SPAN_SELLING = (4, 8)
SPAN_LEADING = 14
# A seller is a natural opener or closer when one rate is this far above the team's and the other
# as far below it.
ROLE_APART = 1.3
ROLE_WEEKS = 4


@dataclass(frozen=True)
class Week:
    """The digest's week: Monday to the digest's day, and the same days a week before."""

    first: date
    last: date

    @classmethod
    def ending(cls, day: date) -> Week:
        return cls(day - timedelta(days=day.weekday()), day)

    def before(self) -> Week:
        return Week(self.first - timedelta(weeks=1), self.last - timedelta(weeks=1))


def sellers_of(members: list[Member]) -> list[Member]:
    return [m for m in members if m.role is Role.SELLER]


# --- mood ------------------------------------------------------------------------------------


async def mood_weeks(uow: UnitOfWork, team: Team, week: Week, copy: Copy) -> list[ChartPoint]:
    """The chart's weeks, oldest first, this one last: the average of every answer, and the
    lowest and highest day."""
    first = week.first - timedelta(weeks=CHART_WEEKS - 1)
    days = await uow.checkins.daily_moods(team_id=team.id, first=first, last=week.last)
    buckets: dict[int, list[DayMood]] = {}
    for day in days:
        buckets.setdefault((day.day - first).days // 7, []).append(day)
    weeks = []
    for index in range(CHART_WEEKS):
        monday = first + timedelta(weeks=index)
        found = buckets.get(index, [])
        answers = sum(d.answers for d in found)
        average = sum(d.average * d.answers for d in found) / answers if answers else None
        weeks.append(
            ChartPoint(
                label=copy("digest.week_label", day=copy.month_day(monday)),
                value=average,
                low=min((d.average for d in found), default=None),
                high=max((d.average for d in found), default=None),
            )
        )
    return weeks


def chart_alt(copy: Copy, weeks: list[ChartPoint]) -> str:
    """The chart in words, for screen readers and for places that cannot show it."""
    known = [w.value for w in weeks if w.value is not None]
    now, before = weeks[-1].value, weeks[-2].value
    if now is None or not known:
        now_text, change = copy("digest.chart_no_answers"), ""
    else:
        now_text = copy.number(round(now, 1))
        change = ""
        if before is not None:
            delta = round(now - before, 1)
            key = "up" if delta > 0 else "down" if delta < 0 else "same"
            change = copy(f"digest.chart_{key}", delta=copy.number(abs(delta)))
    return copy(
        "digest.chart_alt",
        weeks=len(weeks),
        low=copy.number(round(min(known), 1)) if known else "-",
        high=copy.number(round(max(known), 1)) if known else "-",
        now=now_text,
        change=change,
    )


# --- check-ins and talks ---------------------------------------------------------------------


async def response_rate(uow: UnitOfWork, team: Team, week: Week, copy: Copy) -> str:
    """How many of the week's check-ins were answered, and against last week."""

    async def rate(span: Week) -> tuple[int, int]:
        asked = await uow.outbox.asked_between(team_id=team.id, first=span.first, last=span.last)
        answers = await uow.checkins.daily_moods(team_id=team.id, first=span.first, last=span.last)
        return min(sum(d.answers for d in answers), asked), asked

    answered, asked = await rate(week)
    if not asked:
        return copy("digest.rate_none")
    share = answered / asked
    said = copy("digest.rate", answered=answered, asked=asked, share=copy.share(share))
    before_answered, before_asked = await rate(week.before())
    if not before_asked:
        return said + copy("digest.rate_first")
    points = round(100 * (share - before_answered / before_asked))
    key = "up" if points > 0 else "down" if points < 0 else "same"
    return said + copy(f"digest.rate_{key}", points=abs(points))


async def coverage(
    uow: UnitOfWork, sellers: list[Member], team: Team, day: date, copy: Copy
) -> list[str]:
    """How many sellers have had the talks their cadence asks for, and who is due a chat (the
    same reading as `seen`: a seller on a break is left out)."""
    counted = [s for s in sellers if not is_paused(s, day)]
    if not counted:
        return [copy("digest.coverage_none")]
    latest = await uow.feedback.latest(team.id, since=day - TALKS_WINDOW)
    due = [s for s in counted if is_due(s, latest.get(s.id), day)]
    if not due:
        return [copy("digest.coverage_all", sellers=len(counted))]
    return [
        copy("digest.coverage", on_track=len(counted) - len(due), sellers=len(counted)),
        copy("digest.coverage_due", names=copy.join([s.display_name for s in due])),
    ]


# --- recognition -----------------------------------------------------------------------------


async def recognition(
    uow: UnitOfWork, team: Team, members: list[Member], now: datetime, copy: Copy
) -> list[str]:
    """Who has had no shout-out in 30 days (new sellers aside), and whether the channel's praise
    went to the sellers or to a leader's own wins."""
    since = now - PRAISE_WINDOW
    shouted = await uow.wins.shouted_since(team_id=team.id, since=since)
    praised = {win.member_id for win in shouted}
    roles = {m.id: m.role for m in members}
    # A seller who joined within the window has not been missed yet.
    missing = [
        s.display_name for s in sellers_of(members) if s.id not in praised and s.joined_at < since
    ]
    lines = [copy("digest.praise_missing", names=copy.join(missing))] if missing else []
    to_leaders = sum(1 for win in shouted if roles.get(win.member_id) is Role.LEADER)
    if not shouted:
        lines.append(copy("digest.praise_none"))
    elif to_leaders:
        lines.append(copy("digest.praise_leader", count=len(shouted), leader=to_leaders))
    else:
        lines.append(copy("digest.praise_all_sellers", count=len(shouted)))
    return lines


# --- span of control and roles ---------------------------------------------------------------


def span_of_control(copy: Copy, team: Team, sellers: int) -> Text | None:
    """A plain word when the team is outside the span one leader can follow; nothing inside it."""
    low, high = SPAN_SELLING
    if team.leader_sells is None:
        return copy.text("digest.span_unknown", sellers=sellers) if sellers > high else None
    if team.leader_sells:
        if sellers > high:
            return copy("digest.span_large_selling", sellers=sellers)
        if 0 < sellers < low:
            return copy("digest.span_small_selling", sellers=sellers)
        return None
    return copy("digest.span_large", sellers=sellers) if sellers > SPAN_LEADING else None


def _recent(weeks: Weeks) -> float:
    """The last ROLE_WEEKS weeks together: long enough to see a pattern, short enough to be now."""
    return float(sum(weeks.values[:ROLE_WEEKS]))


async def roles(
    uow: UnitOfWork, team: Team, members: list[Member], day: date, copy: Copy
) -> list[str]:
    """From the numbers, when there are any: a seller who books far above the team but closes
    below it (or the other way round), and a selling leader who outsold every seller."""
    per_seller = await uow.metrics.weeks(team_id=team.id, last=day)
    totals: dict[int, dict[str, float]] = {}
    for (member_id, metric), weeks in per_seller.items():
        totals.setdefault(member_id, {})[metric] = _recent(weeks)
    sellers = sellers_of(members)
    found: list[str] = []
    team_sum = {
        metric: sum(totals.get(s.id, {}).get(metric, 0.0) for s in sellers)
        for metric in ("calls", "meetings", "sales")
    }
    if all(team_sum.values()):
        team_booking = team_sum["meetings"] / team_sum["calls"]
        team_closing = team_sum["sales"] / team_sum["meetings"]
        for seller in sellers:
            mine = totals.get(seller.id, {})
            if not (mine.get("calls") and mine.get("meetings")):
                continue
            booking = mine["meetings"] / mine["calls"] / team_booking
            closing = mine.get("sales", 0.0) / mine["meetings"] / team_closing
            key = (
                "digest.role_opener"
                if booking >= ROLE_APART and closing <= 1 / ROLE_APART
                else "digest.role_closer"
                if closing >= ROLE_APART and booking <= 1 / ROLE_APART
                else None
            )
            if key:
                found.append(
                    copy(
                        key,
                        name=seller.display_name,
                        booking=copy.times(booking),
                        closing=copy.times(closing),
                    )
                )
    if team.leader_sells:
        leader_sales = max(
            (totals.get(m.id, {}).get("sales", 0.0) for m in members if m.role is Role.LEADER),
            default=0.0,
        )
        best_seller = max((totals.get(s.id, {}).get("sales", 0.0) for s in sellers), default=0.0)
        if leader_sales > best_seller > 0:
            found.append(copy("digest.leader_tops"))
    return found


def reflection(copy: Copy, day: date) -> str:
    """This week's question for the leader: the bank in turn, never the same two weeks running."""
    bank = copy.choices("reflection.questions")
    return bank[day.isocalendar().week % len(bank)]
