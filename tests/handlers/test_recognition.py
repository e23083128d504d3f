"""Wins reach the leader; a shout-out praises the seller by name in the team channel, once."""

from __future__ import annotations

import pytest

from pepptalk.core.messages import Buttons
from pepptalk.core.ports import DeliveryError
from pepptalk.handlers.recognition import SHOUT
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, words


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None})
    return team


async def wins_to_leader(team: Team) -> list[str]:
    """Send what is queued; the win ids offered to the leader, in order."""
    await team.run()
    ids: list[str] = []
    for sent in team.chat.to("ULEAD"):
        for block in sent.message.blocks:
            if isinstance(block, Buttons):
                ids.extend(b.value for b in block.buttons if b.action == SHOUT)
    return ids


async def shout(team: Team, user_id: str, win_id: str) -> str:
    reply = await team.press(user_id, SHOUT, win_id, group=f"win:{win_id}")
    return words(reply)


async def test_each_win_reaches_the_leader_with_a_shout_out_button(team: Team) -> None:
    assert "Your leader will see it" in await team.say("UANNA", "win Booked a demo with Nordvik")
    assert "Your leader will see it" in await team.say("UBJORN", "win  Closed   the Fjord deal ")
    ids = await wins_to_leader(team)
    assert len(ids) == 2
    texts = [s.text() for s in team.chat.to("ULEAD")]
    assert "🎉 Seller UANNA logged a win: Booked a demo with Nordvik" in texts[0]
    assert "Seller UBJORN logged a win: Closed the Fjord deal" in texts[1]
    assert "Set the team channel" in texts[0]
    assert await wins_to_leader(team) == ids, "each win is sent once"


async def test_a_shout_out_praises_the_seller_in_the_channel_once(team: Team) -> None:
    await team.say("UANNA", "win Booked a demo with Nordvik")
    [win_id] = await wins_to_leader(team)
    assert "Set the team channel first" in await shout(team, "ULEAD", win_id)
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    done = await shout(team, "ULEAD", win_id)
    assert "Shout-out for Seller UANNA posted in #sales-oslo" in done
    [post] = team.chat.channel_posts
    assert post.user_id == "CSALES"
    assert "👏 Shout-out to Seller UANNA: Booked a demo with Nordvik" in post.text()
    assert "Cheering from Kari Nordmann" in post.text()
    assert "already got a shout-out" in await shout(team, "ULEAD", win_id)
    assert len(team.chat.channel_posts) == 1
    seen = await team.say("ULEAD", "seen")
    assert "last shout-out today" in seen and "no shout-out yet" in seen


async def test_a_failed_post_can_be_tried_again(team: Team) -> None:
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    await team.say("UANNA", "win Big renewal")
    [win_id] = await wins_to_leader(team)
    team.chat.fail_next = [DeliveryError("not_in_channel", permanent=True)]
    failed = await shout(team, "ULEAD", win_id)
    assert "couldn't post in #sales-oslo (not_in_channel)" in failed
    assert "Shout-out for Seller UANNA posted" in await shout(team, "ULEAD", win_id)


async def test_only_the_sellers_own_leader_can_shout_and_only_sellers_log_wins(
    team: Team,
) -> None:
    await team.say("ULEAD", "team set channel <#CSALES|sales>")
    await team.say("UANNA", "win Big renewal")
    [win_id] = await wins_to_leader(team)
    assert "Only a team leader" in await shout(team, "UBJORN", win_id)
    team.chat.add_user("UOTHER", "Per")
    await team.say("UOTHER", "team create Bergen")
    assert "can't find that win" in await shout(team, "UOTHER", win_id)
    assert "can't find that win" in await shout(team, "ULEAD", "nope")
    assert team.chat.channel_posts == []
    assert "That one is for sellers" in await team.say("ULEAD", "win I did it")
    assert "Tell me the win" in await team.say("UANNA", "win   ")
    assert "limit is 500" in await team.say("UANNA", "win " + "w" * 501)
