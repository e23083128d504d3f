"""One gentle reminder to a seller who has not answered: when, to whom, and never twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pepptalk.core.messages import Buttons
from pepptalk.handlers.checkin import MOOD_ACTION
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team

MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
MONDAY_0845 = datetime(2026, 11, 23, 7, 45, tzinfo=UTC)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None, "UCARL": None})
    await team.run("checkins", at=MONDAY_0830)
    team.chat.sent.clear()
    return team


def reminded(team: Team) -> list[str]:
    return [s.user_id for s in team.chat.sent if "A gentle reminder" in s.text()]


async def test_one_reminder_a_quarter_past_to_those_who_have_not_answered(team: Team) -> None:
    await team.press("UANNA", MOOD_ACTION, "4", group="checkin:2026-11-23")
    await team.run("reminders", at=datetime(2026, 11, 23, 7, 44, tzinfo=UTC))
    assert reminded(team) == []
    await team.run("reminders", at=MONDAY_0845)
    assert sorted(reminded(team)) == ["UBJORN", "UCARL"]
    reminder = team.chat.to("UBJORN")[0]
    assert "A gentle reminder, Seller: how are you starting the day?" in reminder.text()
    moods = [b for b in reminder.message.blocks if isinstance(b, Buttons)][0]
    assert [b.value for b in moods.buttons] == ["1", "2", "3", "4", "5"]
    assert "remind off" in reminder.text()
    # The buttons answer today's check-in.
    await team.press("UBJORN", moods.buttons[2].action, "3", group=moods.group)
    checkin = await team.checkin_of("UBJORN")
    assert checkin is not None and checkin.mood == 3
    await team.run("reminders", at=datetime(2026, 11, 23, 7, 55, tzinfo=UTC))
    assert sorted(reminded(team)) == ["UBJORN", "UCARL"], "never twice"


async def test_no_reminder_after_the_summary_or_to_who_said_remind_off(team: Team) -> None:
    assert "Reminders are off" in await team.say("UBJORN", "remind off")
    await team.run("reminders", at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # summary time
    assert reminded(team) == []
    await team.run("reminders", at=MONDAY_0845)
    assert reminded(team) == ["UANNA", "UCARL"]
    assert "Reminders are on" in await team.say("UBJORN", "remind on")
    assert "on or off, nothing in between. Try: /pepptalk remind off" in await team.say(
        "UBJORN", "remind maybe"
    )
    assert "That one is for sellers" in await team.say("ULEAD", "remind off")


async def test_an_answer_just_before_the_reminder_goes_out_stops_it(team: Team) -> None:
    async with team.database.uow() as uow:
        from pepptalk.handlers.reminders import claim_reminders

        assert await claim_reminders(uow=uow, now=MONDAY_0845, queued_at=MONDAY_0845) == 3
    await team.press("UCARL", MOOD_ACTION, "5", group="checkin:2026-11-23")
    report = await team.run(at=MONDAY_0845)
    assert report.sent == 2 and report.skipped == 1
    assert "UCARL" not in reminded(team)


async def test_no_reminder_on_a_holiday_or_while_paused(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({"UANNA": "Europe/Oslo", "UBJORN": "Europe/Oslo"})
    await team.say("UBJORN", "pause")
    christmas = datetime(2026, 12, 25, 7, 30, tzinfo=UTC)
    await team.run("checkins", "reminders", at=christmas)
    await team.run("reminders", at=datetime(2026, 12, 25, 7, 45, tzinfo=UTC))
    assert team.chat.sent == []
    await team.run("checkins", at=datetime(2026, 12, 28, 7, 30, tzinfo=UTC))
    await team.run("reminders", at=datetime(2026, 12, 28, 7, 45, tzinfo=UTC))
    assert reminded(team) == ["UANNA"]


async def test_a_check_in_that_went_out_late_gets_a_while_before_its_reminder(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None})
    # The server was down at 08:30 and catches up at 08:50: check-in now, no reminder yet.
    late = datetime(2026, 11, 23, 7, 50, tzinfo=UTC)
    await team.run("checkins", "reminders", at=late)
    assert [s.user_id for s in team.chat.sent] == ["UANNA"] and reminded(team) == []
    await team.run("reminders", at=datetime(2026, 11, 23, 7, 59, tzinfo=UTC))
    assert reminded(team) == []
    await team.run("reminders", at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    assert reminded(team) == [], "never at or after summary time"
