"""From what a CRM holds to the team's daily figures: which seller each CRM owner is, what one
day of records adds up to, and which goal applies to a seller's day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from pepptalk.core.calendar import is_workday
from pepptalk.core.crm import CrmGoal, CrmOwner, CrmRecord, GoalPeriod, RecordKind
from pepptalk.handlers.people import fold
from pepptalk.store.crm_models import Goal
from pepptalk.store.metrics import MetricRow
from pepptalk.store.models import Member, Team

# What each record adds to which figure: (metric, counts the record, adds its amount).
FIGURES: dict[RecordKind, tuple[tuple[str, bool], ...]] = {
    RecordKind.CALL: (("calls", True),),
    RecordKind.MEETING: (("meetings", True),),
    RecordKind.DEAL_WON: (("deals", True), ("sales", False)),
}
METRICS = ("calls", "meetings", "deals", "sales")


@dataclass(frozen=True)
class Matching:
    """Which seller each CRM owner is, and the sellers no owner matched."""

    by_owner: dict[str, Member]
    unmatched: list[Member]


def match_owners(sellers: Sequence[Member], owners: Iterable[CrmOwner]) -> Matching:
    """Sellers matched to CRM owners: by the e-mail set with `team match`, else the platform's
    e-mail, else by name when exactly one owner has it."""
    owners = list(owners)
    by_email = {o.email.casefold(): o for o in owners if o.email}
    names: dict[str, list[CrmOwner]] = {}
    for owner in owners:
        names.setdefault(fold(owner.name), []).append(owner)
    by_owner: dict[str, Member] = {}
    unmatched = []
    for seller in sellers:
        found = None
        for email in (seller.crm_email, seller.email):
            if email and email.casefold() in by_email:
                found = by_email[email.casefold()]
                break
        if found is None and seller.crm_email is None:
            named = names.get(fold(seller.display_name), [])
            found = named[0] if len(named) == 1 else None
        if found is None or found.owner_id in by_owner:
            unmatched.append(seller)
        else:
            by_owner[found.owner_id] = seller
    return Matching(by_owner, unmatched)


def count_records(counts: dict[str, float], records: Iterable[CrmRecord], tz: ZoneInfo) -> None:
    """Add records to `counts`, keyed "owner|day|metric", each on its day in the team's zone."""
    for record in records:
        day = record.at.astimezone(tz).date().isoformat()
        for metric, counted in FIGURES[record.kind]:
            key = f"{record.owner_id}|{day}|{metric}"
            counts[key] = counts.get(key, 0.0) + (1.0 if counted else record.amount)


@dataclass(frozen=True)
class GoalBook:
    """The goals in force: the CRM's and Pepptalk's, in the order the leader chose."""

    crm: Sequence[CrmGoal]
    own: Sequence[Goal]
    own_first: bool = False

    def goal(self, member: Member, owner_id: str, metric: str) -> tuple[GoalPeriod, float] | None:
        """A seller's goal for a metric: their own before the team's, within each source."""
        crm = [g for g in self.crm if g.metric == metric]
        own = [g for g in self.own if g.metric == metric]
        found_crm = next((g for g in crm if g.owner_id == owner_id), None) or next(
            (g for g in crm if g.owner_id is None), None
        )
        found_own = next((g for g in own if g.member_id == member.id), None) or next(
            (g for g in own if g.member_id is None), None
        )
        ordered = [
            (found_own.period, found_own.value) if found_own else None,
            (found_crm.period, found_crm.value) if found_crm else None,
        ]
        if not self.own_first:
            ordered.reverse()
        return next((g for g in ordered if g is not None), None)


def _period_days(period: GoalPeriod, day: date) -> list[date]:
    if period is GoalPeriod.DAY:
        return [day]
    if period is GoalPeriod.WEEK:
        monday = day - timedelta(days=day.weekday())
        return [monday + timedelta(days=i) for i in range(7)]
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((after - first).days)]


def day_share(team: Team, member: Member, period: GoalPeriod, value: float, day: date) -> float:
    """A goal's share for one day: spread over the seller's workdays in its period, so a week's
    goals add up to the weekly goal (0 on a day off)."""
    if not is_workday(team, day, member):
        return 0.0
    workdays = [d for d in _period_days(period, day) if is_workday(team, d, member)]
    return value / len(workdays) if workdays else 0.0


def figure_rows(
    *,
    team: Team,
    matching: Matching,
    counts: dict[str, float],
    days: Sequence[date],
    goals: GoalBook,
) -> list[MetricRow]:
    """Every matched seller's figures for every day read, nothing done counted as 0, so a
    re-sync replaces what a CRM no longer holds (a deleted call) instead of keeping it."""
    rows = []
    for owner_id, member in matching.by_owner.items():
        for metric in METRICS:
            goal = goals.goal(member, owner_id, metric)
            for day in days:
                value = counts.get(f"{owner_id}|{day.isoformat()}|{metric}", 0.0)
                share = day_share(team, member, goal[0], goal[1], day) if goal else None
                rows.append(MetricRow(member.id, day, metric, value, share))
    return rows
