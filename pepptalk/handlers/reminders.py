"""One gentle reminder to a seller who has not answered yet: a while after check-in time, always
before the summary, never on a day off or while paused, and never to a seller who said
`remind off`."""

from __future__ import annotations

from datetime import datetime, timedelta

from pepptalk.core.calendar import is_paused, member_zone, window_day
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Message, Note, Paragraph, Reply, text_reply
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.checkin import first_name, mood_buttons
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ComposerSpec, Habit, JobSpec, TeamCommand, TeamTurn
from pepptalk.handlers.leaders import summary_delay
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

REMIND_AFTER = timedelta(minutes=15)
# However late a check-in went out, a seller has this long to answer before a reminder.
GRACE = timedelta(minutes=10)


async def claim_reminders(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
    """Queue a reminder for each seller asked this morning who has not answered, from a while
    after check-in time until their leader's summary, once their check-in has had a while."""
    due: list[NewDelivery] = []
    for team, members in await uow.teams.with_members():
        window = summary_delay(team) - REMIND_AFTER
        if window <= timedelta():
            continue
        for seller in members:
            if seller.role is not Role.SELLER or not seller.reminders:
                continue
            zone = member_zone(seller, team)
            day = window_day(now, team.checkin_time, zone, after=REMIND_AFTER, length=window)
            if day is None or is_paused(seller, day):
                continue
            due.append(
                NewDelivery(
                    workspace_id=team.workspace_id,
                    team_id=team.id,
                    member_id=seller.id,
                    kind=DeliveryKind.REMINDER,
                    local_date=day,
                    due_at=queued_at,
                )
            )
    # A check-in that went out late (the server was down, say) gets its own while first.
    asked = await uow.outbox.sent_at(
        DeliveryKind.CHECKIN, ((d.member_id, d.local_date) for d in due)
    )
    ready = [d for d in due if (at := asked.get((d.member_id, d.local_date))) and at <= now - GRACE]
    return await uow.outbox.claim(ready)


async def compose_reminders(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """The reminder, with the mood buttons; None when the seller has answered (or was never
    asked: a holiday, a pause) by the time it would go out."""
    keys = [(job.member.id, job.delivery.local_date) for job in jobs]
    answers = await uow.checkins.of_many(keys)
    asked = await uow.outbox.sent_at(DeliveryKind.CHECKIN, keys)
    messages: dict[int, Message | None] = {}
    for job in jobs:
        day, member = job.delivery.local_date, job.member
        if (
            (member.id, day) not in asked
            or (member.id, day) in answers
            or member.removed_at is not None
            or is_paused(member, day)
            or not member.reminders
        ):
            messages[job.delivery.id] = None
            continue
        copy = copy_for(job.team.language)
        said = copy("reminders.reminder", name=first_name(member))
        messages[job.delivery.id] = Message(
            summary=said,
            blocks=(
                Paragraph(said),
                mood_buttons(copy, day),
                Note(copy.text("reminders.how_to_stop")),
            ),
        )
    return messages


async def set_reminders(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`remind on|off`: whether this seller gets the reminder when they have not answered."""
    copy, word = turn.copy, line.arg(0).lower()
    if word not in ("on", "off"):
        return text_reply(copy.text("reminders.usage"))
    turn.member.reminders = word == "on"
    return text_reply(copy("reminders.on" if turn.member.reminders else "reminders.off"))


HABIT = Habit(
    name="reminders",
    commands=(TeamCommand(("remind",), "help.remind", set_reminders, role=Role.SELLER),),
    jobs=(JobSpec("reminders", claim_reminders),),
    composers=(ComposerSpec(DeliveryKind.REMINDER, compose_reminders, for_its_day=True),),
)
