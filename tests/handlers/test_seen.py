"""The daily nudge, low moods pulling feedback forward, snoozing, and the seller's own wish."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pepptalk.core.messages import Buttons
from pepptalk.handlers.checkin import MOOD_ACTION
from pepptalk.handlers.feedback import WISH
from pepptalk.handlers.seen import SNOOZE
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, words

MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
MONDAY_0905 = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None})
    return team


async def morning(team: Team, at: datetime = MONDAY_0905) -> list[str]:
    """Run every job at `at`; the texts the leader received."""
    team.clock.set(at)
    await team.run("checkins", "summaries", "nudges", at=at)
    return [s.text() for s in team.chat.to("ULEAD")]


async def tap(team: Team, user_id: str, action: str, value: str, group: str = "g") -> str:
    reply = await team.press(user_id, action, value, group=group)
    return words(reply)


async def test_the_nudge_follows_the_summary_once_and_lists_who_is_due(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> praise")
    texts = await morning(team)
    assert len(texts) == 2 and "Team check-in" in texts[0]
    nudge = texts[1]
    assert "Who could use a word today" in nudge and "Seller UBJORN" in nudge
    assert "Seller UANNA" not in nudge
    assert "Log feedback" in nudge and "Snooze a day" in nudge
    assert len(await morning(team, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))) == 2


async def test_no_nudge_when_everyone_has_been_seen(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> praise")
    await team.say("ULEAD", "feedback <@UBJORN> coaching")
    texts = await morning(team)
    assert len(texts) == 1


async def test_a_low_morning_pulls_the_next_talk_to_today(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> praise")
    await team.say("ULEAD", "feedback <@UBJORN> praise")
    team.clock.advance(days=1)  # Tuesday
    tuesday = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    team.clock.set(tuesday)
    await tap(team, "UANNA", MOOD_ACTION, "1", group="checkin:2026-11-24")
    texts = await morning(team, datetime(2026, 11, 24, 8, 5, tzinfo=UTC))
    assert "Seller UANNA" in texts[-1] and "due today" in texts[-1]
    assert "Seller UBJORN" not in texts[-1]
    assert "due today" in await team.say("ULEAD", "seen")


async def test_snooze_leaves_a_seller_out_of_tomorrows_nudge(team: Team) -> None:
    await morning(team)
    seat = await team.seat("UBJORN")
    assert seat is not None
    reply = await tap(team, "ULEAD", SNOOZE, str(seat.member.id))
    assert "Snoozed Seller UBJORN" in reply and "back on 24 November 2026" in reply
    tuesday = await morning(team, datetime(2026, 11, 24, 8, 5, tzinfo=UTC))
    assert "Seller UBJORN" not in tuesday[-1] and "Seller UANNA" in tuesday[-1]
    assert "Only a team leader" in await tap(team, "UANNA", SNOOZE, str(seat.member.id))
    assert "no longer in your team" in await tap(team, "ULEAD", SNOOZE, "99999")


async def test_the_first_checkin_asks_once_how_often_and_the_leader_sees_the_wish(
    team: Team,
) -> None:
    team.clock.set(MONDAY_0830)
    first = await team.press("UANNA", MOOD_ACTION, "4", group="checkin:2026-11-23")
    assert first.message is not None
    rows = [b for b in first.message.blocks if isinstance(b, Buttons)]
    wish = rows[-1]
    assert [b.value for b in wish.buttons] == ["daily", "twice-weekly", "weekly", "biweekly"]
    again = await team.press("UANNA", MOOD_ACTION, "5", group="checkin:2026-11-23")
    assert "how often would you like feedback" not in words(again)
    assert "you'd like feedback twice a week" in await tap(team, "UANNA", WISH, "twice-weekly")
    assert "weekly (would like twice a week)" in await team.say("ULEAD", "seen")
    assert "isn't a cadence" in await tap(team, "UANNA", WISH, "hourly")
