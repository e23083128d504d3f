"""Team setup through /pepptalk, including every kind of bad input."""

from __future__ import annotations

import pytest

from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team


@pytest.fixture
def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    return Team(database, chat, clock)


async def test_create_makes_the_caller_leader_with_defaults_from_their_zone(team: Team) -> None:
    team.chat.add_user("ULEAD", "Kari", "Europe/Stockholm")
    text = await team.say("ULEAD", "team create  Sales   Oslo ")
    assert "Team Sales Oslo is ready" in text
    assert "08:30" in text and "Europe/Stockholm" in text
    seat = await team.seat("ULEAD")
    assert seat is not None and seat.is_leader
    assert seat.team.country == "SE"


async def test_create_refuses_a_second_team_a_taken_name_and_no_name(team: Team) -> None:
    await team.create({})
    assert "already in team Oslo" in await team.say("ULEAD", "team create Bergen")
    team.chat.add_user("UOTHER", "Ola")
    assert "already a team called oslo" in (await team.say("UOTHER", "team create oslo")).lower()
    assert "Give the team a name" in await team.say("UOTHER", "team create")
    assert "at most 80" in await team.say("UOTHER", "team create " + "x" * 81)


async def test_add_reports_each_problem_and_adds_the_rest(team: Team) -> None:
    await team.create({"UANNA": "Europe/Oslo"})
    team.chat.add_user("UBJORN", "Bjørn")
    team.chat.add_user("UBOT", "Helper", is_bot=True)
    text = await team.say(
        "ULEAD", "team add <@UBJORN|bjorn> <@UNOBODY> @cecilie <@UBOT> <@UANNA> <@UBJORN>"
    )
    assert "Added Bjørn" in text
    assert "can't find that person here" in text and "can't find @cecilie here" in text
    assert "<@" not in text, "no mention markup or internal id in a reply"
    assert "Helper is a bot" in text
    assert "Seller UANNA is already in this team" in text
    async with team.database.uow() as uow:
        members = await uow.teams.members((await team.seat("ULEAD")).team.id)
    assert sorted(m.user_id for m in members) == ["UANNA", "UBJORN", "ULEAD"]


async def test_add_without_mentions_and_a_person_in_another_team(team: Team) -> None:
    await team.create({"UANNA": None})
    assert "Mention at least one person" in await team.say("ULEAD", "team add")
    team.chat.add_user("ULEAD2", "Per")
    await team.say("ULEAD2", "team create Bergen")
    assert "already in team Oslo" in await team.say("ULEAD2", "team add <@UANNA>")


async def test_remove_keeps_history_and_a_removed_seller_can_join_again(team: Team) -> None:
    await team.create({"UANNA": None})
    assert "Removed Seller UANNA" in await team.say("ULEAD", "team remove <@UANNA>")
    assert await team.seat_of("UANNA") is None
    assert "isn't in your team" in await team.say("ULEAD", "team remove <@UANNA>")
    assert "can't remove a leader" in await team.say("ULEAD", "team remove <@ULEAD>")
    assert "Added" in await team.say("ULEAD", "team add <@UANNA>")
    assert await team.seat_of("UANNA") is not None


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("team set checkin 8:05", "Saved. Check-in: 08:05"),
        ("team set days mon,tue,thu", "Saved. Workdays: Mon, Tue, Thu"),
        ("team set days mon-fri", "Mon–Fri"),
        ("team set timezone america/new_york", "America/New_York"),
        ("team set language nb", "Lagret"),
        ("team set country dk", "DK"),
        ("team set country none", "none"),
        ("team set channel <#C123|sales-oslo>", "#sales-oslo"),
        ("team set meeting Thursday 9:00", "Thu 09:00"),
        ("team set sells no", "Saved. Leader sells: no"),
    ],
)
async def test_set_accepts_good_values(team: Team, command: str, expected: str) -> None:
    await team.create({})
    assert expected in await team.say("ULEAD", command)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("team set checkin 25:00", "isn't a time"),
        ("team set checkin", "Write the new value after /pepptalk team set checkin."),
        ("team set days fri-mon", "isn't a set of days"),
        ("team set days someday", "isn't a set of days"),
        ("team set timezone Mars/Olympus", "isn't a time zone"),
        ("team set language fi", "isn't a language I speak"),
        ("team set country XX", "isn't a country code"),
        ("team set channel sales", "Name the channel with #"),
        ("team set meeting whenever", "isn't a meeting time"),
        ("team set sells maybe", "isn't yes or no. Use yes if you carry a sales budget"),
        ("team set pulse maybe", "isn't on or off. Use on for a weekly team pulse"),
        ("team set colour blue", 'I can\'t set "colour"'),
        ("team set", "change a setting (checkin 08:30, days mon-fri"),
    ],
)
async def test_set_refuses_bad_values_and_keeps_the_old_one(
    team: Team, command: str, expected: str
) -> None:
    await team.create({})
    assert expected in await team.say("ULEAD", command)
    seat = await team.seat("ULEAD")
    assert seat is not None
    assert (seat.team.checkin_time, seat.team.workdays, seat.team.language) == (
        "08:30",
        "mon,tue,wed,thu,fri",
        "en",
    )


async def test_sellers_cannot_run_leader_commands(team: Team) -> None:
    await team.create({"UANNA": None})
    for command in ("team add <@UX>", "team remove <@ULEAD>", "team set checkin 07:00"):
        assert "Only a team leader" in await team.say("UANNA", command)


async def test_people_in_no_team_and_unknown_words(team: Team) -> None:
    assert "not in a team yet" in await team.say("USTRANGER", "checkin")
    assert "not in a team yet" in await team.say("USTRANGER", "team")
    assert 'don\'t know "dance"' in await team.say("USTRANGER", "dance")
    await team.create({})
    assert 'don\'t know "team fly"' in await team.say("ULEAD", "team fly")
    assert "at most 3000" in await team.say("ULEAD", "note " + "x" * 3001)


async def test_help_depends_on_who_asks(team: Team) -> None:
    assert "team create" in await team.say("USTRANGER", "help")
    await team.create({"UANNA": None})
    leader = await team.say("ULEAD", "")
    assert "You lead Oslo" in leader and "/pepptalk seen" in leader
    assert "team add" in await team.say("ULEAD", "help all")
    seller = await team.say("UANNA", "help")
    assert "You are in Oslo" in seller and "pause" in seller and "seen" not in seller


async def test_show_lists_members_settings_and_pauses(team: Team) -> None:
    await team.create({"UANNA": None, "UBJORN": None})
    await team.say("UBJORN", "pause until 2026-12-01")
    text = await team.say("UANNA", "team")
    assert "Kari Nordmann" in text and "Seller UANNA" in text
    assert "Seller UBJORN (paused until 1 December 2026)" in text
    assert "Check-in: 08:30" in text and "Time zone: Europe/Oslo" in text


async def test_language_changes_every_reply(team: Team) -> None:
    await team.create({"UANNA": None})
    await team.say("ULEAD", "team set language sv")
    assert "Jag känner inte till" in await team.say("UANNA", "dance")
