"""Recognition that puts sellers on top: wins, and the leader's one-tap shout-out."""

from __future__ import annotations

from datetime import datetime

from pepptalk.handlers.calendar import local_today
from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.messages import (
    Button,
    Buttons,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    text_reply,
)
from pepptalk.handlers.models import LEADER, SELLER, Team
from pepptalk.handlers.ports import Chat, DeliveryError, RateLimitedError
from pepptalk.handlers.store import DeliveryJob, Membership, NewDelivery, Store

KIND = "win"
SHOUT = "win_shout"
TEXT_MAX = 500


def delivery_kind(win_id: int) -> str:
    """Each win is its own delivery, so several wins a day each reach the leader."""
    return f"{KIND}:{win_id}"


async def log_win(*, store: Store, seat: Membership, text: str, now: datetime) -> Reply:
    """`win <text>`: keep the win and let the leader know, with a shout-out button."""
    copy = copy_for(seat.team.language)
    if seat.member.role != SELLER:
        return text_reply(copy("errors.sellers_only"))
    text = " ".join(text.split())
    if not text:
        return text_reply(copy("wins.empty"))
    if len(text) > TEXT_MAX:
        return text_reply(copy("errors.note_too_long", length=len(text), max=TEXT_MAX))
    day = local_today(seat.member, seat.team, now)
    win = await store.add_win(seller=seat.member, text=text, day=day, now=now)
    leaders = [m for m in await store.members(seat.team.id) if m.role == LEADER]
    await store.claim(
        NewDelivery(
            workspace_id=seat.team.workspace_id,
            team_id=seat.team.id,
            member_id=leader.id,
            kind=delivery_kind(win.id),
            local_date=day,
            due_at=now,
        )
        for leader in leaders
    )
    return text_reply(copy("wins.logged"))


def _channel_hint(team: Team) -> str:
    copy = copy_for(team.language)
    if team.channel_id:
        return copy("wins.shout_hint", channel=team.channel_name or team.channel_id)
    return copy("wins.no_channel_hint")


async def compose_win_deliveries(
    *, store: Store, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    """The leader's message for each new win, with the shout-out button."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        win_id = job.delivery.kind.partition(":")[2]
        win = await store.win(int(win_id)) if win_id.isdigit() else None
        members = {m.id: m for m in await store.members(job.team.id)}
        seller = members.get(win.member_id) if win else None
        if win is None or seller is None or job.member.removed_at is not None:
            messages[job.delivery.id] = None
            continue
        copy = copy_for(job.team.language)
        headline = copy("wins.to_leader", name=seller.display_name, text=win.text)
        messages[job.delivery.id] = Message(
            summary=headline,
            blocks=(
                Paragraph(headline),
                Buttons(
                    group=f"win:{win.id}",
                    buttons=(Button(copy("wins.shout_button"), SHOUT, str(win.id), Style.PRIMARY),),
                ),
                Note(_channel_hint(job.team)),
            ),
        )
    return messages


async def shout_out(
    *, store: Store, chat: Chat, seat: Membership, value: str, now: datetime
) -> Reply:
    """The shout-out button: praise for the seller, by name, in the team channel. Once."""
    copy = copy_for(seat.team.language)
    if not seat.is_leader:
        return text_reply(copy("errors.leaders_only"))
    win = await store.win(int(value)) if value.isdigit() else None
    if win is None or win.team_id != seat.team.id:
        return text_reply(copy("wins.not_found"))
    team = seat.team
    if not team.channel_id:
        return text_reply(copy("wins.need_channel"))
    seller = next((m for m in await store.members(team.id) if m.id == win.member_id), None)
    name = seller.display_name if seller else "?"
    if not await store.mark_shouted(win_id=win.id, now=now):
        return text_reply(copy("wins.already", name=name))
    praise = copy("wins.shout_post", name=name, text=win.text)
    post = Message(
        summary=praise,
        blocks=(Paragraph(praise), Note(copy("wins.shout_from", leader=seat.member.display_name))),
    )
    try:
        await chat.send_channel(
            platform=team.platform,
            workspace_id=team.workspace_id,
            channel_id=team.channel_id,
            message=post,
        )
    except (DeliveryError, RateLimitedError) as error:
        # Nothing was posted: take the mark back so the leader can simply tap again.
        await store.unmark_shouted(win_id=win.id)
        reason = error.reason if isinstance(error, DeliveryError) else "rate limited"
        return text_reply(copy("wins.post_failed", channel=team.channel_name or "", reason=reason))
    done = copy("wins.shouted", name=name, channel=team.channel_name or team.channel_id)
    return Reply(
        message=Message(
            summary=done,
            blocks=(Paragraph(copy("wins.to_leader", name=name, text=win.text)), Note(done)),
        ),
        replace=True,
    )
