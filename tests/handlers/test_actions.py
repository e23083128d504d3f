"""Actions from the meeting: recorded by a leader for someone in the team, sent to the owner,
closed by number; refused for people outside the team and for sellers."""

from __future__ import annotations

import pytest

from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team

NAMES = {"UANNA": "Anna Berg", "UBJORN": "Bjørn Dahl"}


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({u: None for u in NAMES}, names=NAMES)
    return team


async def test_an_action_reaches_its_owner_once(team: Team) -> None:
    said = await team.say("ULEAD", "action <@UANNA>   Send Nordvik the  new price list")
    assert said.startswith("Action 1 is for Anna Berg: Send Nordvik the new price list.")
    assert (await team.run()).sent == 1
    assert (await team.run()).sent == 0
    [sent] = team.chat.to("UANNA")
    assert "Kari Nordmann gave you an action from the team meeting (action 1)" in sent.text()
    assert "Send Nordvik the new price list" in sent.text()
    second = await team.say("ULEAD", "action @bjorn Book the kick-off venue")
    assert second.startswith("Action 2 is for Bjørn Dahl: Book the kick-off venue.")


async def test_a_leaders_own_action_needs_no_message(team: Team) -> None:
    assert "Action 1 is for Kari Nordmann" in await team.say("ULEAD", "action <@ULEAD> Ring HR")
    assert (await team.run()).sent == 0


async def test_closing_an_action_by_number(team: Team) -> None:
    await team.say("ULEAD", "action <@UANNA> Send the price list")
    assert "Action 1 is done" in await team.say("ULEAD", "action done 1")
    assert "Action 1 was already done" in await team.say("ULEAD", "action done 1")
    assert "Your team has no action 7" in await team.say("ULEAD", "action done 7")
    assert "like /pepptalk action done 3" in await team.say("ULEAD", "action done first")
    # Done before the message went out: it does not go out.
    assert (await team.run()).sent == 0


async def test_bad_actions_are_refused_with_what_would_work(team: Team) -> None:
    usage = "Name the owner and the action, like /pepptalk action @anna"
    assert usage in await team.say("ULEAD", "action")
    assert usage in await team.say("ULEAD", "action <@UANNA>")
    assert "isn't in your team" in await team.say("ULEAD", "action <@UOUTSIDE> Call them")
    said = await team.say("ULEAD", "action <@UANNA> " + "x" * 301)
    assert "That is 301 characters, and the limit is 300." in said
    assert "Only a team leader can do that" in await team.say("UANNA", "action <@UBJORN> Do it")
    assert "Only a team leader can do that" in await team.say("UANNA", "action done 1")
    assert (await team.run()).sent == 0
