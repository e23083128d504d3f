"""Every seller seen: logging feedback, cadences, and who is due, through the grammar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pepptalk.core.messages import Buttons, Choice, TextInput
from pepptalk.handlers.feedback import FORM
from pepptalk.handlers.seen import LOG_ACTION
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
    assert "Logged: praise with Seller UANNA. Next talk Mon 30 Nov." in text
    seen = await team.say("ULEAD", "seen")
    assert "Seller UANNA: last talk: praise, today · weekly · next talk Mon 30 Nov" in seen
    # Bjørn joined today: his first talk is due within his first days, worded as a welcome.
    assert seen.index("Seller UBJORN") < seen.index("Seller UANNA")
    assert (
        "Seller UBJORN: new on the team since Mon 23 Nov · weekly · a first chat by Thu 26 Nov"
        in seen
    )
    assert "overdue" not in seen


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

    # No kind was typed, so none is chosen for the leader.
    assert kind.initial == ""
    bad = await team.submit("ULEAD", FORM, form.context, {"kind": "", "note": ""})
    assert bad.form_errors and "Choose the kind of talk" in bad.form_errors["kind"]
    assert "Logged: goal talk with Seller UBJORN" in await submit({"kind": "goal", "note": "ok"})


async def test_the_log_feedback_button_opens_the_form_for_that_seller(team: Team) -> None:
    anna = await seller_id(team, "UANNA")
    reply = await team.press("ULEAD", LOG_ACTION, anna, group="g")
    assert reply.form is not None and reply.form.context.startswith(f"{anna}:talk:")
    refused = await team.press("UBJORN", LOG_ACTION, anna, group="g")
    assert "Only a team leader" in words(refused)


async def test_cadence_changes_when_the_next_talk_is_due(team: Team) -> None:
    await team.say("ULEAD", "feedback <@UANNA> coaching")
    assert "Seller UANNA now gets feedback every other week." in await team.say(
        "ULEAD", "cadence <@UANNA> biweekly"
    )
    assert "next talk Mon 7 Dec" in await team.say("ULEAD", "seen")
    team.clock.advance(days=15)
    seen = await team.say("ULEAD", "seen")
    assert "last talk: coaching, 2 weeks ago · every other week · time for a chat" in seen


async def test_sellers_and_bad_input_get_clear_answers(team: Team) -> None:
    for command in ("feedback <@UBJORN> praise nice", "cadence <@UBJORN> daily", "seen"):
        assert "Only a team leader" in await team.say("UANNA", command)
    assert "Who was the talk with? Mention them with @. Try: /pepptalk feedback @anna praise" in (
        await team.say("ULEAD", "feedback")
    )
    assert 'anyone called "nobody" in your team' in await team.say(
        "ULEAD", "feedback nobody praise"
    )
    assert "Kari isn't a seller" in await team.say("ULEAD", "feedback <@ULEAD|Kari> praise")
    unknown = await team.say("ULEAD", "feedback <@UNOBODY> praise")
    assert "That person isn't a seller in your team" in unknown and "UNOBODY" not in unknown
    assert "isn't a cadence" in await team.say("ULEAD", "cadence <@UANNA> hourly")
    assert "Try: /pepptalk cadence" in await team.say("ULEAD", "cadence")
    assert "limit is 1000" in await team.say("ULEAD", "feedback <@UANNA> praise " + "x" * 1001)
    assert "Seller UANNA: new on the team" in await team.say("ULEAD", "seen")


async def test_a_team_without_sellers_says_so(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({})
    assert "No sellers yet" in await team.say("ULEAD", "seen")


async def test_kinds_are_read_in_the_teams_language_and_a_typed_name_finds_the_seller(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    names = {"UBJORN": "Bjørn Haugen", "USIV": "Siv Ødegård", "USIW": "Siv Berg"}
    await team.create({u: None for u in names}, names=names)
    await team.say("ULEAD", "team set language nb")
    said = await team.say("ULEAD", "feedback @bjorn ros Flott oppfølging")
    assert "Samtalen med Bjørn Haugen er logget (ros)" in said
    assert "Samtalen med Bjørn Haugen er logget (målsamtale)" in await team.say(
        "ULEAD", "feedback Bjorn mål"
    )
    await team.say("ULEAD", "team set language sv")
    assert "Samtalet med Bjørn Haugen är loggat (beröm)" in await team.say(
        "ULEAD", "feedback bjørn beröm"
    )
    # "Siv" could be either of two: no guessing.
    assert "hittar ingen som heter ”Siv”" in await team.say("ULEAD", "feedback Siv beröm")
    assert "Siv Ødegård" in await team.say("ULEAD", "feedback @siv.odegard coaching")
    # A kind word nobody knows opens the form with nothing chosen, in the team's language.
    form = (await team.reply("ULEAD", "feedback @bjorn berömm bra samtal")).form
    assert form is not None and form.title == "Logga feedback"
    choice = next(i for i in form.inputs if isinstance(i, Choice))
    assert choice.initial == ""


async def test_logging_from_the_nudge_updates_the_nudge_in_place(team: Team) -> None:
    team.clock.advance(days=3)  # Thursday: both new sellers are due a first chat
    await team.run("checkins", "summaries", "nudges", at=datetime(2026, 11, 26, 8, 5, tzinfo=UTC))
    nudge = team.chat.to("ULEAD")[-1].message
    rows = [b for b in nudge.blocks if isinstance(b, Buttons)]
    anna_id = await seller_id(team, "UANNA")
    anna = next(r for r in rows if r.group.endswith(f":{anna_id}"))
    log = anna.buttons[0]
    form = (await team.press("ULEAD", log.action, log.value, group=anna.group)).form
    assert form is not None
    saved = await team.submit("ULEAD", FORM, form.context, {"kind": "praise", "note": ""})
    assert saved.replace, "the nudge it came from updates in place"
    text = words(saved)
    assert "Seller UANNA: ✓ praise logged, next talk Thu 3 Dec" in text
    assert text.count("Log feedback") == 1, "only Bjørn's row keeps its buttons"
    form = (
        await team.press("ULEAD", log.action, await seller_id(team, "UBJORN"), group=anna.group)
    ).form
    assert form is not None
    done = await team.submit("ULEAD", FORM, form.context, {"kind": "goal", "note": ""})
    assert "Everyone due today has had a talk" in words(done)


async def test_a_form_saved_twice_stores_one_talk_and_a_new_form_another(team: Team) -> None:
    anna = await seller_id(team, "UANNA")
    form = (await team.press("ULEAD", LOG_ACTION, anna, group="g")).form
    assert form is not None
    values: dict[str, str | bool] = {"kind": "praise", "note": "Great demo"}
    assert "Logged: praise" in words(await team.submit("ULEAD", FORM, form.context, values))
    again = words(await team.submit("ULEAD", FORM, form.context, values))
    assert "That form was saved already." in again
    second = (await team.press("ULEAD", LOG_ACTION, anna, group="g")).form
    assert second is not None and second.context != form.context
    assert "Logged: praise" in words(await team.submit("ULEAD", FORM, second.context, values))
    async with team.database.uow() as uow:
        talks = await uow.feedback.between(
            team_id=(await team.seat("ULEAD")).team.id,
            first=team.clock().date(),
            last=team.clock().date(),
        )
    assert len(talks) == 2
