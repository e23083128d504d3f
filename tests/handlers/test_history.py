"""The team's history as the web view reads it, for ten believable weeks written in no order: a
seller who paused for a week, one who left, one new last week, three low mornings in a row, a
week of public holidays, a talk later than its cadence, and a shout-out for the leader's own win.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from pepptalk.core.kinds import (
    AgendaItemKind,
    Cadence,
    DeliveryKind,
    DeliveryStatus,
    FeedbackKind,
    Mood,
    Platform,
    Role,
)
from pepptalk.core.messages import Link
from pepptalk.core.ports import Actor
from pepptalk.core.privacy import Policy
from pepptalk.handlers.history import CellState, TeamHistory, history_link, team_history
from pepptalk.store.database import Database
from pepptalk.store.models import (
    Agenda,
    AgendaItem,
    Checkin,
    Delivery,
    Feedback,
    MeetingAction,
    Member,
    Metric,
    Win,
)
from pepptalk.store.uow import UnitOfWork
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import WORKSPACE, Team

NAMES = {"UANNA": "Anna Berg", "UBJORN": "Bjørn Dahl", "UCARL": "Carl Ek", "UDINA": "Dina Moe"}
# Friday 15 May 2026, 16:00 in Oslo. The weeks shown start Monday 9 March (the team's first).
NOW = datetime(2026, 5, 15, 14, 0, tzinfo=UTC)
FIRST = date(2026, 3, 9)
# Easter (2 to 6 April) and Ascension Day (14 May) in Norway.
HOLIDAYS = {
    date(2026, 4, 2),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
}


def at(day: date, hour: int = 7) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def history(team: Team) -> tuple[dict[str, Member], Member]:
    team.clock.set(at(FIRST, 5))
    await team.create({u: "Europe/Oslo" for u in NAMES if u != "UCARL"}, names=NAMES)
    team.chat.add_user("UCARL", NAMES["UCARL"], "Europe/Oslo")
    team.clock.set(at(date(2026, 5, 4)))  # Carl joins on the Monday before last
    await team.say("ULEAD", "team add <@UCARL>")
    team.clock.set(at(date(2026, 4, 22), 12))  # Dina leaves on Wednesday 22 April
    await team.say("ULEAD", "team remove <@UDINA>")
    team.clock.set(NOW)
    leader = (await team.seat("ULEAD")).member
    async with team.database.uow() as uow:
        people = {m.user_id: m for m in await uow.history.everyone(leader.team_id)}
        for user_id in ("UANNA", "UBJORN", "UDINA"):
            people[user_id].joined_at = at(FIRST, 5)
        people["UANNA"].cadence = Cadence.WEEKLY
        rows: list[Checkin | Delivery | Feedback | Win] = []
        days = [FIRST + timedelta(days=n) for n in range((NOW.date() - FIRST).days + 1)]
        random.Random(7).shuffle(days)
        for day in days:
            if day.weekday() >= 5 or day in HOLIDAYS:
                continue
            for user_id, member in people.items():
                if member.role is not Role.SELLER or member.joined_at.date() > day:
                    continue
                if member.removed_at is not None and member.removed_at.date() <= day:
                    continue
                if user_id == "UBJORN" and date(2026, 4, 13) <= day <= date(2026, 4, 17):
                    continue  # paused that week: nothing went out
                rows.append(_sent(member, day))
                if user_id == "UDINA" and day >= date(2026, 4, 13):
                    continue  # asked, never answered, before she left
                low = user_id == "UANNA" and date(2026, 5, 11) <= day <= date(2026, 5, 13)
                mood = 1 if low else 4 if user_id == "UANNA" else 3
                rows.append(_answer(member, day, Mood(mood)))
        for given_on in (date(2026, 3, 12), date(2026, 3, 19), date(2026, 4, 9)):
            rows.append(_talk(people["UANNA"], leader, given_on))
        for member, text, shouted in (
            (people["UANNA"], "Signed Fjordkraft", True),
            (leader, "My own renewal", True),
            (people["UBJORN"], "First demo booked", False),
        ):
            won = date(2026, 5, 5)
            rows.append(
                Win(
                    workspace_id=WORKSPACE,
                    team_id=leader.team_id,
                    member_id=member.id,
                    text=text,
                    won_on=won,
                    created_at=at(won, 11),
                    shouted_at=at(won, 12) if shouted else None,
                )
            )
        uow.session.add_all(rows)
        await meeting(uow, leader, people["UANNA"])
    return people, leader


async def meeting(uow: UnitOfWork, leader: Member, anna: Member) -> None:
    """Thursday 7 May's meeting: its agenda posted with a why-question, an action recorded there
    and done a week later; the week before it, the team's calls (what the pre-read showed)."""
    held = date(2026, 5, 7)
    agenda = Agenda(
        workspace_id=WORKSPACE,
        team_id=leader.team_id,
        meeting_on=held,
        created_at=at(held - timedelta(days=1)),
        posted_at=at(held, 6),
    )
    uow.session.add(agenda)
    await uow.session.flush()
    why = "Why did meetings booked fall last week, when calls held up?"
    uow.session.add_all(
        [
            AgendaItem(agenda_id=agenda.id, position=1, kind=AgendaItemKind.QUESTION, text=why),
            AgendaItem(agenda_id=agenda.id, position=2, kind=AgendaItemKind.WIN, text="Fjordkraft"),
            MeetingAction(
                workspace_id=WORKSPACE,
                team_id=leader.team_id,
                number=1,
                owner_id=anna.id,
                created_by=leader.id,
                text="Share the renewal script",
                created_at=at(held, 8),
                done_at=at(held + timedelta(days=7), 9),
            ),
        ]
        + [
            Metric(
                workspace_id=WORKSPACE,
                team_id=leader.team_id,
                member_id=anna.id,
                day=date(2026, 4, 27) + timedelta(days=n),
                metric="calls",
                value=10,
                goal=12,
                updated_at=at(held),
            )
            for n in range(5)
        ]
    )


