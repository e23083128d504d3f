"""The team pulse: with `team set pulse on`, the team channel gets the week's mood in aggregate
when the digest goes out: the average and the response rate, from three sellers' answers up
(fewer could be read as one person's), never a name."""

from __future__ import annotations

from datetime import date, datetime

from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import DeliveryKind
from pepptalk.core.messages import Message, Paragraph
from pepptalk.core.privacy import Policy, shareable
from pepptalk.handlers.digest_parts import Week
from pepptalk.store.models import Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork


def pulse_delivery(team: Team, anchor: Member, day: date, due: datetime) -> NewDelivery | None:
    """The week's pulse as an outbox row for the team channel, when the team has turned it on."""
    if not team.pulse or not team.channel_id:
        return None
    return NewDelivery(
        workspace_id=team.workspace_id,
        team_id=team.id,
        member_id=anchor.id,
        kind=DeliveryKind.PULSE,
        local_date=day,
        due_at=due,
        channel_id=team.channel_id,
    )


async def compose_pulse(*, uow: UnitOfWork, team: Team, day: date) -> Message | None:
    """The pulse for the week up to `day` (None: fewer than three sellers answered)."""
    week = Week.ending(day)
    checkins = await uow.checkins.of_team_between(team_id=team.id, first=week.first, last=week.last)
    if not shareable(len({c.member_id for c in checkins})):
        return None
    asked = await uow.outbox.asked_between(team_id=team.id, first=week.first, last=week.last)
    copy = copy_for(team.language)
    answered = min(len(checkins), asked) if asked else len(checkins)
    said = copy(
        "pulse.line",
        first=copy.day(week.first),
        last=copy.day(week.last),
        mood=copy.decimal(sum(int(c.mood) for c in checkins) / len(checkins)),
        answered=answered,
        asked=max(asked, answered),
        share=copy.share(answered / max(asked, answered)),
        sellers=len({c.member_id for c in checkins}),
    )
    return Message(summary=said, blocks=(Paragraph(said),))


async def compose_pulses(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """Queued pulses (None: too few answers, turned off since, or the channel moved)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        team = job.team
        if not team.pulse or team.channel_id != job.delivery.channel_id:
            messages[job.delivery.id] = None
            continue
        messages[job.delivery.id] = await compose_pulse(
            uow=uow, team=team, day=job.delivery.local_date
        )
    return messages
