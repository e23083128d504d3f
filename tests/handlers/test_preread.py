"""The pre-read: the team's numbers in the team channel two hours before the meeting, team
totals unless the team has agreed to see each seller's, once, and nothing when no numbers came."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.figures import NAMES, history_csv
from tests.handlers.helpers import WORKSPACE, Team

# Thursday 26 November, 09:00 in Oslo is 08:00 UTC: the pre-read goes from 06:00 UTC, two hours
# before, and while Pepptalk was down it still goes until the meeting starts.
TWO_HOURS_BEFORE = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    team = Team(database, chat, clock)
    await team.create({u: "Europe/Oslo" for u in NAMES}, names=NAMES)
    await team.say("ULEAD", "team set meeting thu 09:00")
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    await team.import_csv("ULEAD", history_csv())
    return team


async def pre_reads(team: Team, at: datetime) -> int:
    """Run the agendas job at `at`, keeping only what went to the channel."""
    await team.run("agendas", at=at)
    return len(team.chat.channel_posts)


async def test_the_pre_read_comes_two_hours_before_the_meeting_once(team: Team) -> None:
    assert await pre_reads(team, TWO_HOURS_BEFORE - timedelta(minutes=1)) == 0
    assert await pre_reads(team, TWO_HOURS_BEFORE + timedelta(minutes=10)) == 1
    assert await pre_reads(team, TWO_HOURS_BEFORE + timedelta(minutes=70)) == 1
    assert await pre_reads(team, TWO_HOURS_BEFORE + timedelta(hours=2)) == 1
    [post] = team.chat.channel_posts
    assert post.user_id == "CSALES"
    text = post.text()
    assert text.startswith("Numbers before the meeting Thu 26 Nov")
    # The week the draft's questions asked about: the seven days before the draft came.
    assert "The team's week, Wed 18 Nov to Tue 24 Nov" in text
    assert "Calls: 592 · goal 750 (-21%) · last week 744 (-20%)" in text
    assert "Meetings booked: 129 · last week 93 (+39%)" in text
    assert "Sales: 120,210 · goal 120,000 (+0%) · last week 121,500 (-1%)" in text
    assert "not about the numbers themselves" in text
    for name in NAMES.values():
        assert name not in text, "team totals only, unless the team agreed otherwise"


async def test_each_sellers_numbers_when_the_team_has_agreed(team: Team) -> None:
    said = await team.say("ULEAD", "team set numbers sellers")
    assert "Numbers in the pre-read: each seller too" in said
    await pre_reads(team, TWO_HOURS_BEFORE)
    text = team.chat.channel_posts[0].text()
    assert "Carl Ek\nCalls: 118 · goal 250 (-53%) · last week 246 (-52%)" in text
    assert "Anna Berg\nCalls: 243" in text
    assert "team totals" in await team.say("ULEAD", "team set numbers team")


async def test_a_bad_numbers_setting_says_what_would_work(team: Team) -> None:
    said = await team.say("ULEAD", "team set numbers everyone")
    assert "isn't team or sellers. Use team for team totals only, or sellers" in said
    assert "team totals" in await team.say("ULEAD", "team")


async def test_no_numbers_no_pre_read(database: Database, chat: FakeChat, clock: FakeClock) -> None:
    team = Team(database, chat, clock)
    await team.create({"UANNA": "Europe/Oslo"})
    await team.say("ULEAD", "team set meeting thu 09:00")
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    assert await pre_reads(team, TWO_HOURS_BEFORE) == 0


async def test_no_channel_no_pre_read(team: Team) -> None:
    async with team.database.uow() as uow:
        seat = await uow.teams.membership(WORKSPACE, "ULEAD")
        assert seat is not None
        seat.team.channel_id = seat.team.channel_name = None
    assert await pre_reads(team, TWO_HOURS_BEFORE) == 0


async def test_the_pre_read_speaks_the_team_language(team: Team) -> None:
    await team.say("ULEAD", "team set language sv")
    await pre_reads(team, TWO_HOURS_BEFORE)
    # Swedish writes a percentage with a space and its own minus sign; compared here as ASCII.
    text = team.chat.channel_posts[0].text().replace("\xa0", " ").replace("\u2212", "-")
    assert text.startswith("Underlag inför mötet tors 26 nov"), text
    assert "Samtal: 592 · mål 750 (-21 %) · förra veckan 744 (-20 %)" in text, text
    assert "Försäljning: 120 210" in text


async def test_a_pre_read_missed_while_down_still_goes_until_the_meeting(team: Team) -> None:
    assert await pre_reads(team, datetime(2026, 11, 26, 7, 59, tzinfo=UTC)) == 1
    assert await pre_reads(team, datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == 1
