"""Every seller seen: when each seller's next talk is due, `seen`, and the leader's daily nudge.

Worded as help, not control: "time for a chat", never "overdue since". A seller new on the team
gets a first talk within their first days; a low morning pulls a talk to today; a paused seller
is left out; "Snooze a day" means "remind me tomorrow".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.core.calendar import is_paused, is_workday
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
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
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
from pepptalk.handlers.leaders import claim_for_leaders, next_workday, summary_delay
from pepptalk.store.feedback import SellerSeen
from pepptalk.store.models import Checkin, Feedback, Member, Team
from pepptalk.store.outbox import DeliveryJob
from pepptalk.store.uow import UnitOfWork

LOG_ACTION = "feedback_log"
SNOOZE = "feedback_snooze"
NUDGE_GROUP = "nudge"
# The nudge follows the summary by a few minutes, so the two arrive in that order.
NUDGE_AFTER_SUMMARY = timedelta(minutes=5)
# Slack takes 25 buttons a row; a team larger than this logs the rest with `feedback`.
SEEN_BUTTONS = 20
# A new seller's first talk is due within their first days on the team.
FIRST_TALK_WITHIN = timedelta(days=3)


def due_on(member: Member, last: Feedback | None) -> date:
    """When a seller's next feedback talk is due."""
    if last is None:
        due = member.joined_at.date() + FIRST_TALK_WITHIN
    else:
        due = last.given_on + timedelta(days=member.cadence.days)
    pulled = member.feedback_pulled_on
    if pulled is not None and (last is None or pulled > last.given_on):
        # A low morning brings the next talk forward, never pushes it back.
        due = min(due, pulled)
    return due


def is_due(seller: Member, last: Feedback | None, day: date) -> bool:
    """Whether a seller belongs in the day's nudge: due, not snoozed today, not paused."""
    snoozed = seller.feedback_snoozed_until
    return (
        due_on(seller, last) <= day
        and (snoozed is None or snoozed < day)
        and not is_paused(seller, day)
    )


def on_a_workday(team: Team, day: date) -> date:
    """A due date as the leader will meet it: the team's next workday from it on."""
    return day if is_workday(team, day) else next_workday(team, day)


def _started_low(checkin: Checkin | None) -> bool:
    return checkin is not None and checkin.mood.is_low


def seen_line(
    copy: Copy,
    team: Team,
    seller: Member,
    last: Feedback | None,
    today: date,
    *,
    this_morning: Checkin | None = None,
) -> str:
    """One seller: a low start today, their last talk, cadence (and wish), and what is next."""
    parts = []
    if this_morning is not None and this_morning.mood.is_low:
        parts.append(copy("feedback.started_low", mood=copy.mood_label(this_morning.mood)))
    if last is None:
        parts.append(copy("feedback.new_seller", date=copy.day(seller.joined_at.date())))
    else:
        parts.append(
            copy(
                "feedback.last",
                kind=copy.kind(last.kind).lower(),
                ago=copy.ago(last.given_on, today),
            )
        )
    cadence = copy.cadence(seller.cadence)
    if seller.cadence_wish and seller.cadence_wish != seller.cadence:
        cadence = copy(
            "feedback.with_wish", cadence=cadence, wish=copy.cadence(seller.cadence_wish)
        )
    parts.append(cadence)
    due = due_on(seller, last)
    if is_paused(seller, today):
        parts.append(copy("feedback.paused"))
    elif due <= today:
        parts.append(copy("feedback.first_chat" if last is None else "feedback.time_for_chat"))
    elif last is None:
        parts.append(copy("feedback.first_chat_by", date=copy.day(on_a_workday(team, due))))
    else:
        parts.append(copy("feedback.next", date=copy.day(on_a_workday(team, due))))
    return " · ".join(parts)


def talk_buttons(copy: Copy, group: str, seller: Member) -> Buttons:
    """ "Log feedback" and "Snooze a day" for one seller."""
    return Buttons(
        group=group,
        buttons=(
            Button(
                copy("feedback.log_button"),
                LOG_ACTION,
                str(seller.id),
                Style.PRIMARY,
                reader=copy("feedback.log_for", name=seller.display_name),
            ),
            Button(
                copy("feedback.snooze_button"),
                SNOOZE,
                str(seller.id),
                reader=copy("feedback.snooze_for", name=seller.display_name),
            ),
        ),
    )


