"""Every seller seen: who is due a talk (`seen`), and the leader's daily nudge: log or snooze."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import (
    Block,
    Button,
    Buttons,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    text_reply,
)
from pepptalk.handlers.feedback import (
    LOG_ACTION,
    cadence_label,
    due_on,
    kind_label,
    seller_by_id,
)
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import (
    ButtonSpec,
    ComposerSpec,
    Habit,
    JobSpec,
    TeamCommand,
    TeamTurn,
    by_value,
)
from pepptalk.handlers.summary import claim_for_leaders, summary_delay
from pepptalk.store.models import Feedback, Member, Team
from pepptalk.store.outbox import DeliveryJob
from pepptalk.store.uow import UnitOfWork

SNOOZE = "feedback_snooze"
# The nudge follows the summary by a few minutes, so the two arrive in that order.
NUDGE_AFTER_SUMMARY = timedelta(minutes=5)


def seen_line(
    copy: Copy,
    seller: Member,
    last: Feedback | None,
    today: date,
    shouted: datetime | None = None,
    *,
    with_recognition: bool = False,
) -> str:
    """One seller in `seen`: last talk, cadence and wish, whether they are due, and praise."""
    parts = [
        copy("feedback.last", kind=kind_label(copy, last.kind), date=copy.short_date(last.given_on))
        if last
        else copy("feedback.last_none")
    ]
    cadence = cadence_label(copy, seller.cadence)
    if seller.cadence_wish and seller.cadence_wish != seller.cadence:
        cadence = copy(
            "feedback.with_wish", cadence=cadence, wish=cadence_label(copy, seller.cadence_wish)
        )
    parts.append(cadence)
    due = due_on(seller, last)
    if due < today:
        parts.append(copy("feedback.overdue", date=copy.short_date(due)))
    elif due == today:
        parts.append(copy("feedback.due_today"))
    else:
        parts.append(copy("feedback.next", date=copy.short_date(due)))
    if with_recognition:
        parts.append(
            copy("wins.last_shout", date=copy.short_date(shouted.date()))
            if shouted
            else copy("wins.no_shout")
        )
    return " · ".join(parts)


def is_due(seller: Member, last: Feedback | None, day: date) -> bool:
    """Whether a seller belongs in the day's nudge: due or overdue, and not snoozed."""
    snoozed = seller.feedback_snoozed_until
    return due_on(seller, last) <= day and (snoozed is None or snoozed < day)


def talk_buttons(copy: Copy, group: str, seller: Member) -> Buttons:
    """ "Log feedback" and "Snooze a day" for one seller."""
    return Buttons(
        group=group,
        buttons=(
            Button(copy("feedback.log_button"), LOG_ACTION, str(seller.id), Style.PRIMARY),
            Button(copy("feedback.snooze_button"), SNOOZE, str(seller.id)),
        ),
    )


async def show_seen(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`seen`: when each seller last got feedback, and who is due or overdue."""
    copy, team = turn.copy, turn.team
    sellers = await turn.uow.teams.sellers(team.id)
    if not sellers:
        return text_reply(copy.text("team.no_sellers"))
    last = await turn.uow.feedback.latest(team.id)
    shouted = await turn.uow.wins.last_shoutouts(team.id)
    today = turn.today
    # Most overdue first: the people who most need a word.
    sellers.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    pairs = tuple(
        (
            m.display_name,
            seen_line(copy, m, last.get(m.id), today, shouted.get(m.id), with_recognition=True),
        )
        for m in sellers
    )
    blocks = (
        Heading(copy("feedback.seen_title")),
        Fields(pairs),
        Note(copy.text("feedback.seen_hint")),
    )
    return Reply(message=Message(summary=copy("feedback.seen_title"), blocks=blocks))


async def compose_nudge(*, uow: UnitOfWork, team: Team, day: date) -> Message | None:
    """The leader's daily nudge: sellers due a talk, each with "log" and "snooze"; None if none."""
    copy = copy_for(team.language)
    sellers = await uow.teams.sellers(team.id)
    last = await uow.feedback.latest(team.id)
    due = [m for m in sellers if is_due(m, last.get(m.id), day)]
    if not due:
        return None
    due.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    blocks: list[Block] = [
        Heading(copy("feedback.nudge_title")),
        Paragraph(copy("feedback.nudge_intro")),
    ]
    for seller in due:
        blocks.append(
            Paragraph(f"{seller.display_name}: {seen_line(copy, seller, last.get(seller.id), day)}")
        )
        blocks.append(talk_buttons(copy, f"nudge:{seller.id}", seller))
    return Message(summary=copy("feedback.nudge_title"), blocks=tuple(blocks))


async def claim_nudges(*, uow: UnitOfWork, now: datetime, queued_at: datetime) -> int:
    """Queue each leader's nudge, a few minutes after their summary, on workdays."""
    return await claim_for_leaders(
        uow=uow,
        kind=DeliveryKind.NUDGE,
        after=lambda team: summary_delay(team) + NUDGE_AFTER_SUMMARY,
        now=now,
        queued_at=queued_at,
    )


async def compose_nudges(*, uow: UnitOfWork, jobs: list[DeliveryJob]) -> dict[int, Message | None]:
    """Nudges for queued deliveries; None where nobody is due."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        removed = job.member.removed_at is not None
        messages[job.delivery.id] = (
            None
            if removed
            else await compose_nudge(uow=uow, team=job.team, day=job.delivery.local_date)
        )
    return messages


async def snooze_seller(*, turn: TeamTurn, target: int) -> Reply:
    """ "Snooze a day": leave this seller out of tomorrow's nudge; the nudge updates in place."""
    copy = turn.copy
    seller = await seller_by_id(turn, target)
    today = turn.today
    until = today + timedelta(days=1)
    seller.feedback_snoozed_until = until
    nudge = await compose_nudge(uow=turn.uow, team=turn.team, day=today)
    said = copy("feedback.snoozed", name=seller.display_name, date=copy.short_date(until))
    if nudge is None:
        return Reply(message=Message(summary=said, blocks=(Paragraph(said),)), replace=True)
    note = Paragraph(said)
    return Reply(message=Message(summary=nudge.summary, blocks=(*nudge.blocks, note)), replace=True)


HABIT = Habit(
    name="seen",
    commands=(TeamCommand(("seen",), "help.seen", show_seen, role=Role.LEADER),),
    buttons=(
        ButtonSpec(SNOOZE, by_value(read_id), snooze_seller, Role.LEADER, "feedback.seller_gone"),
    ),
    jobs=(JobSpec("nudges", claim_nudges),),
    composers=(ComposerSpec(DeliveryKind.NUDGE, compose_nudges),),
)
