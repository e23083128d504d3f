"""Queueing the messages each leader gets after the morning check-in (summary, nudge)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pepptalk.handlers.calendar import is_workday, member_zone, window_day
from pepptalk.handlers.models import LEADER, Team
from pepptalk.handlers.store import NewDelivery, Store

# If the server was down at the time, it still sends for a while, never later in the day.
CATCH_UP = timedelta(hours=3)


async def claim_for_leaders(
    *,
    store: Store,
    kind: str,
    after: Callable[[Team], timedelta],
    now: datetime,
    queued_at: datetime | None,
) -> int:
    """Queue `kind` for each leader whose check-in time plus `after(team)` has come, on workdays."""
    due: list[NewDelivery] = []
    for team, members in await store.teams_with_members():
        for leader in (m for m in members if m.role == LEADER):
            day = window_day(
                now,
                team.checkin_time,
                member_zone(leader, team),
                after=after(team),
                length=CATCH_UP,
            )
            if day is not None and is_workday(team, day):
                due.append(
                    NewDelivery(
                        workspace_id=team.workspace_id,
                        team_id=team.id,
                        member_id=leader.id,
                        kind=kind,
                        local_date=day,
                        due_at=queued_at or now,
                    )
                )
    return await store.claim(due)
