"""The leader's morning summary: who answered, the team's mood, and who could use a word."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import CATCH_UP, is_workday, member_zone, window_day
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Block, Fields, Heading, Message, Note, Paragraph, Reply
from pepptalk.handlers.checkin import mood_label
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ComposerSpec, Habit, JobSpec, TeamCommand, TeamTurn
from pepptalk.store.models import Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork


def summary_delay(team: Team) -> timedelta:
    """How long after check-in time a team's summary comes."""
    return timedelta(minutes=team.summary_delay_minutes)


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
                        due_at=queued_at,
                    )
                )
    return await uow.outbox.claim(due)


async def compose_summary(
    *, uow: UnitOfWork, team: Team, day: date, skip_if_nobody_asked: bool
) -> Message | None:
    """The team summary for a date; None when nobody was asked and there is nothing to say."""
    copy = copy_for(team.language)
    sellers = await uow.teams.sellers(team.id)
    by_member = {c.member_id: c for c in await uow.checkins.of_team(team_id=team.id, day=day)}
    asked = await uow.outbox.asked(team_id=team.id, day=day)
    # Someone who answered without being asked (say, on a day off) still counts as asked.
    asked_sellers = [m for m in sellers if m.id in asked or m.id in by_member]
    if not asked_sellers and skip_if_nobody_asked:
        return None
    title = copy("summary.title", date=copy.date(day))
    blocks: list[Block] = [Heading(title)]
    if not asked_sellers:
        blocks.append(Paragraph(copy("summary.not_asked")))
        return Message(summary=title, blocks=tuple(blocks))
    answered = [m for m in asked_sellers if m.id in by_member]
    headline = copy("summary.answered", answered=len(answered), asked=len(asked_sellers))
    if answered:
        average = sum(by_member[m.id].mood for m in answered) / len(answered)
        headline = f"{headline} · {copy('summary.mood', average=copy.decimal(average))}"
        blocks.append(Paragraph(headline))
        blocks.append(
            Fields(
                tuple((m.display_name, mood_label(copy, by_member[m.id].mood)) for m in answered)
            )
        )
    else:
        blocks.append(Paragraph(f"{headline} · {copy('summary.no_answers')}"))
    low = [m for m in answered if by_member[m.id].mood.is_low]
    if low:
        blocks.append(Heading(copy("summary.low_heading")))
        for member in low:
            checkin = by_member[member.id]
            mood = mood_label(copy, checkin.mood)
            if checkin.note and not checkin.note_private:
                line = copy(
                    "summary.low_line_note", name=member.display_name, mood=mood, note=checkin.note
                )
            else:
                line = copy("summary.low_line", name=member.display_name, mood=mood)
            blocks.append(Paragraph(line))
        blocks.append(Note(copy("summary.low_hint")))
    elif answered:
        blocks.append(Paragraph(copy("summary.all_well")))
    waiting = [m.display_name for m in asked_sellers if m.id not in by_member]
    if waiting:
        blocks.append(Note(copy("summary.waiting", names=copy.join(waiting))))
    return Message(summary=headline, blocks=tuple(blocks))


async def show_summary(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """A leader's `checkin`: today's summary, right now."""
    day = turn.now.astimezone(member_zone(turn.member, turn.team)).date()
    message = await compose_summary(
        uow=turn.uow, team=turn.team, day=day, skip_if_nobody_asked=False
    )
    return Reply(message=message)


async def claim_summaries(*, uow: UnitOfWork, now: datetime, queued_at: datetime) -> int:
    """Queue every leader summary that is due at `now`; returns how many were newly queued."""
    return await claim_for_leaders(
        uow=uow, kind=DeliveryKind.SUMMARY, after=summary_delay, now=now, queued_at=queued_at
    )


async def compose_summaries(
    *, uow: UnitOfWork, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    """Summaries for queued deliveries; None where nobody was asked that day."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        if job.member.removed_at is not None:
            messages[job.delivery.id] = None
            continue
        messages[job.delivery.id] = await compose_summary(
            uow=uow, team=job.team, day=job.delivery.local_date, skip_if_nobody_asked=True
        )
    return messages


HABIT = Habit(
    name="summary",
    commands=(TeamCommand(("checkin",), "help.checkin_leader", show_summary, role=Role.LEADER),),
    jobs=(JobSpec("summaries", claim_summaries),),
    composers=(ComposerSpec(DeliveryKind.SUMMARY, compose_summaries),),
)