def _sent(member: Member, day: date) -> Delivery:
    return Delivery(
        workspace_id=WORKSPACE,
        team_id=member.team_id,
        member_id=member.id,
        kind=DeliveryKind.CHECKIN.value,
        local_date=day,
        status=DeliveryStatus.SENT,
        attempts=1,
        due_at=at(day),
        sent_at=at(day),
    )


def _answer(member: Member, day: date, mood: Mood) -> Checkin:
    return Checkin(
        workspace_id=WORKSPACE,
        team_id=member.team_id,
        member_id=member.id,
        local_date=day,
        mood=mood,
        answered_at=at(day, 8),
        updated_at=at(day, 8),
    )


def _talk(member: Member, leader: Member, day: date) -> Feedback:
    return Feedback(
        workspace_id=WORKSPACE,
        team_id=member.team_id,
        member_id=member.id,
        given_by=leader.id,
        kind=FeedbackKind.COACHING,
        given_on=day,
        created_at=at(day, 10),
    )


async def read(database: Database, clock: FakeClock, chat: FakeChat) -> TeamHistory:
    team = Team(database, chat, clock)
    people, leader = await history(team)
    async with database.uow() as uow:
        found = await uow.teams.by_id(leader.team_id)
        assert found is not None
        return await team_history(uow=uow, team=found, now=NOW)


def week(monday: date) -> int:
    return (monday - FIRST).days // 7


