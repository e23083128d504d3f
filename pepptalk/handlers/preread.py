"""The pre-read: the team's numbers, in the team channel before the meeting, so nobody reads them
aloud there. Each metric against its goal and against last week; per seller only when the team
has agreed to see that (`team set numbers sellers`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Block, Heading, Message, Note, Paragraph
from pepptalk.core.privacy import Policy
from pepptalk.handlers.meeting_days import figures_until
from pepptalk.store.metrics import Weeks
from pepptalk.store.models import Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork


@dataclass(frozen=True)
class Figure:
    """One metric's week: the value, its goal (if any was given), last week's value."""

    metric: str
    value: float
    goal: float | None
    last_week: float | None


def team_weeks(per_seller: dict[tuple[int, str], Weeks]) -> dict[str, Weeks]:
    """The team's weeks per metric: every seller's summed."""
    team: dict[str, Weeks] = {}
    for (_, metric), weeks in per_seller.items():
        team.setdefault(metric, Weeks()).add(weeks)
    return team


def figure(metric: str, weeks: Weeks) -> Figure | None:
    """A metric's week as the pre-read shows it (None: no figures that week)."""
    if not weeks.rows[0]:
        return None
    goal = weeks.goals[0] if weeks.with_goal[0] else None
    last_week = weeks.values[1] if weeks.rows[1] else None
    return Figure(metric, weeks.values[0], goal, last_week)


def metric_name(copy: Copy, metric: str) -> str:
    """A metric's name in the team's language (`calls` -> "Calls"), else as it was sent."""
    known = copy.maybe(f"metric_names.{metric}")
    return known if known is not None else metric.replace("_", " ").capitalize()


def figure_line(copy: Copy, shown: Figure) -> str:
    """ "Calls: 812 (goal 900, 90 %) · last week 780 (+4 %)"."""
    parts = [
        copy(
            "preread.value", metric=metric_name(copy, shown.metric), value=copy.number(shown.value)
        )
    ]
    if shown.goal:
        parts.append(
            copy(
                "preread.goal",
                goal=copy.number(shown.goal),
                share=copy.percent(shown.value / shown.goal - 1),
            )
        )
    if shown.last_week:
        parts.append(
            copy(
                "preread.last_week",
                value=copy.number(shown.last_week),
                change=copy.percent(shown.value / shown.last_week - 1),
            )
        )
    return " · ".join(parts)


async def compose_preread(
    *, uow: UnitOfWork, team: Team, meeting_on: date, last: date
) -> Message | None:
    """The pre-read for a meeting: the week ending `last`, the one its questions ask about
    (None when no numbers came in)."""
    copy = copy_for(team.language)
    per_seller = await uow.metrics.weeks(team_id=team.id, last=last)
    team_figures = [
        shown
        for metric, weeks in sorted(team_weeks(per_seller).items())
        if (shown := figure(metric, weeks)) is not None
    ]
    if not team_figures:
        return None
    title = copy("preread.title", date=copy.day(meeting_on))
    first = copy.day(last - timedelta(days=6))
    blocks: list[Block] = [
        Heading(title),
        Paragraph(copy("preread.team", first=first, last=copy.day(last))),
    ]
    blocks.extend(Paragraph(figure_line(copy, shown)) for shown in team_figures)
    if team.numbers_per_seller:
        for member in await uow.teams.sellers(team.id):
            mine = [
                shown
                for (member_id, metric), weeks in sorted(per_seller.items())
                if member_id == member.id and (shown := figure(metric, weeks)) is not None
            ]
            if mine:
                blocks.append(Heading(member.display_name))
                blocks.extend(Paragraph(figure_line(copy, shown)) for shown in mine)
    blocks.append(Note(copy("preread.why")))
    return Message(summary=title, blocks=tuple(blocks))


def preread_delivery(
    team: Team, anchor: Member, meeting_on: date, due: datetime
) -> NewDelivery | None:
    """The pre-read as an outbox row for the team channel, kept under one leader so it goes out
    once per meeting however it was asked for (the job, or the agenda being posted)."""
    if not team.channel_id or anchor.role is not Role.LEADER:
        return None
    return NewDelivery(
        workspace_id=team.workspace_id,
        team_id=team.id,
        member_id=anchor.id,
        kind=DeliveryKind.PRE_READ,
        local_date=meeting_on,
        due_at=due,
        channel_id=team.channel_id,
    )


async def compose_prereads(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """Pre-reads for queued deliveries (None: no numbers, or the channel moved)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        if job.team.channel_id != job.delivery.channel_id:
            messages[job.delivery.id] = None
            continue
        meeting_on = job.delivery.local_date
        last = figures_until(job.team, job.member, meeting_on, job.delivery.due_at)
        messages[job.delivery.id] = await compose_preread(
            uow=uow, team=job.team, meeting_on=meeting_on, last=last
        )
    return messages
