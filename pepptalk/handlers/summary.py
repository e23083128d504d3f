"""The leader's morning summary: who answered, the team's mood, who could use a word, every note a
seller chose to share, and patterns worth naming. A low mood that comes after the summary
reaches the leader on its own, once per seller per day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import member_zone
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Block, Fields, Heading, Message, Note, Paragraph, Reply
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.core.values import whole_number
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ComposerSpec, Habit, JobSpec, TeamCommand, TeamTurn
from pepptalk.handlers.leaders import claim_for_leaders, summary_delay
from pepptalk.handlers.seen import talk_buttons
from pepptalk.store.models import Checkin, Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

LOW_STREAK = 3
# A drop of the team's weekly average by this much is worth naming.
WEEKLY_DROP = 1.0
# Late low moods are looked for this far back (a leader's day and a seller's can differ).
LATE_LOOKBACK = timedelta(days=1)


def low_streaks(sellers: list[Member], history: list[Checkin], day: date) -> list[Member]:
    """Sellers whose last three answers, the latest this week, were all low."""
    by_seller: dict[int, list[Checkin]] = defaultdict(list)
    for checkin in history:
        by_seller[checkin.member_id].append(checkin)
    streaky = []
    for seller in sellers:
        latest = by_seller.get(seller.id, [])[-LOW_STREAK:]
        recent = bool(latest) and (day - latest[-1].local_date).days < 7
        if len(latest) == LOW_STREAK and recent and all(c.mood.is_low for c in latest):
            streaky.append(seller)
    return streaky


def _average(checkins: list[Checkin]) -> float | None:
    return sum(c.mood for c in checkins) / len(checkins) if checkins else None


def patterns(copy: Copy, sellers: list[Member], history: list[Checkin], day: date) -> list[str]:
    """What the last two weeks show: sellers low three mornings running, a team-wide drop."""
    found = [
        copy("summary.pattern_streak", name=seller.display_name)
        for seller in low_streaks(sellers, history, day)
    ]
    week_start = day - timedelta(days=6)
    this_week = _average([c for c in history if c.local_date >= week_start])
    last_week = _average([c for c in history if c.local_date < week_start])
    if this_week is not None and last_week is not None and last_week - this_week >= WEEKLY_DROP:
        found.append(
            copy(
                "summary.pattern_drop",
                before=copy.decimal(last_week),
                now=copy.decimal(this_week),
            )
        )
    return found


def _note_line(copy: Copy, member: Member, checkin: Checkin) -> str:
    mood = copy.mood_label(checkin.mood)
    if checkin.note and not checkin.note_private:
        return copy("summary.line_note", name=member.display_name, mood=mood, note=checkin.note)
    return copy("summary.line", name=member.display_name, mood=mood)


async def compose_summary(
    *, uow: UnitOfWork, team: Team, day: date, skip_if_nobody_asked: bool
) -> Message | None:
    """The team summary for a date; None when nobody was asked and there is nothing to say."""
    copy = copy_for(team.language)
    sellers = await uow.teams.sellers(team.id)
    history = await uow.checkins.of_team_between(
        team_id=team.id, first=day - timedelta(days=13), last=day
    )
    by_member = {c.member_id: c for c in history if c.local_date == day}
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
        average = _average([by_member[m.id] for m in answered]) or 0.0
        headline = f"{headline} · {copy('summary.mood', average=copy.decimal(average))}"
        blocks.append(Paragraph(headline))
        blocks.append(
            Fields(tuple((m.display_name, copy.mood_label(by_member[m.id].mood)) for m in answered))
        )
    else:
        blocks.append(Paragraph(f"{headline} · {copy('summary.no_answers')}"))
    low = [m for m in answered if by_member[m.id].mood.is_low]
    if low:
        blocks.append(Heading(copy("summary.low_heading")))
        blocks.extend(Paragraph(_note_line(copy, m, by_member[m.id])) for m in low)
        blocks.append(Note(copy("summary.low_hint")))
    elif answered:
        blocks.append(Paragraph(copy("summary.all_well")))
    # Every note a seller chose to share belongs here, whatever their mood.
    shared = [
        m
        for m in answered
        if m not in low and by_member[m.id].note and not by_member[m.id].note_private
    ]
    if shared:
        blocks.append(Heading(copy("summary.notes_heading")))
        blocks.extend(Paragraph(_note_line(copy, m, by_member[m.id])) for m in shared)
    seen_patterns = patterns(copy, sellers, history, day)
    if seen_patterns:
        blocks.append(Heading(copy("summary.patterns_heading")))
        blocks.extend(Paragraph(text) for text in seen_patterns)
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


async def claim_summaries(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
    """Queue every leader summary due at `now`, and a word to the leader for each low mood that
    came after their summary; returns how many were newly queued."""
    summaries = await claim_for_leaders(
        uow=uow, kind=DeliveryKind.SUMMARY, after=summary_delay, now=now, queued_at=queued_at
    )
    late = await uow.checkins.low_after_summary(since=(now - LATE_LOOKBACK).date())
    # Keyed by seller, so each leader hears of each seller once a day, however the mood moves.
    return summaries + await uow.outbox.claim(
        NewDelivery(
            workspace_id=low.workspace_id,
            team_id=low.team_id,
            member_id=low.leader_id,
            kind=DeliveryKind.LATE_LOW.keyed(low.seller_id),
            local_date=low.day,
            due_at=queued_at,
        )
        for low in late
    )


async def compose_summaries(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
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


async def compose_late_lows(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """A short word to the leader about a low mood that came after the summary (None when the
    mood has lifted since, or the seller has left)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        seller_id = whole_number(job.delivery.kind.partition(":")[2]) or 0
        seller = await uow.teams.seller(job.team.id, member_id=seller_id)
        checkin = (
            await uow.checkins.of(member_id=seller_id, day=job.delivery.local_date)
            if seller
            else None
        )
        if seller is None or checkin is None or not checkin.mood.is_low:
            messages[job.delivery.id] = None
            continue
        copy = copy_for(job.team.language)
        said = copy("summary.late_low", line=_note_line(copy, seller, checkin))
        messages[job.delivery.id] = Message(
            summary=said,
            blocks=(
                Paragraph(said),
                talk_buttons(copy, f"late:{seller.id}", seller),
                Note(copy("summary.low_hint")),
            ),
        )
    return messages


HABIT = Habit(
    name="summary",
    commands=(
        TeamCommand(
            ("checkin",), "help.checkin_leader", show_summary, role=Role.LEADER, private=True
        ),
    ),
    jobs=(JobSpec("summaries", claim_summaries),),
    composers=(
        ComposerSpec(DeliveryKind.SUMMARY, compose_summaries, for_its_day=True),
        ComposerSpec(DeliveryKind.LATE_LOW, compose_late_lows, for_its_day=True),
    ),
)
