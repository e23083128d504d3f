"""The home view: a seller's own mornings and wins; a leader's day, with quick actions."""

from __future__ import annotations

from datetime import date, timedelta

from pepptalk.core.calendar import is_workday, local_today
from pepptalk.core.i18n import Copy
from pepptalk.core.messages import (
    Block,
    Divider,
    Fields,
    Heading,
    Link,
    Message,
    Note,
    Paragraph,
)
from pepptalk.handlers.habit import Habit, Turn
from pepptalk.handlers.help import help_card
from pepptalk.handlers.history import history_link
from pepptalk.handlers.recognition import shout_buttons
from pepptalk.handlers.seen import due_on, is_due, seen_line, talk_buttons
from pepptalk.store.models import Member, Team
from pepptalk.store.teams import Membership
from pepptalk.store.uow import UnitOfWork

RECENT_MOODS = 7
RECENT_WINS = 5
STREAK_LOOKBACK = 120


def streak(team: Team, answered: set[date], today: date, member: Member | None = None) -> int:
    """Workdays in a row with an answer, counting back from today (or yesterday, if not yet)."""
    day = today if today in answered else today - timedelta(days=1)
    count = 0
    for _ in range(STREAK_LOOKBACK):
        if is_workday(team, day, member):
            if day not in answered:
                break
            count += 1
        day -= timedelta(days=1)
    return count


async def _seller_home(uow: UnitOfWork, seat: Membership, today: date, copy: Copy) -> list[Block]:
    checkins = await uow.checkins.recent(member_id=seat.member.id, limit=STREAK_LOOKBACK)
    days = streak(seat.team, {c.local_date for c in checkins}, today, seat.member)
    blocks: list[Block] = [
        Heading(copy("home.seller_title", name=seat.member.display_name.split(" ")[0])),
        Paragraph(copy("home.streak", count=days) if days else copy("home.no_streak")),
    ]
    if checkins:
        recent = checkins[:RECENT_MOODS]
        blocks.append(
            Fields(tuple((copy.short_date(c.local_date), copy.mood_label(c.mood)) for c in recent))
        )
    wins = await uow.wins.recent(team_id=seat.team.id, member_id=seat.member.id, limit=RECENT_WINS)
    blocks.append(Heading(copy("home.your_wins")))
    if wins:
        for win in wins:
            mark = f" {copy('home.shouted_mark')}" if win.shouted_at else ""
            blocks.append(Paragraph(f"{copy.short_date(win.won_on)}: {win.text}{mark}"))
    else:
        blocks.append(Paragraph(copy.text("home.no_wins")))
    blocks.append(Note(copy("checkin.who_sees", leaders=copy("checkin.leaders_fallback"))))
    return blocks


async def _leader_home(uow: UnitOfWork, seat: Membership, today: date, copy: Copy) -> list[Block]:
    team = seat.team
    members = await uow.teams.members(team.id)
    sellers = await uow.teams.sellers(team.id)
    moods = {c.member_id: c for c in await uow.checkins.of_team(team_id=team.id, day=today)}
    last = await uow.feedback.latest(team.id)
    blocks: list[Block] = [
        Heading(copy("home.leader_title", team=team.name)),
        Paragraph(copy("home.answered_today", answered=len(moods), sellers=len(sellers))),
    ]
    attention = [
        m
        for m in sellers
        if is_due(m, last.get(m.id), today) or (m.id in moods and moods[m.id].mood.is_low)
    ]
    attention.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    blocks.append(Heading(copy("home.attention")))
    if not attention:
        blocks.append(Paragraph(copy("home.all_seen")))
    for seller in attention:
        line = seen_line(
            copy, team, seller, last.get(seller.id), today, this_morning=moods.get(seller.id)
        )
        blocks.append(Paragraph(f"{seller.display_name}: {line}"))
        blocks.append(talk_buttons(copy, f"home:{seller.id}", seller))
    waiting = await uow.wins.recent(team_id=team.id, unshouted=True, limit=RECENT_WINS)
    if waiting:
        names = {m.id: m.display_name for m in members}
        blocks.append(Divider())
        blocks.append(Heading(copy("home.wins_waiting")))
        for win in waiting:
            blocks.append(
                Paragraph(copy("wins.to_leader", name=names.get(win.member_id, "?"), text=win.text))
            )
            blocks.append(shout_buttons(copy, win, group=f"homewin:{win.id}"))
    return blocks


async def home_view(*, turn: Turn) -> Message:
    """What a person sees on Pepptalk's home: their own view, or how to start."""
    seat = turn.seat
    if seat is None:
        return help_card(turn)
    copy = turn.copy
    today = local_today(seat.member, seat.team, turn.now)
    if seat.is_leader:
        blocks = await _leader_home(turn.uow, seat, today, copy)
    else:
        blocks = await _seller_home(turn.uow, seat, today, copy)
    link = history_link(turn.actor, turn.policy)
    if link is not None:
        blocks.append(Link(link, copy("home.history" if seat.is_leader else "home.history_own")))
    blocks.append(Divider())
    blocks.extend(help_card(turn).blocks)
    return Message(summary=copy("home.title"), blocks=tuple(blocks))


HABIT = Habit(name="home", home=home_view)
