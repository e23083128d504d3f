"""Recognition that puts sellers on top: wins, and the leader's one-tap shout-out."""

from __future__ import annotations

from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import (
    Button,
    Buttons,
    Message,
    Note,
    Paragraph,
    Person,
    Reply,
    Style,
    Text,
    text_reply,
)
from pepptalk.core.privacy import Policy
from pepptalk.core.values import whole_number
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import (
    ButtonSpec,
    ComposerSpec,
    Habit,
    TeamCommand,
    TeamTurn,
    by_value,
)
from pepptalk.store.models import Team, Win
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

SHOUT = "win_shout"
TEXT_MAX = 500


async def log_win(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`win <text>`: keep the win and let the leader know, with a shout-out button."""
    copy, team = turn.copy, turn.team
    text = " ".join(line.rest().split())
    if not text:
        return text_reply(copy.text("wins.empty"))
    if len(text) > TEXT_MAX:
        return text_reply(copy("errors.text_too_long", length=len(text), max=TEXT_MAX))
    day = turn.today
    win = await turn.uow.wins.add(seller=turn.member, text=text, day=day, now=turn.now)
    leaders = [m for m in await turn.uow.teams.members(team.id) if m.role is Role.LEADER]
    # Each win is its own delivery, so several wins a day each reach the leader.
    await turn.uow.outbox.claim(
        NewDelivery(
            workspace_id=team.workspace_id,
            team_id=team.id,
            member_id=leader.id,
            kind=DeliveryKind.WIN.keyed(win.id),
            local_date=day,
            due_at=turn.now,
        )
        for leader in leaders
    )
    return text_reply(copy("wins.logged"))


def _channel_hint(team: Team) -> Text:
    copy = copy_for(team.language)
    if team.channel_id:
        return copy.text("wins.shout_hint", channel=team.channel_name or team.channel_id)
    return copy.text("wins.no_channel_hint")


def shout_buttons(copy: Copy, win: Win, *, group: str) -> Buttons:
    """The one-tap shout-out for a win."""
    return Buttons(
        group=group,
        buttons=(Button(copy("wins.shout_button"), SHOUT, str(win.id), Style.PRIMARY),),
    )


async def compose_wins(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """The leader's message for each new win, with the shout-out button."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        win_id = whole_number(job.delivery.kind.partition(":")[2])
        win = await uow.wins.get(win_id) if win_id is not None else None
        seller = await uow.teams.seller(job.team.id, member_id=win.member_id) if win else None
        if win is None or seller is None or job.member.removed_at is not None:
            messages[job.delivery.id] = None
            continue
        copy = copy_for(job.team.language)
        headline = copy("wins.to_leader", name=seller.display_name, text=win.text)
        messages[job.delivery.id] = Message(
            summary=headline,
            blocks=(
                Paragraph(headline),
                shout_buttons(copy, win, group=f"win:{win.id}"),
                Note(_channel_hint(job.team)),
            ),
        )
    return messages


async def shout_out(*, turn: TeamTurn, target: int) -> Reply:
    """The shout-out button: praise for the seller, by name, in the team channel. Once."""
    copy, team = turn.copy, turn.team
    win = await turn.uow.wins.get(target)
    if win is None or win.team_id != team.id:
        return text_reply(copy("wins.not_found"))
    if not team.channel_id:
        return text_reply(copy.text("wins.need_channel"))
    seller = await turn.uow.teams.seller(team.id, member_id=win.member_id)
    name = seller.display_name if seller else "?"
    # Marked first, in this transaction: a second tap waits for it and then finds it given.
    if not await turn.uow.wins.mark_shouted(win_id=win.id, now=turn.now):
        return text_reply(copy("wins.already", name=name))
    praise = copy("wins.shout_post", name=name, text=win.text)
    # The seller is mentioned where the platform can, so they are told of the praise.
    mentioned = (
        copy.text("wins.shout_post", name=Person(seller.user_id, name), text=win.text)
        if seller
        else praise
    )
    post = Message(
        summary=praise,
        blocks=(
            Paragraph(mentioned),
            Note(copy("wins.shout_from", leader=turn.member.display_name)),
        ),
    )
    # When posting fails, the mark goes back with the transaction, so the leader can tap again.
    await turn.post_in_channel(post)
    done = copy("wins.shouted", name=name, channel=team.channel_name or team.channel_id)
    return Reply(
        message=Message(
            summary=done,
            blocks=(Paragraph(copy("wins.to_leader", name=name, text=win.text)), Note(done)),
        ),
        replace=True,
    )


HABIT = Habit(
    name="recognition",
    commands=(TeamCommand(("win",), "help.win", log_win, role=Role.SELLER),),
    buttons=(ButtonSpec(SHOUT, by_value(read_id), shout_out, Role.LEADER, "wins.not_found"),),
    composers=(ComposerSpec(DeliveryKind.WIN, compose_wins),),
)
