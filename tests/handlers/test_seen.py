"""Every seller seen: `seen`, the daily nudge (low starts first, paused sellers out, new sellers
welcomed), snoozing as "remind me tomorrow", and the seller's own wish."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pepptalk.core.kinds import FeedbackKind
from pepptalk.core.messages import Buttons
from pepptalk.handlers.checkin import MOOD_ACTION, WISH_ACTION
from pepptalk.handlers.seen import SNOOZE
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, words

# The sellers joined the Monday before; the tests play Monday 23 November 2026 and after.
JOINED = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
MONDAY_0905 = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)


def at_0905(day: date) -> datetime:
    """09:05 in Oslo (the nudge's time) on a November day."""
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8, minutes=5)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    clock.set(JOINED)
    await team.create({"UANNA": None, "UBJORN": None, "UCARL": None})
    clock.set(MONDAY_0905 - timedelta(hours=1, minutes=5))
    return team


async def morning(team: Team, at: datetime = MONDAY_0905) -> list[str]:
    """Run every job at `at`; the texts the leader received."""
    await team.run("checkins", "summaries", "nudges", at=at)
    return [s.text() for s in team.chat.to("ULEAD")]


async def tap(team: Team, user_id: str, action: str, value: str, group: str = "g") -> str:
    return words(await team.press(user_id, action, value, group=group))


async def member_id(team: Team, user_id: str) -> str:
    return str((await team.seat(user_id)).member.id)


async def test_the_nudge_follows_the_summary_once_and_lists_who_is_due(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> praise")
    texts = await morning(team)
    assert len(texts) == 2 and "Team check-in" in texts[0]
    nudge = texts[1]
    assert "Who could use a word today" in nudge
    assert (
        "Seller UBJORN: new on the team since Mon 16 Nov · weekly · time for a first chat" in nudge
    )
    assert "Seller UANNA" not in nudge
    assert nudge.count("Log feedback") == 2 and nudge.count("Snooze a day") == 2
    assert "overdue" not in nudge
    assert len(await morning(team, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))) == 2


async def test_no_nudge_when_everyone_has_been_seen(team: Team) -> None:
    for seller in ("UANNA", "UBJORN", "UCARL"):
        await team.say("ULEAD", f"feedback <@{seller}> coaching")
    assert len(await morning(team)) == 1


async def test_a_low_start_pulls_the_talk_to_today_and_comes_first(team: Team) -> None:
    for seller in ("UANNA", "UBJORN", "UCARL"):
        await team.say("ULEAD", f"feedback <@{seller}> praise")
    await team.say("ULEAD", "cadence <@UCARL> daily")
    tuesday = date(2026, 11, 24)
    team.clock.set(datetime(2026, 11, 24, 7, 40, tzinfo=UTC))
    await tap(team, "UANNA", MOOD_ACTION, "1", group=f"checkin:{tuesday}")
    nudge = (await morning(team, at_0905(tuesday)))[-1]
    assert "Seller UANNA: mood today: 😣 Rough · last talk: praise, yesterday" in nudge
    assert nudge.index("Seller UANNA") < nudge.index("Seller UCARL"), "a low start comes first"
    assert "Seller UBJORN" not in nudge
    seen = await team.say("ULEAD", "seen")
    assert seen.index("Seller UANNA") < seen.index("Seller UCARL")


async def test_paused_sellers_are_left_out_and_seen_says_so(team: Team) -> None:
    await team.say("UCARL", "pause until 2026-12-01")
    nudge = (await morning(team))[-1]
    assert "Seller UBJORN" in nudge and "Seller UCARL" not in nudge
    assert "Seller UCARL: new on the team since Mon 16 Nov · weekly · paused" in await team.say(
        "ULEAD", "seen"
    )


