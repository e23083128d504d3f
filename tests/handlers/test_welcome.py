"""New people welcomed: the welcome message, the one question, and a greeting in the channel."""

from __future__ import annotations

import pytest

from pepptalk.core.messages import Buttons
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, words


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None})
    team.chat.add_user("UBJORN", "Bjørn Haugen", "Europe/Oslo")
    return team


async def test_a_seller_added_is_welcomed_and_asked_once_how_often(team: Team) -> None:
    added = await team.reply("ULEAD", "team add <@UBJORN|bjorn>")
    assert "They get a welcome from Pepptalk now" in words(added)
    assert (await team.run()).sent == 1
    [welcome] = team.chat.to("UBJORN")
    text = welcome.text()
    assert "Welcome to Oslo, Bjørn!" in text
    assert "Every workday at 08:30 I'll ask how you're starting the day" in text
    assert "Only you and Kari Nordmann see your answers" in text
    assert "/pepptalk pause until 2026-07-31" in text and "/pepptalk resume" in text
    row = next(b for b in welcome.message.blocks if isinstance(b, Buttons))
    assert [b.value for b in row.buttons] == ["daily", "twice-weekly", "weekly", "biweekly"]
    answered = await team.press("UBJORN", row.buttons[1].action, "twice-weekly", group=row.group)
    assert answered.replace and "Welcome to Oslo, Bjørn!" in words(answered)
    assert "you'd like feedback twice a week" in words(answered)
    assert answered.message is not None
    assert not [b for b in answered.message.blocks if isinstance(b, Buttons)]
    assert "(would like twice a week)" in await team.say("ULEAD", "seen")
    # Asked at the welcome, so the first check-in does not ask again.
    first = await team.press("UBJORN", "checkin_mood", "4", group="checkin:2026-11-23")
    assert "how often would you like feedback" not in words(first)


async def test_the_leader_can_greet_new_sellers_in_the_team_channel(team: Team) -> None:
    plain = await team.reply("ULEAD", "team add <@UBJORN>")
    assert plain.message is not None
    assert not [b for b in plain.message.blocks if isinstance(b, Buttons)], "no channel yet"
    await team.say("ULEAD", "team remove <@UBJORN>")
    await team.say("ULEAD", "team set channel <#CSALES|oslo-sales>")
    added = await team.reply("ULEAD", "team add <@UBJORN>")
    assert added.message is not None
    row = next(b for b in added.message.blocks if isinstance(b, Buttons))
    greet = row.buttons[0]
    assert greet.label == "Welcome them in #oslo-sales"
    assert "Only a team leader" in words(await team.press("UANNA", greet.action, greet.value))
    posted = await team.press("ULEAD", greet.action, greet.value, group=row.group)
    assert posted.replace and "Welcome posted in #oslo-sales" in words(posted)
    [post] = team.chat.channel_posts
    assert post.user_id == "CSALES"
    assert "👋 Please give Bjørn Haugen a warm welcome to Oslo!" in post.text()


async def test_the_welcome_speaks_the_teams_language(team: Team) -> None:
    await team.say("ULEAD", "team set language sv")
    await team.say("ULEAD", "team add <@UBJORN>")
    await team.run()
    text = team.chat.to("UBJORN")[0].text()
    assert "Välkommen till Oslo, Bjørn!" in text and "hur ofta vill du ha feedback" in text