async def test_ten_weeks_as_a_leader_looks_back(
    database: Database, clock: FakeClock, chat: FakeChat
) -> None:
    history = await read(database, clock, chat)
    assert history.mondays[0] == FIRST and len(history.mondays) == 10
    rows = {row.member.display_name: row for row in history.sellers}
    assert sorted(rows) == ["Anna Berg", "Bjørn Dahl", "Carl Ek", "Dina Moe"]

    anna, bjorn, carl, dina = (rows[n] for n in sorted(rows))
    # Anna: 4 every day, but her last week has three rough mornings.
    assert anna.cells[0].state is CellState.MOOD and anna.cells[0].average == 4
    last = anna.cells[week(date(2026, 5, 11))]
    assert (last.answers, last.average) == (4, 7 / 4)  # Thursday was Ascension Day
    # Bjørn paused the week of 13 April: no answer expected then.
    assert bjorn.cells[week(date(2026, 4, 13))].state is CellState.AWAY
    # Carl was not in the team before the week of 4 May.
    assert carl.cells[week(date(2026, 4, 27))].state is CellState.OUTSIDE
    assert carl.cells[week(date(2026, 5, 4))].state is CellState.MOOD
    # Dina was asked and never answered from 13 April, then left on the 22nd.
    assert dina.cells[week(date(2026, 4, 13))].state is CellState.NO_ANSWER
    assert dina.cells[week(date(2026, 5, 4))].state is CellState.OUTSIDE
    assert dina.left and [m.display_name for m in history.left] == ["Dina Moe"]
    assert [m.display_name for m in history.joined] == ["Carl Ek"]

    # Talks: Anna's third came three weeks after the second, on a weekly cadence.
    assert [(t.gap_days, t.late) for t in anna.talks] == [(3, False), (7, False), (21, True)]
    assert anna.talks[0].first

    # The team: the week of Easter had answers on two days only; a drop is named when a week
    # falls a full point; Anna's three low mornings are named in their week.
    easter = history.moods[week(date(2026, 3, 30))]
    assert (easter.answered, easter.asked) == (9, 9)
    runs = [(p.kind, p.name, p.monday) for p in history.patterns if p.kind == "low_run"]
    assert runs == [("low_run", "Anna Berg", date(2026, 5, 11))]
    # The meeting of 7 May: its question, its action (done on the 14th), the pre-read's calls.
    [held] = history.meetings
    assert [i.text for i in held.items if i.kind is AgendaItemKind.QUESTION] == [
        "Why did meetings booked fall last week, when calls held up?"
    ]
    assert [(a.text, owner, a.done_at) for a, owner in held.actions] == [
        ("Share the renewal script", "Anna Berg", at(date(2026, 5, 14), 9))
    ]
    assert [(f.metric, f.value, f.goal) for f in held.figures] == [("calls", 50.0, 60.0)]
    # Praise: two shout-outs, one of them for the leader's own win.
    assert (history.praise_total, history.praise_to_leaders) == (2, 1)
    assert (anna.wins, anna.shouted, bjorn.wins, bjorn.shouted) == (1, 1, 1, 0)


async def test_a_week_of_holidays_shows_as_such(
    database: Database, clock: FakeClock, chat: FakeChat
) -> None:
    """A team that meets on Mondays only: Easter Monday's week is a holiday, not a silence."""
    team = Team(database, chat, clock)
    clock.set(at(FIRST, 5))
    await team.create({"UANNA": "Europe/Oslo"}, names=NAMES)
    await team.say("ULEAD", "team set days mon")
    async with database.uow() as uow:
        seat = await uow.teams.membership(WORKSPACE, "ULEAD")
        assert seat is not None
        found = await uow.teams.by_id(seat.team.id)
        assert found is not None
        history = await team_history(uow=uow, team=found, now=NOW)
    (anna,) = history.sellers
    assert anna.cells[week(date(2026, 4, 6))].state is CellState.HOLIDAY
    assert anna.cells[week(date(2026, 4, 13))].state is CellState.AWAY


def test_where_each_platform_opens_the_history() -> None:
    policy = Policy(public_url="https://pepptalk.example.com/")
    slack = Actor("T1", "U1", Platform.SLACK)
    teams = Actor("tenant", "oid", Platform.TEAMS)
    playground = Actor("TPLAYGROUND", "UANNA", Platform.PLAYGROUND)
    assert history_link(slack, policy) == (
        "https://pepptalk.example.com/history/signin/slack?team=T1"
    )
    assert history_link(teams, policy) == "https://pepptalk.example.com/history/signin/microsoft"
    assert history_link(playground, Policy()) == "/history?as=UANNA"
    assert history_link(slack, Policy()) is None


async def test_home_and_the_digest_lead_to_the_history(
    database: Database, clock: FakeClock, chat: FakeChat
) -> None:
    policy = Policy(public_url="https://pepptalk.example.com")
    team = Team(database, chat, clock, policy=policy)
    clock.set(at(FIRST, 5))
    await team.create({"UANNA": "Europe/Oslo"}, names=NAMES)
    home = await team.habits.home(Actor(WORKSPACE, "ULEAD", Platform.SLACK))
    links = [b for b in home.blocks if isinstance(b, Link)]
    expected = f"https://pepptalk.example.com/history/signin/slack?team={WORKSPACE}"
    assert [(link.url, link.label) for link in links] == [
        (expected, "Your team's history, week by week")
    ]
    seller_home = await team.habits.home(Actor(WORKSPACE, "UANNA", Platform.SLACK))
    assert [b.label for b in seller_home.blocks if isinstance(b, Link)] == [
        "Your own history: mornings, talks, wins"
    ]
    # Friday's digest, as the schedule sends it, ends with the same way in.
    await team.run("digests", at=datetime(2026, 3, 13, 13, 0, tzinfo=UTC))
    [digest] = [sent.message for sent in chat.to("ULEAD")]
    assert [b.url for b in digest.blocks if isinstance(b, Link)] == [expected]