async def test_snooze_means_remind_me_tomorrow(team: Team) -> None:
    await morning(team)
    bjorn = await member_id(team, "UBJORN")
    reply = await team.press("ULEAD", SNOOZE, bjorn, group=f"nudge:{bjorn}")
    assert reply.replace, "the nudge updates in place"
    text = words(reply)
    assert "Snoozed Seller UBJORN: back in your list on Tue 24 Nov." in text
    assert "\nSeller UBJORN:" not in text and "\nSeller UANNA:" in text
    tuesday = (await morning(team, at_0905(date(2026, 11, 24))))[-1]
    assert "Seller UBJORN" in tuesday, "snoozed for a day means back the next day"
    # On a Friday, "tomorrow" for the list is Monday.
    friday = date(2026, 11, 27)
    await morning(team, at_0905(friday))
    said = await tap(team, "ULEAD", SNOOZE, bjorn)
    assert "back in your list on Mon 30 Nov" in said
    assert "Only a team leader" in await tap(team, "UANNA", SNOOZE, bjorn)
    assert "no longer in your team" in await tap(team, "ULEAD", SNOOZE, "99999")


async def test_the_latest_talk_is_the_latest_day_whatever_order_it_was_logged_in(
    team: Team,
) -> None:
    anna = await team.seat("UANNA")
    leader = await team.seat("ULEAD")
    today = date(2026, 11, 23)
    async with team.database.uow() as uow:
        # Logged out of order, as a back-dated or imported talk would be.
        for days_ago, kind in ((2, FeedbackKind.COACHING), (40, FeedbackKind.GOAL)):
            await uow.feedback.add(
                seller=anna.member,
                leader=leader.member,
                kind=kind,
                note=None,
                day=today - timedelta(days=days_ago),
                now=team.clock(),
            )
    seen = await team.say("ULEAD", "seen")
    assert "Seller UANNA: last talk: coaching, 2 days ago · weekly · next talk Mon 30 Nov" in seen
    assert "Seller UANNA" not in (await morning(team))[-1]


async def test_a_new_sellers_first_talk_is_a_welcome_not_a_debt(team: Team) -> None:
    team.chat.add_user("UDINA", "Dina Dahl", "Europe/Oslo")
    await team.say("ULEAD", "team add <@UDINA>")
    seen = await team.say("ULEAD", "seen")
    assert (
        "Dina Dahl: new on the team since Mon 23 Nov · weekly · a first chat by Thu 26 Nov" in seen
    )
    assert "Dina Dahl" not in (await morning(team))[-1]
    thursday = (await morning(team, at_0905(date(2026, 11, 26))))[-1]
    assert (
        "Dina Dahl: new on the team since Mon 23 Nov · weekly · time for a first chat" in thursday
    )


async def test_a_seller_never_asked_is_asked_once_at_check_in_and_the_card_updates(
    team: Team,
) -> None:
    anna = await team.seat("UANNA")
    async with team.database.uow() as uow:
        seat = await uow.teams.membership("T1", "UANNA")
        assert seat is not None
        seat.member.cadence_asked = False  # added before welcomes asked it
    group = "checkin:2026-11-23"
    first = await team.press("UANNA", MOOD_ACTION, "4", group=group)
    assert first.message is not None
    wish = [b for b in first.message.blocks if isinstance(b, Buttons)][-1]
    assert [b.value for b in wish.buttons] == ["daily", "twice-weekly", "weekly", "biweekly"]
    again = await team.press("UANNA", MOOD_ACTION, "5", group=group)
    assert "how often would you like feedback" not in words(again)
    answered = await team.press("UANNA", WISH_ACTION, "twice-weekly", group=f"{group}:wish")
    assert answered.replace and answered.message is not None
    assert "you'd like feedback twice a week" in words(answered)
    assert "How are you starting the day?" in words(answered), "the card stays, updated"
    assert not [
        b for b in answered.message.blocks if isinstance(b, Buttons) and b.group.endswith(":wish")
    ]
    assert "weekly (would like twice a week)" in await team.say("ULEAD", "seen")
    assert "isn't a cadence" in await tap(team, "UANNA", WISH_ACTION, "hourly", group=group)
    assert anna.member.id
