"""The weekly digest: once a week (Friday 14:00 in each leader's zone unless `team set digest`
says otherwise) a leader gets the week at a glance: the mood trend as a chart, the check-in
response rate, feedback coverage, recognition spread, the week's wins and open actions, span of
control, what the numbers say about roles, and one question for the leader's own development.
`digest` shows it any time. With `team set pulse on` the team channel gets the week's mood in
aggregate at the same time (`pulse.py`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.core.calendar import CATCH_UP, DAY_NAMES, is_paused, member_zone, window_day
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Block, Chart, Heading, Link, Message, Note, Paragraph, Reply
from pepptalk.core.ports import Actor
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.digest_parts import (
    Week,
    chart_alt,
    coverage,
    mood_weeks,
    recognition,
    reflection,
    response_rate,
    roles,
    sellers_of,
    span_of_control,
)
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ComposerSpec, Habit, JobSpec, TeamCommand, TeamTurn
from pepptalk.handlers.history import history_link
from pepptalk.handlers.meeting_days import channel_anchor
from pepptalk.handlers.pulse import compose_pulses, pulse_delivery
from pepptalk.store.models import Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

WINS_SHOWN = 5


def digest_slot(team: Team) -> tuple[int, str]:
    """The digest's weekday (0 = Monday) and time."""
    day, at = team.digest.split()
    return DAY_NAMES.index(day), at


async def claim_digests(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
    """Queue each leader's digest when its time has come where they are (once a week: the row is
    keyed by the day), and the team's pulse with the first leader's."""
    due: list[NewDelivery] = []
    for team, members in await uow.teams.with_members():
        weekday, at = digest_slot(team)
        anchor = channel_anchor(members)
        for leader in (m for m in members if m.role is Role.LEADER):
            zone = member_zone(leader, team)
            day = window_day(now, at, zone, after=timedelta(), length=CATCH_UP)
            if day is None or day.weekday() != weekday:
                continue
            if not is_paused(leader, day):
                due.append(
                    NewDelivery(
                        workspace_id=team.workspace_id,
                        team_id=team.id,
                        member_id=leader.id,
                        kind=DeliveryKind.DIGEST,
                        local_date=day,
                        due_at=queued_at,
                    )
                )
            if leader is anchor and (pulse := pulse_delivery(team, leader, day, queued_at)):
                due.append(pulse)
    return await uow.outbox.claim(due)


async def _chart(uow: UnitOfWork, team: Team, week: Week, copy: Copy) -> Block:
    """The mood chart, for the runtime to draw; words instead when there is nothing to draw."""
    weeks = await mood_weeks(uow, team, week, copy)
    if all(w.value is None for w in weeks):
        return Paragraph(copy("digest.no_chart"))
    return Chart(
        points=tuple(weeks),
        title=copy("digest.chart_title"),
        axis=copy("digest.chart_axis"),
        alt=chart_alt(copy, weeks),
        unavailable=copy("digest.chart_failed"),
        last_value=copy.decimal(now) if (now := weeks[-1].value) is not None else "",
    )


async def compose_digest(
    *,
    uow: UnitOfWork,
    team: Team,
    leader: Member,
    day: date,
    now: datetime,
    history: str | None = None,
) -> Message:
    """A leader's digest for the week up to `day`, with the way to the team's history."""
    copy = copy_for(team.language)
    week = Week.ending(day)
    members = await uow.teams.members(team.id)
    sellers = sellers_of(members)
    names = {m.id: m.display_name for m in members}
    if week.first == week.last:
        # A digest on a Monday (or `digest` asked then) covers that one day so far.
        title = copy("digest.title_day", team=team.name, day=copy.day(week.first))
    else:
        title = copy(
            "digest.title", team=team.name, first=copy.day(week.first), last=copy.day(week.last)
        )
    blocks: list[Block] = [Heading(title), await _chart(uow, team, week, copy)]
    blocks.append(Paragraph(await response_rate(uow, team, week, copy)))
    blocks += [Paragraph(line) for line in await coverage(uow, sellers, team, day, copy)]
    blocks += [Paragraph(line) for line in await recognition(uow, team, members, now, copy)]
    wins = await uow.wins.between(team_id=team.id, first=week.first, last=week.last)
    blocks.append(Heading(copy("digest.wins_heading")))
    if not wins:
        blocks.append(Paragraph(copy.text("digest.wins_none")))
    for win in reversed(wins[-WINS_SHOWN:]):
        name = names.get(win.member_id, "?")
        blocks.append(Paragraph(copy("digest.win_line", name=name, text=win.text)))
    if len(wins) > WINS_SHOWN:
        blocks.append(Note(copy("digest.wins_more", count=len(wins) - WINS_SHOWN)))
    actions = await uow.meetings.open_actions(team.id)
    if actions:
        blocks.append(Heading(copy("digest.actions_heading")))
        blocks += [
            Paragraph(
                copy(
                    "digest.action_line",
                    number=a.number,
                    owner=names.get(a.owner_id, "?"),
                    text=a.text,
                )
            )
            for a in actions
        ]
    span = span_of_control(copy, team, len(sellers))
    if span:
        blocks.append(Paragraph(span))
    found = await roles(uow, team, members, day, copy)
    if found:
        blocks.append(Heading(copy("digest.roles_heading")))
        blocks += [Paragraph(line) for line in found]
    blocks += [Heading(copy("digest.reflection_heading")), Paragraph(reflection(copy, day))]
    if history is not None:
        blocks.append(Link(history, copy("digest.history")))
    blocks.append(Note(copy("digest.private")))
    return Message(summary=title, blocks=tuple(blocks))


async def show_digest(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`digest`: this week's digest so far, now."""
    day = turn.now.astimezone(member_zone(turn.member, turn.team)).date()
    message = await compose_digest(
        uow=turn.uow,
        team=turn.team,
        leader=turn.member,
        day=day,
        now=turn.now,
        history=history_link(turn.actor, turn.policy),
    )
    return Reply(message=message)


async def compose_digests(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """Each queued digest (None: the leader has left the team)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        if job.member.removed_at is not None or job.member.role is not Role.LEADER:
            messages[job.delivery.id] = None
            continue
        messages[job.delivery.id] = await compose_digest(
            uow=uow,
            team=job.team,
            leader=job.member,
            day=job.delivery.local_date,
            now=job.delivery.due_at,
            history=history_link(
                Actor(job.member.workspace_id, job.member.user_id, job.team.platform), policy
            ),
        )
    return messages


HABIT = Habit(
    name="digest",
    commands=(
        TeamCommand(("digest",), "help.digest", show_digest, role=Role.LEADER, private=True),
    ),
    jobs=(JobSpec("digests", claim_digests),),
    composers=(
        ComposerSpec(DeliveryKind.DIGEST, compose_digests),
        ComposerSpec(DeliveryKind.PULSE, compose_pulses),
    ),
)
