"""The leader's morning summary: who answered, the team's mood, and who could use a word."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.handlers.calendar import member_zone
from pepptalk.handlers.checkin import LOW_MOOD, mood_label
from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.leader_messages import claim_for_leaders
from pepptalk.handlers.messages import Block, Fields, Heading, Message, Note, Paragraph, Reply
from pepptalk.handlers.models import SELLER, Team
from pepptalk.handlers.store import DeliveryJob, Membership, Store

KIND = "summary"


async def compose_summary(
    *, store: Store, team: Team, day: date, skip_if_nobody_asked: bool
) -> Message | None:
    """The team summary for a date; None when nobody was asked and there is nothing to say."""
    copy = copy_for(team.language)
    members = await store.members(team.id)
    checkins, asked = await store.team_day(team_id=team.id, local_date=day)
    by_member = {c.member_id: c for c in checkins}
    sellers = [m for m in members if m.role == SELLER]
    # Someone who answered without being asked (say, on a day off) still counts as asked.
    asked_sellers = [m for m in sellers if m.id in asked or m.id in by_member]
    if not asked_sellers and skip_if_nobody_asked:
        return None
    blocks: list[Block] = [Heading(copy("summary.title", date=copy.date(day)))]
    if not asked_sellers:
        blocks.append(Paragraph(copy("summary.not_asked")))
        return Message(summary=copy("summary.title", date=copy.date(day)), blocks=tuple(blocks))
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
    low = [m for m in answered if by_member[m.id].mood <= LOW_MOOD]
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


async def show_summary(*, store: Store, seat: Membership, now: datetime) -> Reply:
    """A leader's `/pepptalk checkin`: today's summary, right now."""
    day = now.astimezone(member_zone(seat.member, seat.team)).date()
    message = await compose_summary(
        store=store, team=seat.team, day=day, skip_if_nobody_asked=False
    )
    return Reply(message=message)


async def claim_summaries(*, store: Store, now: datetime, queued_at: datetime | None = None) -> int:
    """Queue every leader summary that is due at `now`; returns how many were newly queued."""
    return await claim_for_leaders(
        store=store,
        kind=KIND,
        after=lambda team: timedelta(minutes=team.summary_delay_minutes),
        now=now,
        queued_at=queued_at,
    )


async def compose_summary_deliveries(
    *, store: Store, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    """Summaries for queued deliveries; None where nobody was asked that day."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        if job.member.removed_at is not None:
            messages[job.delivery.id] = None
            continue
        messages[job.delivery.id] = await compose_summary(
            store=store, team=job.team, day=job.delivery.local_date, skip_if_nobody_asked=True
        )
    return messages
