"""Every seller seen: logging feedback, cadences, and who is due, through the grammar."""

from __future__ import annotations

import pytest

from pepptalk.core.messages import Choice, TextInput
from pepptalk.handlers.feedback import FORM, LOG_ACTION
from pepptalk.store.database import Database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team, words


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None})
    return team


async def seller_id(team: Team, user_id: str) -> str:
    seat = await team.seat(user_id)
    assert seat is not None
    return str(seat.member.id)


async def test_logging_with_a_kind_saves_it_and_says_when_the_next_talk_is_due(team: Team) -> None:
    text = await team.say("ULEAD", "feedback <@UANNA> praise Great save on the Nordvik call")
    assert "Logged: praise with Seller UANNA. Next talk due 30 November 2026." in text
    seen = await team.say("ULEAD", "seen")
    assert "Seller UANNA: Praise on 23 November 2026 · weekly · next 30 November 2026" in seen
    # Bjørn has had no talk since he joined today: he is due now, and listed first.
    assert seen.index("Seller UBJORN") < seen.index("Seller UANNA")
    assert "Seller UBJORN: no talk logged yet · weekly · due today" in seen


async def test_without_a_kind_the_form_opens_with_the_note_and_saves(team: Team) -> None:
    reply = await team.reply("ULEAD", "feedback <@UBJORN> Talked about the new script")
    form = reply.form
    assert form is not None and form.action == FORM
    kind = next(i for i in form.inputs if isinstance(i, Choice))
    assert [v for v, _ in kind.options] == ["praise", "coaching", "goal", "one_to_one"]
    note = form.inputs[1]
    assert isinstance(note, TextInput) and note.initial == "Talked about the new script"

    async def submit(values: dict[str, str | bool]) -> str:
        return words(await team.submit("ULEAD", FORM, form.context, values))

    bad = await team.submit("ULEAD", FORM, form.context, {"kind": "shouting", "note": ""})
    assert bad.form_errors and "Choose praise" in bad.form_errors["kind"]
    assert "Logged: goal talk with Seller UBJORN" in await submit({"kind": "goal", "note": "ok"})


async def test_the_log_feedback_button_opens_the_form_for_that_seller(team: Team) -> None:
    anna = await seller_id(team, "UANNA")
    reply = await team.press("ULEAD", LOG_ACTION, anna, group="g")
    assert reply.form is not None and reply.form.context == anna
    refused = await team.press("UBJORN", LOG_ACTION, anna, group="g")
    assert "Only a team leader" in words(refused)


async def test_cadence_changes_when_the_next_talk_is_due(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> coaching")
    assert "Seller UANNA now gets feedback every other week." in await team.say(
        "ULEAD", "cadence <@UANNA> biweekly"
    )
    assert "next 7 December 2026" in await team.say("ULEAD", "seen")
    team.clock.advance(days=15)
    assert "overdue since 7 December 2026" in await team.say("ULEAD", "seen")


async def test_sellers_and_bad_input_get_clear_answers(team: Team) -> None:
    for command in ("feedback <@UBJORN> praise nice", "cadence <@UBJORN> daily", "seen"):
        assert "Only a team leader" in await team.say("UANNA", command)
    assert "Try: /pepptalk feedback @name" in await team.say("ULEAD", "feedback")
    assert "Try: /pepptalk feedback @name" in await team.say("ULEAD", "feedback anna praise")
    assert "isn't a seller in your team" in await team.say("ULEAD", "feedback <@ULEAD> praise")
    assert "isn't a seller in your team" in await team.say("ULEAD", "feedback <@UNOBODY> praise")
    assert "isn't a cadence" in await team.say("ULEAD", "cadence <@UANNA> hourly")
    assert "Try: /pepptalk cadence" in await team.say("ULEAD", "cadence")
    assert "limit is 1000" in await team.say("ULEAD", "feedback <@UANNA> praise " + "x" * 1001)
    assert "Seller UANNA: no talk logged yet" in await team.say("ULEAD", "seen")


async def test_a_team_without_sellers_says_so(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({})
    assert "No sellers yet" in await team.say("ULEAD", "seen")
