"""The weekly digest: on time once a week, and what it says for eight weeks of a believable team:
a paused seller, a new one, a late low week, a private note, wins old and new, an open action,
numbers that show an opener; the pulse only from three answers up."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from pepptalk.bot import charts
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import Cadence, DeliveryKind, DeliveryStatus, FeedbackKind, Mood
from pepptalk.core.messages import Message, Picture
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import Database
from pepptalk.store.models import Checkin, Delivery, Feedback, Member, Win
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import WORKSPACE, Team, words

NAMES = {
    "UANNA": "Anna Berg",
    "UBJORN": "Bjørn Dahl",
    "UCARL": "Carl Ek",
    "UDINA": "Dina Moe",
    "UERIK": "Erik Lund",
}
# Friday 27 November 2026, 14:00 in Oslo: the digest's default moment.
FRIDAY_1400 = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
FRIDAY = date(2026, 11, 27)
MONDAY = date(2026, 11, 23)
EN = copy_for("en")


async def seat(team: Team, user_id: str) -> Member:
    return (await team.seat(user_id)).member


async def history(team: Team) -> None:
    """Eight weeks of mornings for Anna, Bjørn and Carl (Bjørn low this week), written in no
    particular order; Dina on a break this week; Erik new on Monday."""
    rng = random.Random(48)
    members = {u: await seat(team, u) for u in ("UANNA", "UBJORN", "UCARL", "UDINA", "UERIK")}
    rows: list[Checkin | Delivery] = []
    days = [MONDAY - timedelta(weeks=7) + timedelta(days=n) for n in range(7 * 7 + 5)]
    rng.shuffle(days)
    for day in days:
        if day.weekday() >= 5:
            continue
        this_week = day >= MONDAY
        for user_id in ("UANNA", "UBJORN", "UCARL", "UDINA"):
            if user_id == "UDINA" and this_week:
                continue
            member = members[user_id]
            at = datetime.combine(day, time(7, 30), tzinfo=UTC)
            rows.append(
                Delivery(
                    workspace_id=WORKSPACE,
                    team_id=member.team_id,
                    member_id=member.id,
                    kind=DeliveryKind.CHECKIN.value,
                    local_date=day,
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    due_at=at,
                    sent_at=at,
                )
            )
            # Carl misses Tuesdays and Thursdays this week; everyone else answers.
            if user_id == "UCARL" and this_week and day.weekday() in (1, 3):
                continue
            mood = 2 if user_id == "UBJORN" and this_week else rng.choice((3, 4, 4, 5))
            private = user_id == "UANNA" and day == MONDAY + timedelta(days=2)
            rows.append(
                Checkin(
                    workspace_id=WORKSPACE,
                    team_id=member.team_id,
                    member_id=member.id,
                    local_date=day,
                    mood=Mood(mood),
                    note="Dentist at two, back by three" if private else None,
                    note_private=private,
                    answered_at=at + timedelta(minutes=5),
                    updated_at=at + timedelta(minutes=5),
                )
            )
    async with team.database.uow() as uow:
        uow.session.add_all(rows)


async def set_up(team: Team) -> None:
    team.clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    await team.create({u: "Europe/Oslo" for u in NAMES if u != "UERIK"}, names=NAMES)
    await team.say("ULEAD", "team add <@UERIK>")  # new this week
    team.chat.add_user("UERIK", NAMES["UERIK"], "Europe/Oslo")
    await team.say("ULEAD", "team add <@UERIK>")
    await team.run()
    team.chat.sent.clear()
    leader = await seat(team, "ULEAD")
    async with team.database.uow() as uow:
        for member in await uow.teams.members(leader.team_id):
            if member.user_id != "UERIK":
                member.joined_at = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
            if member.user_id == "UDINA":
                member.paused, member.paused_until = True, FRIDAY + timedelta(days=3)
            if member.user_id == "UBJORN":
                member.cadence = Cadence.WEEKLY
        ids = {m.user_id: m for m in await uow.teams.members(leader.team_id)}
        talks = {"UANNA": 2, "UBJORN": 20, "UCARL": 3}
        for user_id, days_ago in talks.items():
            uow.session.add(
                Feedback(
                    workspace_id=WORKSPACE,
                    team_id=leader.team_id,
                    member_id=ids[user_id].id,
                    given_by=leader.id,
                    kind=FeedbackKind.COACHING,
                    given_on=FRIDAY - timedelta(days=days_ago),
                    created_at=FRIDAY_1400 - timedelta(days=days_ago),
                )
            )
        for user_id, won_on, text, shouted in (
            ("UANNA", FRIDAY - timedelta(days=10), "Booked the Nordvik demo", True),
            ("UANNA", FRIDAY - timedelta(days=2), "Closed the Fjordkraft renewal", False),
            ("UCARL", FRIDAY - timedelta(days=1), "First meeting with Tine", False),
        ):
            at = datetime.combine(won_on, time(11), tzinfo=UTC)
            uow.session.add(
                Win(
                    workspace_id=WORKSPACE,
                    team_id=leader.team_id,
                    member_id=ids[user_id].id,
                    text=text,
                    won_on=won_on,
                    created_at=at,
                    shouted_at=at + timedelta(hours=1) if shouted else None,
                )
            )
    await history(team)
    team.clock.set(FRIDAY_1400 - timedelta(hours=2))
    await team.say("ULEAD", "action <@UBJORN> Call Nordvik back about the renewal")
    await team.run()
    team.chat.sent.clear()


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await set_up(team)
    return team


async def digest(team: Team) -> Message:
    assert (await team.run("digests", at=FRIDAY_1400)).sent == 1
    [sent] = team.chat.to("ULEAD")
    return sent.message


def picture(message: Message) -> Picture | None:
    return next((b for b in message.blocks if isinstance(b, Picture)), None)


async def test_the_digest_comes_friday_at_14_once(team: Team) -> None:
    assert (await team.run("digests", at=FRIDAY_1400 - timedelta(minutes=1))).sent == 0
    assert (await team.run("digests", at=FRIDAY_1400)).sent == 1
    assert (await team.run("digests", at=FRIDAY_1400 + timedelta(minutes=30))).sent == 0
    assert (await team.run("digests", at=FRIDAY_1400 + timedelta(days=1))).sent == 0
    assert (await team.run("digests", at=FRIDAY_1400 + timedelta(weeks=1))).sent == 1
    assert [s.user_id for s in team.chat.sent] == ["ULEAD", "ULEAD"]


async def test_the_digest_tells_the_week_item_by_item(team: Team) -> None:
    message = await digest(team)
    text = words(message)
    lines = text.splitlines()
    assert lines[0] == "Your week with Oslo, Mon 23 Nov to Fri 27 Nov"
    chart = picture(message)
    assert chart is not None and chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.alt.startswith("Team mood over the last 8 weeks")
    assert "lower than last week" in chart.alt
    # 17 check-ins went out this week (Anna, Bjørn, Carl x 5; Dina was on a break); Carl missed 2.
    assert "Check-ins: 13 of 15 answered (87%), down 13 points from last week." in text
    # Anna and Carl had talks within their cadence; Bjørn's was 20 days ago; Erik is new (first
    # talk due within three days); Dina is on a break and not counted.
    assert "Feedback: 2 of 4 sellers have had the talks their cadence asks for." in text
    assert "Time for a chat: Bjørn Dahl and Erik Lund." in text
    assert "Dina" not in text.split("Time for a chat")[1].split("\n")[0]
    assert "No shout-out in 30 days: Bjørn Dahl, Carl Ek and Dina Moe." in text
    assert "Shout-outs in the last 30 days: 1, every one for a seller's win." in text
    wins = text.split("Wins this week")[1]
    assert "Carl Ek: First meeting with Tine" in wins and "Anna Berg: Closed the Fjordkraft" in wins
    assert "Nordvik demo" not in text, "last week's win is not this week's"
    assert "Action 1 (Bjørn Dahl): Call Nordvik back about the renewal" in text
    assert "span" not in text.lower() and "sellers and sell yourself" not in text
    reflection = text.split("A question for you this week\n")[1].splitlines()[0]
    assert reflection in EN.choices("reflection.questions")
    assert text.rstrip().endswith("Only you see this digest.")
    assert "Dentist" not in text and "Dentist" not in chart.alt, "a private note stays private"


async def test_a_digest_asked_on_monday_names_its_one_day(team: Team) -> None:
    team.clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    text = await team.say("ULEAD", "digest")
    assert text.splitlines()[0] == "Your week with Oslo so far, Mon 23 Nov"


async def test_the_reflection_question_changes_every_week(team: Team) -> None:
    first = words(await digest(team)).split("A question for you this week\n")[1].splitlines()[0]
    team.chat.sent.clear()
    await team.run("digests", at=FRIDAY_1400 + timedelta(weeks=1))
    second = words(team.chat.to("ULEAD")[0].message)
    assert first not in second


async def test_span_of_control_is_said_plainly_only_outside_it(team: Team) -> None:
    await team.say("ULEAD", "team set sells yes")
    assert "sell yourself" not in words(await digest(team)), "five sellers is inside 4-8"
    more = {f"UNEW{n}": f"Seller {n}" for n in range(4)}
    for user_id, name in more.items():
        team.chat.add_user(user_id, name, "Europe/Oslo")
    await team.say("ULEAD", "team add " + " ".join(f"<@{u}>" for u in more))
    text = await team.say("ULEAD", "digest")
    assert "You lead 9 sellers and sell yourself: more than the 4 to 8" in text
    await team.say("ULEAD", "team set sells no")
    assert "You lead 9" not in await team.say("ULEAD", "digest"), "up to 14 without a budget"


async def test_numbers_show_an_opener_and_a_leader_who_outsells(team: Team) -> None:
    rows = ["date,seller,metric,value"]
    figures = {
        "UANNA": (200, 40, 60000),
        "UBJORN": (200, 20, 90000),
        "UCARL": (200, 20, 80000),
        "ULEAD": (50, 10, 120000),
    }
    for user_id, (calls, meetings, sales) in figures.items():
        for metric, value in (("calls", calls), ("meetings", meetings), ("sales", sales)):
            rows.append(f"2026-11-24,{user_id},{metric},{value}")
    await team.import_csv("ULEAD", "\n".join(rows))
    await team.say("ULEAD", "team set sells yes")
    text = await team.say("ULEAD", "digest")
    assert "Right people in the right roles (only you see this)" in text
    assert (
        "Anna Berg turns calls into meetings far above the team (1.5× of the team's rate)" in text
    )
    assert "You sold the most in the team these four weeks." in text


async def test_a_team_with_no_history_gets_a_short_friendly_digest(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    clock.set(FRIDAY_1400 - timedelta(hours=3))
    await team.create({"UANNA": "Europe/Oslo"})
    message = await digest(team)
    text = words(message)
    assert picture(message) is None
    assert "No check-ins yet, so no mood chart." in text
    assert "No check-ins went out this week." in text
    assert "No wins logged this week." in text
    assert "Open actions" not in text


async def test_a_chart_that_cannot_be_drawn_leaves_the_rest(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(chart: object) -> bytes:
        raise RuntimeError("no fonts on this machine")

    monkeypatch.setattr(charts, "draw", broken)
    message = await digest(team)
    assert picture(message) is None
    text = words(message)
    assert "The mood chart could not be drawn this week; everything else is here." in text
    assert "Check-ins: 13 of 15 answered" in text and "A question for you this week" in text


async def test_the_digest_follows_the_setting_the_zone_and_a_break(team: Team) -> None:
    said = await team.say("ULEAD", "team set digest mon 08:00")
    assert "Saved. Weekly digest: Mon 08:00" in said
    assert (await team.run("digests", at=FRIDAY_1400)).sent == 0
    monday_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    await team.habits.update_profile(
        WORKSPACE, UserProfile(user_id="ULEAD", name="Kari Nordmann", timezone="America/New_York")
    )
    assert (await team.run("digests", at=monday_0800)).sent == 0
    assert (await team.run("digests", at=datetime(2026, 11, 30, 13, 0, tzinfo=UTC))).sent == 1
    await team.say("ULEAD", "pause until 2026-12-08")
    assert (await team.run("digests", at=datetime(2026, 12, 7, 13, 0, tzinfo=UTC))).sent == 0
    assert "isn't a time I understand" in await team.say("ULEAD", "team set digest someday")


async def test_a_seller_cannot_read_the_digest(team: Team) -> None:
    assert "Only a team leader can do that." in await team.say("UANNA", "digest")


async def test_the_digest_speaks_the_team_language(team: Team) -> None:
    await team.say("ULEAD", "team set language sv")
    text = words(await digest(team))
    assert text.startswith("Din vecka med Oslo")
    assert "Dags för en pratstund: Bjørn Dahl och Erik Lund." in text


async def pulse_week(team: Team, answering: int) -> list[str]:
    """A fresh week's pulse with `answering` sellers answering."""
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    await team.say("ULEAD", "team set pulse on")
    next_monday = MONDAY + timedelta(weeks=1)
    async with team.database.uow() as uow:
        for user_id in ("UANNA", "UBJORN", "UCARL")[:answering]:
            member = await seat(team, user_id)
            at = datetime.combine(next_monday, time(7, 30), tzinfo=UTC)
            uow.session.add(
                Checkin(
                    workspace_id=WORKSPACE,
                    team_id=member.team_id,
                    member_id=member.id,
                    local_date=next_monday,
                    mood=Mood(4),
                    answered_at=at,
                    updated_at=at,
                )
            )
    await team.run("digests", at=FRIDAY_1400 + timedelta(weeks=1))
    return [p.text() for p in team.chat.channel_posts]


async def test_the_pulse_needs_three_answers(team: Team) -> None:
    assert await pulse_week(team, 2) == []


async def test_the_pulse_names_no_one(team: Team) -> None:
    [post] = await pulse_week(team, 3)
    assert post.startswith("Team pulse, Mon 30 Nov to Fri 4 Dec: average mood 4.0 of 5")
    assert "From 3 sellers' answers; no one is named." in post
    for name in [*NAMES.values(), "Kari"]:
        assert name not in post


async def test_the_pulse_is_off_by_default(team: Team) -> None:
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    await team.run("digests", at=FRIDAY_1400)
    assert team.chat.channel_posts == []
    assert "Team pulse in the channel: off" in await team.say("ULEAD", "team")
    assert len(team.chat.to("ULEAD")) == 1