async def show_seen(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`seen`: when each seller last had a talk, and who could use one now."""
    copy, team, today = turn.copy, turn.team, turn.today
    seen = await turn.uow.feedback.sellers_seen(team.id, day=today)
    if not seen:
        return text_reply(copy.text("team.no_sellers"))

    def order(row: SellerSeen) -> tuple[bool, date, str]:
        # A low start first, then whoever has waited longest for a talk.
        return (
            not _started_low(row.morning),
            due_on(row.seller, row.last),
            row.seller.display_name,
        )

    pairs = []
    seen.sort(key=order)
    for row in seen:
        seller = row.seller
        line_text = seen_line(copy, team, seller, row.last, today, this_morning=row.morning)
        praise = (
            copy("wins.last_shout", ago=copy.ago(row.shouted.date(), today))
            if row.shouted
            else copy("wins.no_shout")
        )
        pairs.append((seller.display_name, f"{line_text} · {praise}"))
    # One tap to log a talk with anyone on the list, in the same order; each button says whose.
    log_buttons = tuple(
        Button(
            copy("feedback.log_for", name=row.seller.display_name), LOG_ACTION, str(row.seller.id)
        )
        for row in seen[:SEEN_BUTTONS]
    )
    blocks = (
        Heading(copy("feedback.seen_title")),
        Fields(tuple(pairs)),
        Buttons(group="seen", buttons=log_buttons),
        Note(copy.text("feedback.seen_hint")),
    )
    return Reply(message=Message(summary=copy("feedback.seen_title"), blocks=blocks))


async def compose_nudge(
    *, uow: UnitOfWork, team: Team, day: date, logged: dict[int, str] | None = None
) -> Message | None:
    """The leader's nudge for a day: sellers due a talk, a low start first, each with "log" and
    "snooze"; sellers in `logged` keep their row, marked done. None when nobody is left."""
    copy = copy_for(team.language)
    done = logged or {}
    seen = await uow.feedback.sellers_seen(team.id, day=day)
    due = [row for row in seen if is_due(row.seller, row.last, day) or row.seller.id in done]
    if not [row for row in due if row.seller.id not in done]:
        return None
    due.sort(
        key=lambda row: (
            not _started_low(row.morning),
            due_on(row.seller, row.last),
            row.seller.display_name.lower(),
        )
    )
    blocks: list[Block] = [
        Heading(copy("feedback.nudge_title")),
        Paragraph(copy("feedback.nudge_intro")),
    ]
    for row in due:
        seller = row.seller
        # The name as a field's label: set apart (bold) on every platform.
        if seller.id in done:
            blocks.append(Fields(((seller.display_name, done[seller.id]),)))
            continue
        line = seen_line(copy, team, seller, row.last, day, this_morning=row.morning)
        blocks.append(Fields(((seller.display_name, line),)))
        blocks.append(talk_buttons(copy, f"{NUDGE_GROUP}:{seller.id}", seller))
    return Message(summary=copy("feedback.nudge_title"), blocks=tuple(blocks))


async def claim_nudges(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
    """Queue each leader's nudge, a few minutes after their summary, on workdays."""
    return await claim_for_leaders(
        uow=uow,
        kind=DeliveryKind.NUDGE,
        after=lambda team: summary_delay(team) + NUDGE_AFTER_SUMMARY,
        now=now,
        queued_at=queued_at,
    )


async def compose_nudges(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
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
    """ "Snooze a day": off today's list, back on the next workday's; the nudge updates in place."""
    copy = turn.copy
    seller = await turn.seller(target)
    today = turn.today
    seller.feedback_snoozed_until = today
    back = next_workday(turn.team, today, turn.member)
    said = copy("feedback.snoozed", name=seller.display_name, date=copy.day(back))
    nudge = await compose_nudge(uow=turn.uow, team=turn.team, day=today)
    if nudge is None:
        return Reply(message=Message(summary=said, blocks=(Paragraph(said),)), replace=True)
    return Reply(
        message=Message(summary=nudge.summary, blocks=(*nudge.blocks, Note(said))), replace=True
    )


HABIT = Habit(
    name="seen",
    commands=(TeamCommand(("seen",), "help.seen", show_seen, role=Role.LEADER, private=True),),
    buttons=(
        ButtonSpec(SNOOZE, by_value(read_id), snooze_seller, Role.LEADER, "feedback.seller_gone"),
    ),
    jobs=(JobSpec("nudges", claim_nudges),),
    composers=(ComposerSpec(DeliveryKind.NUDGE, compose_nudges, for_its_day=True),),
)
