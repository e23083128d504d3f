"""New people welcomed: a seller added to a team gets a welcome message (what Pepptalk does, who
sees what, how to pause, how often they'd like feedback), and the leader can greet them in the
team channel with one tap."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pepptalk.core.calendar import local_today
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import (
    Block,
    Button,
    Buttons,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    Text,
)
from pepptalk.core.ports import Press
from pepptalk.core.privacy import Policy
from pepptalk.handlers.checkin import first_name, save_wish, wish_buttons
from pepptalk.handlers.grammar import read_id
from pepptalk.handlers.habit import ButtonSpec, ComposerSpec, Habit, TeamTurn, by_value
from pepptalk.store.models import Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

WISH_ACTION = "welcome_wish"
GREET_ACTION = "welcome_greet"
_GROUP = "welcome"


def compose_welcome(
    *, team: Team, member: Member, leaders: list[str], answered: Text | None = None
) -> Message:
    """The welcome for a seller new on a team; `answered`: what they said to the one question."""
    copy = copy_for(team.language)
    who = copy.join(leaders) or copy("checkin.leaders_fallback")
    title = copy("welcome.title", name=first_name(member), team=team.name)
    blocks: list[Block] = [
        Heading(title),
        Paragraph(copy("welcome.what", time=team.checkin_time)),
        Paragraph(copy("welcome.who_sees", leaders=who)),
        Paragraph(copy.text("welcome.pause")),
    ]
    if answered is None:
        blocks.extend(wish_buttons(copy, _GROUP, WISH_ACTION))
    else:
        blocks.append(Paragraph(answered))
    blocks.append(Note(copy.text("welcome.help")))
    return Message(summary=title, blocks=tuple(blocks))


def welcome_deliveries(team: Team, sellers: Sequence[Member], now: datetime) -> list[NewDelivery]:
    """The welcomes for sellers just added; they are asked there how often they'd like feedback,
    so their first check-in does not ask again."""
    for seller in sellers:
        seller.cadence_asked = True
    return [
        NewDelivery(
            workspace_id=team.workspace_id,
            team_id=team.id,
            member_id=seller.id,
            kind=DeliveryKind.WELCOME,
            local_date=local_today(seller, team, now),
            due_at=now,
        )
        for seller in sellers
    ]


async def compose_welcomes(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """Welcome messages for queued deliveries (None: the seller has left again)."""
    leaders = await uow.teams.leader_names({job.team.id for job in jobs})
    return {
        job.delivery.id: None
        if job.member.removed_at is not None
        else compose_welcome(team=job.team, member=job.member, leaders=leaders[job.team.id])
        for job in jobs
    }


async def record_welcome_wish(*, turn: TeamTurn, target: str) -> Reply:
    """The answer to how often they'd like feedback, on the welcome: it updates in place."""
    said = save_wish(turn, target)
    leaders = await turn.uow.teams.leader_names([turn.team.id])
    welcome = compose_welcome(
        team=turn.team, member=turn.member, leaders=leaders[turn.team.id], answered=said
    )
    return Reply(message=welcome, replace=True)


def greet_button(team: Team, sellers: Sequence[Member]) -> Buttons | None:
    """For the leader, when sellers are added: welcome them in the team channel with one tap."""
    if not team.channel_id or not sellers:
        return None
    copy = copy_for(team.language)
    label = copy("welcome.greet_button", channel=team.channel_name or team.channel_id)
    ids = ",".join(str(s.id) for s in sellers)
    return Buttons(group=_GROUP, buttons=(Button(label, GREET_ACTION, ids, Style.PRIMARY),))


def _read_ids(press: Press) -> list[int] | None:
    ids = [read_id(part) for part in press.value.split(",")]
    return [i for i in ids if i is not None] if ids and None not in ids else None


async def greet_in_channel(*, turn: TeamTurn, target: list[int]) -> Reply:
    """Post a welcome for new sellers in the team channel."""
    copy, team = turn.copy, turn.team
    names = [(await turn.seller(member_id)).display_name for member_id in target]
    post = copy("welcome.greeting", names=copy.join(names), team=team.name)
    message = Message(
        summary=post,
        blocks=(Paragraph(post), Note(copy("wins.shout_from", leader=turn.member.display_name))),
    )
    await turn.post_in_channel(message)
    done = copy("welcome.greeted", channel=team.channel_name or team.channel_id or "")
    return Reply(message=Message(summary=done, blocks=(Paragraph(done),)), replace=True)


HABIT = Habit(
    name="welcome",
    buttons=(
        ButtonSpec(WISH_ACTION, by_value(str), record_welcome_wish, Role.SELLER),
        ButtonSpec(GREET_ACTION, _read_ids, greet_in_channel, Role.LEADER, "feedback.seller_gone"),
    ),
    composers=(ComposerSpec(DeliveryKind.WELCOME, compose_welcomes),),
)
