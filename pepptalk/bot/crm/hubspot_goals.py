"""HubSpot's goal targets as Pepptalk's goals: which metric a target's name means, which period
its length is, and whose it is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pepptalk.core.crm import CrmGoal, GoalPeriod

# A goal target's name in Pepptalk's metric names, the first word found wins: HubSpot's goal
# templates ("Calls made", "Meetings booked", "Deals won", "Revenue", "Sales quota") name what
# they count, and an account's own goals are usually named after them. Revenue is looked for
# first so a "Won deal revenue" goal is sales, not a count of deals.
GOAL_METRICS: tuple[tuple[str, str], ...] = (
    ("revenue", "sales"),
    ("quota", "sales"),
    ("call", "calls"),
    ("meeting", "meetings"),
    ("won", "deals"),
)
# A target's length in whole days, as Pepptalk's periods; quarters and years are left out.
GOAL_DAYS: Mapping[int, GoalPeriod] = {
    1: GoalPeriod.DAY,
    7: GoalPeriod.WEEK,
    28: GoalPeriod.MONTH,
    29: GoalPeriod.MONTH,
    30: GoalPeriod.MONTH,
    31: GoalPeriod.MONTH,
}
GOAL_PROPERTIES = (
    "hs_goal_name",
    "hs_target_amount",
    "hs_start_datetime",
    "hs_end_datetime",
    "hs_assignee_user_id",
)


def hubspot_time(value: Any) -> datetime | None:
    """A HubSpot date property (ISO-8601, or epoch milliseconds) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def goal_from(
    properties: Mapping[str, Any], noon: datetime, owner_of: Mapping[str, str]
) -> CrmGoal | None:
    """A goal target as a `CrmGoal`, when it is in force at `noon` and Pepptalk has its metric
    and period."""
    name = str(properties.get("hs_goal_name") or "").lower()
    metric = next((metric for word, metric in GOAL_METRICS if word in name), None)
    start = hubspot_time(properties.get("hs_start_datetime"))
    end = hubspot_time(properties.get("hs_end_datetime"))
    value = properties.get("hs_target_amount")
    if metric is None or start is None or end is None or value in (None, ""):
        return None
    if not start <= noon < end:
        return None
    # An end is often the period's last millisecond: round to whole days.
    period = GOAL_DAYS.get(round((end - start).total_seconds() / 86_400))
    if period is None:
        return None
    user = properties.get("hs_assignee_user_id")
    owner: str | None = None
    if user not in (None, ""):
        owner = owner_of.get(str(user))
        if owner is None:
            return None  # a user who owns no records: nothing to measure the goal against
    return CrmGoal(owner_id=owner, metric=metric, period=period, value=float(value))
