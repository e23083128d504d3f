"""The home view: a seller's streak, moods and wins; a leader's people and quick actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pepptalk.core.messages import Buttons
from pepptalk.handlers.checkin import MOOD_ACTION
from pepptalk.handlers.home import streak
from pepptalk.handlers.recognition import SHOUT
from pepptalk.handlers.seen import LOG_ACTION, SNOOZE
from pepptalk.store.database import Database
from pepptalk.store.models import Team as TeamRow
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, actor, words


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None})
    return team


async def answer_on(team: Team, user_id: str, day: date, mood: int) -> None:
    team.clock.set(
        datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7, minutes=40)
    )
    await team.press(user_id, MOOD_ACTION, str(mood), group=f"checkin:{day.isoformat()}")


async def home_of(team: Team, user_id: str) -> tuple[str, list[Buttons]]:
    view = await team.habits.home(actor(user_id))
    return words(view), [b for b in view.blocks if isinstance(b, Buttons)]


def test_a_streak_counts_workdays_and_skips_weekends_and_holidays() -> None:
    team = TeamRow(workdays="mon,tue,wed,thu,fri", country="NO")
    thursday_to_tuesday = {
        date(2026, 11, 19),
        date(2026, 11, 20),
        date(2026, 11, 23),
        date(2026, 11, 24),
    }
    assert streak(team, thursday_to_tuesday, date(2026, 11, 24)) == 4
    assert streak(team, thursday_to_tuesday, date(2026, 11, 25)) == 4, "today not answered yet"
    assert streak(team, thursday_to_tuesday, date(2026, 11, 26)) == 0
    assert streak(team, set(), date(2026, 11, 24)) == 0


async def test_a_seller_sees_their_streak_moods_and_wins(team: Team) -> None:
    for day, mood in ((date(2026, 11, 20), 4), (date(2026, 11, 23), 2), (date(2026, 11, 24), 5)):
        await answer_on(team, "UANNA", day, mood)
    await team.say("UANNA", "win Booked a demo")
    text, buttons = await home_of(team, "UANNA")
    assert "Your mornings, Seller" in text and "Check-in streak (workdays in a row): 3" in text
    assert "24 November 2026: 😄 Great" in text and "23 November 2026: 😕 Low" in text
    assert "24 November 2026: Booked a demo" in text
    assert buttons == []
    assert "Seller UBJORN" not in text, "a seller sees only their own mornings"


async def test_a_leader_sees_who_needs_attention_with_quick_actions(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> praise")
    await answer_on(team, "UANNA", date(2026, 11, 23), 1)
    await team.say("UBJORN", "win Closed the Fjord deal")
    await team.run()
    text, buttons = await home_of(team, "ULEAD")
    assert "Today with Oslo" in text and "1 of 2 sellers have checked in today" in text
    assert "Seller UANNA: mood today: 😣 Rough" in text, "a low morning needs attention"
    assert "Seller UBJORN:" not in text, "a seller who joined today is not due a talk yet"
    actions = {b.action for row in buttons for b in row.buttons}
    assert {LOG_ACTION, SNOOZE, SHOUT} <= actions
    assert "Wins waiting for a shout-out" in text and "Closed the Fjord deal" in text


async def test_someone_in_no_team_gets_the_way_in(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    view = await Team(database, chat, clock).habits.home(actor("USTRANGER"))
    assert "team create" in words(view)
