"""Topics: a seller proposes one, chooses the team meeting or their own 1:1, and sees their list;
a leader sees everyone's."""

from __future__ import annotations

import pytest

from pepptalk.core.messages import Buttons, Reply
from pepptalk.handlers.topics import FOR_ACTION
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, words

NAMES = {"UANNA": "Anna Berg", "UBJORN": "Bjørn Dahl"}


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({u: None for u in NAMES}, names=NAMES)
    return team


def choices(reply: Reply) -> list[tuple[str, str]]:
    assert reply.message is not None
    return [
        (b.label, b.value)
        for block in reply.message.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.action == FOR_ACTION
    ]


async def test_a_seller_proposes_a_topic_and_chooses_who_it_is_for(team: Team) -> None:
    reply = await team.reply("UANNA", "topic   Handling the price  objection ")
    assert 'Topic: "Handling the price objection". Who is it for?' in words(reply)
    [(team_label, for_team), (me_label, for_me)] = choices(reply)
    assert (team_label, me_label) == ("For the team meeting", "For my 1:1")
    assert "(choose: team meeting or 1:1)" in await team.say("UANNA", "topics")
    placed = await team.press("UANNA", FOR_ACTION, for_team)
    assert placed.replace
    assert "is on the list for the next team meeting" in words(placed)
    assert "Handling the price objection (team meeting)" in await team.say("UANNA", "topics")
    # Changing one's mind: the same question, the other answer.
    private = await team.press("UANNA", FOR_ACTION, for_me)
    assert "is kept for your 1:1. Only you and Kari Nordmann see it." in words(private)
    assert "Handling the price objection (1:1)" in await team.say("UANNA", "topics")


async def test_sellers_see_their_own_topics_and_the_leader_sees_all(team: Team) -> None:
    for seller, text in (("UANNA", "Price objection"), ("UBJORN", "Territory split")):
        [(_, for_team), _] = choices(await team.reply(seller, f"topic {text}"))
        await team.press(seller, FOR_ACTION, for_team)
    anna = await team.say("UANNA", "topics")
    assert "Price objection" in anna and "Territory split" not in anna
    leader = await team.say("ULEAD", "topics")
    assert "Anna Berg: Price objection (team meeting)" in leader
    assert "Bjørn Dahl: Territory split (team meeting)" in leader


async def test_nobody_places_another_sellers_topic(team: Team) -> None:
    [(_, for_team), _] = choices(await team.reply("UANNA", "topic Price objection"))
    said = words(await team.press("UBJORN", FOR_ACTION, for_team))
    assert "I can't find that topic among your open ones." in said
    assert "choose: team meeting or 1:1" in await team.say("UANNA", "topics")
    assert "can't find that topic" in words(await team.press("UANNA", FOR_ACTION, "x:team"))
    assert "can't find that topic" in words(await team.press("UANNA", FOR_ACTION, "1:nowhere"))


async def test_empty_and_overlong_topics_are_refused(team: Team) -> None:
    assert "Tell me the topic after /pepptalk topic, like" in await team.say("UANNA", "topic   ")
    said = await team.say("UANNA", "topic " + "x" * 201)
    assert "That is 201 characters, and the limit is 200." in said
    assert "No open topics" in await team.say("UANNA", "topics")


async def test_a_leader_proposes_no_topic_of_their_own(team: Team) -> None:
    said = await team.say("ULEAD", "topic Our pipeline")
    assert said.startswith("Topics come from the sellers. To add your own, open the draft with")
    assert "No open topics" in await team.say("ULEAD", "topics")
