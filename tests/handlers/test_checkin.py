"""The morning check-in: who is asked when, answering, changing, notes and pauses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pepptalk.core.messages import Buttons, Reply
from pepptalk.core.ports import DeliveryError
from pepptalk.handlers.checkin import MOOD_ACTION, NOTE_ACTION, claim_checkins
from pepptalk.handlers.notes import NOTE_FORM
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, actor, words

MONDAY = "2026-11-23"


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": "Europe/Oslo", "UBJORN": "America/New_York", "UCARL": None})
    return team


async def send_checkins(team: Team, at: datetime) -> int:
    return (await team.run("checkins", at=at)).sent


async def tap(team: Team, user_id: str, mood: str, day: str = MONDAY) -> Reply:
    return await team.press(user_id, MOOD_ACTION, mood, group=f"checkin:{day}")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_each_seller_is_asked_at_checkin_time_in_their_own_zone(team: Team) -> None:
    assert await send_checkins(team, utc("2026-11-23T07:29")) == 0  # 08:29 in Oslo
    assert await send_checkins(team, utc("2026-11-23T07:30")) == 2  # Anna, and Carl (team zone)
    assert {s.user_id for s in team.chat.sent} == {"UANNA", "UCARL"}
    assert await send_checkins(team, utc("2026-11-23T13:30")) == 1  # 08:30 in New York
    assert team.chat.to("UBJORN")
    assert not team.chat.to("ULEAD")


async def test_the_checkin_has_five_moods_and_says_who_sees_the_answer(team: Team) -> None:
    await send_checkins(team, utc("2026-11-23T07:30"))
    message = team.chat.to("UANNA")[0].message
    rows = [b for b in message.blocks if isinstance(b, Buttons)]
    assert [b.value for b in rows[0].buttons] == ["1", "2", "3", "4", "5"]
    assert rows[1].buttons[0].action == NOTE_ACTION
    assert "Only you and Kari Nordmann see your answer" in words(message)


async def test_a_job_run_any_number_of_times_sends_once(team: Team) -> None:
    for minute in range(30, 40):
        await send_checkins(team, utc(f"2026-11-23T07:{minute}"))
    await send_checkins(team, utc("2026-11-23T07:31"))
    assert sorted(s.user_id for s in team.chat.sent) == ["UANNA", "UCARL"]


async def test_no_checkin_on_weekends_holidays_or_when_paused(team: Team) -> None:
    assert await send_checkins(team, utc("2026-11-28T07:30")) == 0  # Saturday
    assert await send_checkins(team, utc("2026-12-25T07:30")) == 0  # Christmas Day in Norway
    # The team's country only counts for members whose own zone names none: Carl, here.
    await team.say("ULEAD", "team set country none")
    assert await send_checkins(team, utc("2026-12-25T07:30")) == 1
    assert [s.user_id for s in team.chat.sent] == ["UCARL"]
    await team.say("UANNA", "pause until 2026-12-29")
    assert await send_checkins(team, utc("2026-12-28T07:30")) == 1
    assert await send_checkins(team, utc("2026-12-30T07:30")) == 2  # the pause ran out


async def test_each_member_keeps_the_holidays_of_their_own_country(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({"UOLA": "Europe/Oslo", "USVEA": "Europe/Stockholm", "UNEW": None})
    # 17 May: Norway's constitution day, a Monday in 2027; 6 June: Sweden's national day.
    await send_checkins(team, utc("2027-05-17T07:30"))
    assert [s.user_id for s in team.chat.sent] == ["USVEA"]
    team.chat.sent.clear()
    await send_checkins(team, utc("2028-06-06T07:30"))
    assert sorted(s.user_id for s in team.chat.sent) == ["UNEW", "UOLA"]


async def test_pause_and_resume(team: Team) -> None:
    assert "paused" in await team.say("UANNA", "pause")
    assert await send_checkins(team, utc("2026-11-23T07:30")) == 1
    assert "Welcome back" in await team.say("UANNA", "resume")
    assert "weren't paused" in await team.say("UANNA", "resume")
    assert "isn't a date" in await team.say("UANNA", "pause until tomorrow")
    assert "already passed" in await team.say("UANNA", "pause until 2026-01-01")
    assert "Try: /pepptalk pause until" in await team.say("UANNA", "pause for a while")
    assert "Summaries and nudges paused" in await team.say("ULEAD", "pause")


async def test_tapping_records_the_mood_and_a_second_tap_changes_it(team: Team) -> None:
    reply = await tap(team, "UANNA", "2")
    assert reply.replace
    assert "Kari Nordmann will see it before the first call" in words(reply)
    reply = await tap(team, "UANNA", "4")
    assert "Good to hear" in words(reply) and "before the first call" not in words(reply)
    assert reply.message is not None
    chosen = [b for b in reply.message.blocks if isinstance(b, Buttons)][0]
    assert [b.value for b in chosen.buttons if b.selected] == ["4"]
    checkin = await team.checkin_of("UANNA")
    assert checkin is not None and checkin.mood == 4


@pytest.mark.parametrize(
    ("mood", "said"),
    [
        ("1", "Sorry it's a rough start, Seller. Kari Nordmann will see it before the first call"),
        ("2", "Kari Nordmann will see it before the first call. A slow start"),
        ("3", "An okay start is a fine start."),
        ("4", "Good to hear, Seller! Have a good day on the phone."),
        ("5", "Love it, Seller! Go make it a great day."),
    ],
)
async def test_the_reply_to_a_tap_fits_the_mood(team: Team, mood: str, said: str) -> None:
    assert said in words(await tap(team, "UANNA", mood))


async def test_bad_taps_get_a_clear_answer_and_store_nothing(team: Team) -> None:
    assert "didn't carry a mood" in words(await tap(team, "UANNA", "7"))
    assert "didn't carry a mood" in words(await tap(team, "UANNA", "x"))
    assert "has closed" in words(await tap(team, "UANNA", "3", day="2026-11-20"))
    assert "for sellers" in words(await tap(team, "ULEAD", "3"))
    assert "not in a team" in words(await tap(team, "USTRANGER", "3"))
    assert await team.checkin_of("UANNA") is None


async def test_a_note_needs_a_mood_then_the_form_saves_it(team: Team) -> None:
    async def note_button() -> Reply:
        return await team.press("UANNA", NOTE_ACTION, MONDAY, group="checkin:2026-11-23:note")

    assert "Tap a mood first" in words(await note_button())
    await tap(team, "UANNA", "2")
    form = (await note_button()).form
    assert form is not None and form.context == MONDAY

    async def submit(note: str, private: bool) -> Reply:
        return await team.submit("UANNA", NOTE_FORM, MONDAY, {"note": note, "private": private})

    too_long = await submit("x" * 501, False)
    assert too_long.form_errors and "501 characters" in too_long.form_errors["note"]
    saved = await submit("Missed the bus", False)
    assert saved.replace and "Your note: Missed the bus" in words(saved)
    private = await submit("Rough night", True)
    assert "Your private note: Rough night" in words(private)


async def test_note_command_and_its_bad_input(team: Team) -> None:
    assert "Tap a mood first" in await team.say("UANNA", "note hello")
    await tap(team, "UANNA", "3")
    assert "The note is empty. Write it after the command, like /pepptalk note " in (
        await team.say("UANNA", "note   ")
    )
    assert "limit is 500" in await team.say("UANNA", "note " + "y" * 501)
    assert "Note saved." in await team.say("UANNA", "note  Big   demo today ")
    checkin = await team.checkin_of("UANNA")
    assert checkin is not None and checkin.note == "Big   demo today"
    assert "for sellers" in await team.say("ULEAD", "note hi")


async def test_seller_checkin_command_shows_todays_checkin_with_the_answer(team: Team) -> None:
    await tap(team, "UANNA", "5")
    text = await team.say("UANNA", "checkin")
    assert "How are you starting the day?" in text and "Love it, Seller!" in text


async def test_a_removed_seller_gets_nothing_queued_for_them(team: Team) -> None:
    team.clock.set(utc("2026-11-23T07:30"))
    async with team.database.uow() as uow:
        await claim_checkins(uow=uow, now=team.clock(), queued_at=team.clock())
    await team.say("ULEAD", "team remove <@UANNA>")
    await team.run()
    assert [s.user_id for s in team.chat.sent] == ["UCARL"]


async def test_a_note_by_command_shows_on_the_morning_card_where_it_was_sent(team: Team) -> None:
    await send_checkins(team, utc("2026-11-23T07:30"))
    card = team.chat.to("UANNA")[0]
    await tap(team, "UANNA", "2")
    said = await team.say("UANNA", "note Missed the bus")
    assert "It's on your check-in for Kari Nordmann to see" in said
    [(where, updated)] = team.chat.updates
    assert where.channel == "DUANNA" and where.ref == "1.000", "the card Pepptalk sent"
    assert updated.user_id == "UANNA" and "Your note: Missed the bus" in updated.text()
    assert "😕 Low" in updated.text() and card.message.summary == updated.message.summary
    # Words written straight to Pepptalk are a note too, and update the card the same way.
    reply = await team.habits.direct_message(actor("UANNA"), "Better after coffee")
    assert "Note saved" in words(reply)
    assert "Your note: Better after coffee" in team.chat.updates[-1][1].text()


async def test_the_note_is_kept_when_the_card_cannot_be_updated(team: Team) -> None:
    await send_checkins(team, utc("2026-11-23T07:30"))
    await tap(team, "UANNA", "3")
    team.chat.fail_next = [DeliveryError("message_not_found", permanent=True)]
    assert "Note saved" in await team.say("UANNA", "note Still counts")
    checkin = await team.checkin_of("UANNA")
    assert checkin is not None and checkin.note == "Still counts"


async def test_a_seller_added_after_checkin_time_starts_the_next_workday(team: Team) -> None:
    team.clock.set(utc("2026-11-23T09:00"))  # 10:00 in Oslo, check-ins went out at 08:30
    team.chat.add_user("UDINA", "Dina Dahl", "Europe/Oslo")
    said = await team.say("ULEAD", "team add <@UDINA>")
    assert "first check-in on the next workday at 08:30" in said
    await send_checkins(team, utc("2026-11-23T09:01"))
    [welcome] = team.chat.to("UDINA")
    assert "Welcome to Oslo" in welcome.text(), "just the welcome, no check-in today"
    await send_checkins(team, utc("2026-11-24T07:30"))
    assert "Good morning, Dina!" in team.chat.to("UDINA")[-1].text()
