"""The home view: a seller's own mornings and wins; a leader's day, with quick actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.handlers.calendar import is_workday, local_today
from pepptalk.handlers.checkin import LOW_MOOD, mood_label
from pepptalk.handlers.feedback import LOG_ACTION, SNOOZE, due_on, is_due, seen_line
from pepptalk.handlers.i18n import Copy, copy_for
from pepptalk.handlers.messages import (
    Block,
    Button,
    Buttons,
    Divider,
    Fields,
    Heading,
    Message,
    Note,
    Paragraph,
    Style,
)
from pepptalk.handlers.models import SELLER, Checkin, Team
from pepptalk.handlers.recognition import SHOUT
from pepptalk.handlers.store import Membership, Store
from pepptalk.handlers.team import help_card

RECENT_MOODS = 7
RECENT_WINS = 5
STREAK_LOOKBACK = 120


def streak(team: Team, answered: set[date], today: date) -> int:
    """Workdays in a row with an answer, counting back from today (or yesterday, if not yet)."""
    day = today if today in answered else today - timedelta(days=1)
    count = 0
    for _ in range(STREAK_LOOKBACK):
        if is_workday(team, day):
            if day not in answered:
                break
            count += 1
        day -= timedelta(days=1)
    return count


async def _seller_home(store: Store, seat: Membership, today: date, copy: Copy) -> list[Block]:
    checkins: list[Checkin] = await store.recent_checkins(
        member_id=seat.member.id, limit=STREAK_LOOKBACK
    )
    days = streak(seat.team, {c.local_date for c in checkins}, today)
    blocks: list[Block] = [
        Heading(copy("home.seller_title", name=seat.member.display_name.split(" ")[0])),
        Paragraph(copy("home.streak", count=days) if days else copy("home.no_streak")),
    ]
    if checkins:
        recent = checkins[:RECENT_MOODS]
        blocks.append(
            Fields(tuple((copy.short_date(c.local_date), mood_label(copy, c.mood)) for c in recent))
        )
    wins = await store.recent_wins(
        team_id=seat.team.id, member_id=seat.member.id, limit=RECENT_WINS
    )
    blocks.append(Heading(copy("home.your_wins")))
    if wins:
        for win in wins:
            mark = f" {copy('home.shouted_mark')}" if win.shouted_at else ""
            blocks.append(Paragraph(f"{copy.short_date(win.won_on)}: {win.text}{mark}"))
    else:
        blocks.append(Paragraph(copy("home.no_wins")))
    blocks.append(Note(copy("checkin.who_sees", leaders=copy("checkin.leaders_fallback"))))
    return blocks


async def _leader_home(store: Store, seat: Membership, today: date, copy: Copy) -> list[Block]:
    team = seat.team
    members = await store.members(team.id)
    sellers = [m for m in members if m.role == SELLER]
    checkins, _ = await store.team_day(team_id=team.id, local_date=today)
    moods = {c.member_id: c for c in checkins}
    last = await store.last_feedback(team.id)
    blocks: list[Block] = [
        Heading(copy("home.leader_title", team=team.name)),
        Paragraph(copy("home.answered_today", answered=len(moods), sellers=len(sellers))),
    ]
    attention = [
        m
        for m in sellers
        if is_due(m, last.get(m.id), today) or (m.id in moods and moods[m.id].mood <= LOW_MOOD)
    ]
    attention.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    blocks.append(Heading(copy("home.attention")))
    if not attention:
        blocks.append(Paragraph(copy("home.all_seen")))
    for seller in attention:
        line = seen_line(copy, seller, last.get(seller.id), today)
        if seller.id in moods:
            line = f"{line} · {mood_label(copy, moods[seller.id].mood)}"
        blocks.append(Paragraph(f"{seller.display_name}: {line}"))
        blocks.append(
            Buttons(
                group=f"home:{seller.id}",
                buttons=(
                    Button(copy("feedback.log_button"), LOG_ACTION, str(seller.id), Style.PRIMARY),
                    Button(copy("feedback.snooze_button"), SNOOZE, str(seller.id)),
                ),
            )
        )
    waiting = await store.recent_wins(team_id=team.id, unshouted=True, limit=RECENT_WINS)
    if waiting:
        names = {m.id: m.display_name for m in members}
        blocks.append(Divider())
        blocks.append(Heading(copy("home.wins_waiting")))
        for win in waiting:
            blocks.append(
                Paragraph(copy("wins.to_leader", name=names.get(win.member_id, "?"), text=win.text))
            )
            blocks.append(
                Buttons(
                    group=f"homewin:{win.id}",
                    buttons=(Button(copy("wins.shout_button"), SHOUT, str(win.id), Style.PRIMARY),),
                )
            )
    return blocks


async def home_view(*, store: Store, seat: Membership | None, now: datetime) -> Message:
    """What a person sees on Pepptalk's home: their own view, or how to start."""
    if seat is None:
        return help_card(seat=None)
    copy = copy_for(seat.team.language)
    today = local_today(seat.member, seat.team, now)
    if seat.is_leader:
        blocks = await _leader_home(store, seat, today, copy)
    else:
        blocks = await _seller_home(store, seat, today, copy)
    blocks.append(Divider())
    blocks.extend(help_card(seat=seat).blocks)
    return Message(summary=copy("home.title"), blocks=tuple(blocks))
