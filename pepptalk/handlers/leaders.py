"""When a leader's own messages are due: the summary, the nudge after it, and what comes later.

Each is timed from the team's check-in time in the leader's own zone, on the days the leader
works, and never while the leader has paused (a co-leader still gets theirs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import (
    CATCH_UP,
    MemberCalendar,
    is_paused,
    is_workday,
    member_zone,
    window_day,
)
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.store.models import Team
from pepptalk.store.outbox import NewDelivery
from pepptalk.store.uow import UnitOfWork


def summary_delay(team: Team) -> timedelta:
    """How long after check-in time a team's summary comes."""
    return timedelta(minutes=team.summary_delay_minutes)


def next_workday(team: Team, after: date, member: MemberCalendar | None = None) -> date:
    """The first day after `after` that the member (or the team) works."""
    day = after + timedelta(days=1)
    for _ in range(31):
        if is_workday(team, day, member):
            return day
        day += timedelta(days=1)
    return after + timedelta(days=1)


async def claim_for_leaders(
    *,
    uow: UnitOfWork,
    kind: DeliveryKind,
    after: Callable[[Team], timedelta],
    now: datetime,
    queued_at: datetime,
) -> int:
    """Queue `kind` for each leader whose check-in time plus `after(team)` has come, on workdays."""
    due: list[NewDelivery] = []
    for team, members in await uow.teams.with_members():
        for leader in (m for m in members if m.role is Role.LEADER):
            zone = member_zone(leader, team)
            day = window_day(now, team.checkin_time, zone, after=after(team), length=CATCH_UP)
            if day is None or not is_workday(team, day, leader) or is_paused(leader, day):
                continue
            due.append(
                NewDelivery(
                    workspace_id=team.workspace_id,
                    team_id=team.id,
                    member_id=leader.id,
                    kind=kind,
                    local_date=day,
                    due_at=queued_at,
                )
            )
    return await uow.outbox.claim(due)
