"""The demo team's numbers, topics and one open action, so the agenda has something to ask why
about: last week the calls fell short of goal for everyone, Anna and Emma booked far more
meetings than usual, and Bjørn's rough week shows in his own figures (for the leader's eyes)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from pepptalk.core.calendar import is_workday
from pepptalk.core.kinds import Role, TopicAudience
from pepptalk.store.models import MeetingAction, Member, Metric, Team, Topic

MEETING = "thu 09:00"
CALLS_GOAL = 50
SALES_GOAL = 18_000
# Sellers whose last week differs from their usual: (calls, meetings, sales) as shares of usual.
LAST_WEEK = {
    "UANNA": (0.85, 1.6, 1.05),
    "UBJORN": (0.55, 0.5, 0.6),
    "UEMMA": (0.8, 1.5, 1.1),
}
USUAL_WEEK = (0.8, 1.0, 1.0)
TOPICS = (
    ("UEMMA", 'How we answer "just send me an e-mail"', TopicAudience.TEAM, 2),
    ("UCECILIE", "Sharing the callback list fairly", TopicAudience.TEAM, 4),
    ("UDAG", "I'd like to try the enterprise leads", TopicAudience.ONE_TO_ONE, 3),
)
ACTION = ("UANNA", "Share the demo script that booked three meetings", 8)


def day_figures(team: Team, user_id: str, day: date, seeded_on: date) -> tuple[int, int, float]:
    """A seller's calls, meetings booked and sales on `day`, the same whenever they are asked
    for: the seed writes them and the demo CRM hands them out as records."""
    if not is_workday(team, day):
        return 0, 0, 0.0
    # Seeded by seller and day, not drawn in sequence, so any one day can be asked for alone.
    rng = random.Random(f"{user_id}:{day.isoformat()}")  # noqa: S311 - demo data
    days_ago = (seeded_on - day).days
    share = LAST_WEEK.get(user_id, USUAL_WEEK) if 1 <= days_ago <= 7 else (1.0, 1.0, 1.0)
    calls = round(CALLS_GOAL * share[0] * rng.uniform(0.85, 1.1))
    meetings = round(3 * share[1] * rng.uniform(0.6, 1.4))
    sales = round(SALES_GOAL * share[2] * rng.uniform(0.7, 1.3), -2)
    return calls, meetings, float(sales)


def numbers(team: Team, members: dict[str, Member], today: date, weeks: int) -> list[Metric]:
    """Daily calls, meetings booked and sales per seller, as a CRM export would send them."""
    rows: list[Metric] = []
    sellers = [m for m in members.values() if m.role is Role.SELLER]
    for offset in range(1, weeks * 7 + 1):
        day = today - timedelta(days=offset)
        if not is_workday(team, day):
            continue
        for member in sellers:
            calls, meetings, sales = day_figures(team, member.user_id, day, today)
            figures = (
                ("calls", calls, CALLS_GOAL),
                ("meetings", meetings, None),
                ("sales", sales, SALES_GOAL),
            )
            rows += [
                Metric(
                    workspace_id=team.workspace_id,
                    team_id=team.id,
                    member_id=member.id,
                    day=day,
                    metric=metric,
                    value=float(value),
                    goal=goal,
                    updated_at=datetime.combine(day, time(17), tzinfo=UTC),
                )
                for metric, value, goal in figures
            ]
    return rows


def topics_and_action(
    team: Team, members: dict[str, Member], leader: Member, today: date
) -> list[Topic | MeetingAction]:
    """The sellers' open topics and one action still open from an earlier meeting."""
    rows: list[Topic | MeetingAction] = [
        Topic(
            workspace_id=team.workspace_id,
            team_id=team.id,
            member_id=members[user_id].id,
            text=text,
            audience=audience,
            created_at=datetime.combine(today - timedelta(days=days_ago), time(10), tzinfo=UTC),
        )
        for user_id, text, audience, days_ago in TOPICS
    ]
    owner, text, days_ago = ACTION
    rows.append(
        MeetingAction(
            workspace_id=team.workspace_id,
            team_id=team.id,
            number=1,
            owner_id=members[owner].id,
            created_by=leader.id,
            text=text,
            created_at=datetime.combine(today - timedelta(days=days_ago), time(9), tzinfo=UTC),
        )
    )
    return rows
