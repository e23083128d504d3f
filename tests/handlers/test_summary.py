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
