"""The leader's summary: counts, mood, low moods with notes, privacy, timing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pepptalk.handlers.checkin import MOOD_ACTION
from pepptalk.handlers.notes import NOTE_FORM
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team

MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
MONDAY_0900 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None, "UCARL": None, "UDINA": None})
    await team.run("checkins", at=MONDAY_0830)
    return team


async def answer(
    team: Team, user_id: str, mood: int, note: str = "", private: bool = False
) -> None:
    await team.press(user_id, MOOD_ACTION, str(mood), group="checkin:2026-11-23")
    if note:
        await team.submit(user_id, NOTE_FORM, "2026-11-23", {"note": note, "private": private})


async def run_summaries(team: Team, at: datetime) -> int:
    return (await team.run("summaries", at=at)).sent


async def test_summary_arrives_30_minutes_after_checkin_once(team: Team) -> None:
    await answer(team, "UANNA", 4)
    assert await run_summaries(team, datetime(2026, 11, 23, 7, 59, tzinfo=UTC)) == 0
    assert await run_summaries(team, MONDAY_0900) == 1
    assert await run_summaries(team, datetime(2026, 11, 23, 8, 5, tzinfo=UTC)) == 0
    assert len(team.chat.to("ULEAD")) == 1


async def test_summary_shows_answers_mood_low_moods_and_who_is_waiting(team: Team) -> None:
    await answer(team, "UANNA", 5)
    await answer(team, "UBJORN", 2, "Argument at home, slept badly")
    await answer(team, "UCARL", 1, "Tough week", private=True)
    await run_summaries(team, MONDAY_0900)
    text = team.chat.to("ULEAD")[0].text()
    assert "3 of 4 answered" in text
    assert "Team mood: 2.7 of 5" in text
    assert "Worth a word before the first call" in text
    assert 'Seller UBJORN: 😕 Low, "Argument at home, slept badly"' in text
    assert "Seller UCARL: 😣 Rough" in text
    assert "Tough week" not in text  # a private note stays with the seller
    assert "Still to answer: Seller UDINA" in text


async def test_a_calm_morning_says_so(team: Team) -> None:
    await answer(team, "UANNA", 4)
    await run_summaries(team, MONDAY_0900)
    text = team.chat.to("ULEAD")[0].text()
    assert "No low moods this morning" in text and "1 of 4 answered" in text


async def test_no_summary_when_nobody_was_asked(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None})
    await team.say("UANNA", "pause")
    await team.run("checkins", at=MONDAY_0830)
    assert await run_summaries(team, MONDAY_0900) == 0
    assert await run_summaries(team, datetime(2026, 11, 28, 8, 0, tzinfo=UTC)) == 0  # Saturday


async def test_leader_checkin_command_shows_the_summary_now(team: Team) -> None:
    await answer(team, "UDINA", 3)
    text = await team.say("ULEAD", "checkin")
    assert "Team check-in, Monday, 23 November 2026" in text and "1 of 4 answered" in text


async def test_summary_speaks_the_team_language(team: Team) -> None:
    await team.say("ULEAD", "team set language nb")
    await answer(team, "UANNA", 2)
    await run_summaries(team, MONDAY_0900)
    text = team.chat.to("ULEAD")[0].text()
    assert "mandag 23. november 2026" in text


async def test_every_note_a_seller_shares_reaches_the_leader_whatever_the_mood(team: Team) -> None:
    await answer(team, "UANNA", 5, "Booked two meetings before lunch yesterday!")
    await answer(team, "UBJORN", 4, "Dentist at two, back by three", private=True)
    await answer(team, "UCARL", 2, "Missed the bus")
    await run_summaries(team, MONDAY_0900)
    text = team.chat.to("ULEAD")[0].text()
    assert "Notes from the team" in text
    assert 'Seller UANNA: 😄 Great, "Booked two meetings before lunch yesterday!"' in text
    assert text.count("Missed the bus") == 1, "a low mood's note is shown once, with the low mood"
    assert "Dentist" not in text


async def test_a_low_mood_after_the_summary_reaches_the_leader_once(team: Team) -> None:
    await answer(team, "UANNA", 4)
    await run_summaries(team, MONDAY_0900)
    team.clock.set(datetime(2026, 11, 23, 9, 40, tzinfo=UTC))
    await answer(team, "UBJORN", 2, "Car trouble, on my way")
    await answer(team, "UCARL", 5)
    assert await run_summaries(team, team.clock()) == 1
    late = team.chat.to("ULEAD")[-1]
    assert late.text().startswith("A late check-in, after your summary:")
    assert 'Seller UBJORN: 😕 Low, "Car trouble, on my way"' in late.text()
    assert "Log feedback" in late.text()
    # Once per seller per day, however the mood moves afterwards.
    await answer(team, "UBJORN", 1)
    assert await run_summaries(team, datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == 0


async def test_a_low_mood_that_lifts_before_the_word_goes_out_is_not_sent(team: Team) -> None:
    await run_summaries(team, MONDAY_0900)
    team.clock.set(datetime(2026, 11, 23, 9, 40, tzinfo=UTC))
    await answer(team, "UDINA", 1)
    async with team.database.uow() as uow:
        from pepptalk.handlers.summary import claim_summaries

        assert await claim_summaries(uow=uow, now=team.clock(), queued_at=team.clock()) == 1
    await answer(team, "UDINA", 4)
    report = await team.run()
    assert report.sent == 0 and report.skipped == 1


async def test_a_low_mood_before_the_summary_is_in_it_and_not_sent_again(team: Team) -> None:
    await answer(team, "UBJORN", 1)
    await run_summaries(team, MONDAY_0900)
    await answer(team, "UBJORN", 1, "Slept badly")  # a note later changes nothing
    assert await run_summaries(team, datetime(2026, 11, 23, 9, 30, tzinfo=UTC)) == 0


async def test_patterns_are_named_three_low_mornings_and_a_weekly_drop(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    clock.set(datetime(2026, 11, 9, 7, 0, tzinfo=UTC))
    await team.create({"UANNA": None, "UBJORN": None, "UCARL": None})
    # Last week the team was fine; this week it is not, and Bjørn started low three days running.
    moods = {
        "UANNA": {9: 4, 10: 5, 11: 4, 18: 3, 19: 3, 20: 2},
        "UBJORN": {9: 4, 10: 4, 11: 5, 18: 4, 19: 2, 20: 1},
        "UCARL": {9: 5, 10: 4, 11: 4, 18: 3, 19: 3, 20: 3},
    }
    for user, days in moods.items():
        for day, mood in days.items():
            clock.set(datetime(2026, 11, day, 7, 40, tzinfo=UTC))
            await team.press(user, MOOD_ACTION, str(mood), group=f"checkin:2026-11-{day:02d}")
    clock.set(MONDAY_0830)
    await team.press("UBJORN", MOOD_ACTION, "2", group="checkin:2026-11-23")
    text = await team.say("ULEAD", "checkin")
    assert "Patterns" in text
    assert "Seller UBJORN has started low three mornings in a row" in text
    assert "a full point below last week's (4.3 → 2.6)" in text
    assert "Seller UANNA has started low" not in text


async def test_a_paused_leader_gets_no_summary_and_a_co_leader_still_does(team: Team) -> None:
    team.chat.add_user("ULEAD2", "Per Dahl", "Europe/Oslo")
    seat = await team.seat("ULEAD")
    async with team.database.uow() as uow:
        from pepptalk.core.kinds import Role
        from pepptalk.store.models import Member

        uow.session.add(
            Member(
                workspace_id="T1",
                team_id=seat.team.id,
                user_id="ULEAD2",
                role=Role.LEADER,
                display_name="Per Dahl",
                timezone="Europe/Oslo",
                paused=False,
                joined_at=team.clock(),
            )
        )
    said = await team.say("ULEAD", "pause until 2026-11-27")
    assert "Summaries and nudges paused until 27 November 2026" in said
    assert "a co-leader still gets theirs" in said
    await answer(team, "UANNA", 2)
    await run_summaries(team, MONDAY_0900)
    assert team.chat.to("ULEAD") == []
    assert "Team check-in" in team.chat.to("ULEAD2")[0].text()
    assert "Welcome back" in await team.say("ULEAD", "resume")
    await team.run("checkins", at=datetime(2026, 11, 24, 7, 30, tzinfo=UTC))
    assert await run_summaries(team, datetime(2026, 11, 24, 8, 0, tzinfo=UTC)) == 2
