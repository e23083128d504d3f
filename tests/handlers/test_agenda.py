"""The meeting about why: the draft agenda on time, what it asks and what it keeps apart, editing
it, posting it once, and the numbers going to the channel as a pre-read instead."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from pepptalk.core.i18n import copy_for
from pepptalk.core.messages import Buttons, Message
from pepptalk.core.ports import UserProfile
from pepptalk.handlers.agenda import ADD_FORM
from pepptalk.handlers.agenda_draft import ADD, DONE, POST, REMOVE, UP, why_question
from pepptalk.handlers.topics import FOR_ACTION
from pepptalk.store.database import Database
from pepptalk.store.models import Member
from tests.fakes.chat import FakeChat, Sent
from tests.fakes.clock import FakeClock
from tests.handlers.figures import EN, NAMES, WEEK_ENDS, figures_sent, history_csv
from tests.handlers.helpers import WORKSPACE, Team, words

# Meetings on Thursdays at 09:00 in Oslo: the draft comes Wednesday at 14:00 (13:00 UTC).
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WEDNESDAY_1400 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
THURSDAY = date(2026, 11, 26)


def buttons(sent: Sent | Message, action: str) -> list[str]:
    """The values of a message's buttons for one action, in order."""
    message = sent.message if isinstance(sent, Sent) else sent
    return [
        b.value
        for block in message.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.action == action
    ]


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    clock.set(MONDAY)
    team = Team(database, chat, clock)
    await team.create({u: "Europe/Oslo" for u in NAMES}, names=NAMES)
    assert "Thu 09:00" in await team.say("ULEAD", "team set meeting thu 09:00")
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    return team


async def with_history(team: Team) -> None:
    said = await team.import_csv("ULEAD", history_csv())
    assert "45" in said.splitlines()[0], said


async def place(team: Team, seller: str, text: str, audience: str) -> None:
    reply = await team.reply(seller, f"topic {text}")
    [topic_id] = {value.partition(":")[0] for value in buttons(reply.message, FOR_ACTION)}  # type: ignore[arg-type]
    await team.press(seller, FOR_ACTION, f"{topic_id}:{audience}")


async def draft(team: Team) -> Sent:
    """Run the agendas job at 14:00 the day before the meeting; the draft the leader got."""
    assert (await team.run("agendas", at=WEDNESDAY_1400)).sent >= 1
    return team.chat.to("ULEAD")[-1]


async def test_the_draft_comes_the_workday_before_at_14_once(team: Team) -> None:
    assert (await team.run("agendas", at=WEDNESDAY_1400 - timedelta(minutes=1))).sent == 0
    assert (await team.run("agendas", at=WEDNESDAY_1400)).sent == 1
    assert (await team.run("agendas", at=WEDNESDAY_1400 + timedelta(minutes=20))).sent == 0
    [sent] = team.chat.to("ULEAD")
    assert "Draft agenda: team meeting Thu 26 Nov, 09:00" in sent.text()
    assert "Only you see this draft" in sent.text()


async def test_a_monday_meeting_is_drafted_on_friday(team: Team) -> None:
    await team.say("ULEAD", "team set meeting mon 08:30")
    sunday = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    assert (await team.run("agendas", at=sunday)).sent == 0
    assert (await team.run("agendas", at=friday)).sent == 1
    assert "Mon 30 Nov, 08:30" in team.chat.to("ULEAD")[0].text()


async def test_the_draft_follows_the_leaders_zone_across_the_clock_change(team: Team) -> None:
    await team.habits.update_profile(
        WORKSPACE, UserProfile(user_id="ULEAD", name="Kari Nordmann", timezone="America/New_York")
    )
    await team.say("ULEAD", "team set meeting mon 09:00")
    # Friday 23 October: New York is on summer time (UTC-4), so 14:00 there is 18:00 UTC.
    assert (await team.run("agendas", at=datetime(2026, 10, 23, 13, 0, tzinfo=UTC))).sent == 0
    assert (await team.run("agendas", at=datetime(2026, 10, 23, 18, 0, tzinfo=UTC))).sent == 1
    # Friday 6 November: winter time (UTC-5) since 1 November, so 14:00 is 19:00 UTC.
    assert (await team.run("agendas", at=datetime(2026, 11, 6, 18, 0, tzinfo=UTC))).sent == 0
    assert (await team.run("agendas", at=datetime(2026, 11, 6, 19, 0, tzinfo=UTC))).sent == 1
    texts = [s.text() for s in team.chat.to("ULEAD")]
    assert "Mon 26 Oct" in texts[0] and "Mon 9 Nov" in texts[1]


async def test_no_meeting_no_draft(team: Team) -> None:
    async with team.database.uow() as uow:
        seat = await uow.teams.membership(WORKSPACE, "ULEAD")
        assert seat is not None
        seat.team.meeting = None
    assert (await team.run("agendas", at=WEDNESDAY_1400)).sent == 0
    assert "Set the weekly meeting first" in await team.say("ULEAD", "agenda")


async def test_the_draft_asks_why_about_the_largest_deviations_naming_no_one(team: Team) -> None:
    await with_history(team)
    text = (await draft(team)).text()
    # Calls: 592 against a goal of 750. Meetings: 129 against a usual 93. Sales: on goal.
    assert any(q in text for q in EN.choices("questions.calls_down")), text
    assert any(q in text for q in EN.choices("questions.meetings_up")), text
    assert not any(q in text for q in EN.choices("questions.sales_down"))
    assert not any(q in text for q in EN.choices("questions.sales_up"))
    team_part = text.split("For one-to-ones")[0]
    for name in NAMES.values():
        assert name not in team_part
    for figure in figures_sent():
        assert not re.search(rf"(?<![\d,]){re.escape(figure)}(?![\d,])", team_part), figure


async def test_the_one_to_one_part_is_the_leaders_alone(team: Team) -> None:
    await with_history(team)
    await place(team, "UBJORN", "My territory split", "private")
    await place(team, "UANNA", "Handling the price objection", "team")
    await team.say("UANNA", "win Closed the Fjordkraft renewal")
    async with team.database.uow() as uow:
        for member in await uow.teams.members((await team.seat("ULEAD")).team.id):
            if member.user_id in ("UANNA", "UBJORN"):
                member.joined_at = MONDAY - timedelta(days=90)
    text = (await draft(team)).text()
    mine = text.split("For one-to-ones (only you see these)")[1]
    assert "Carl Ek: calls 118 against a goal of 250 (-53%). Worth asking how it's going." in mine
    # Everyone booked more meetings: only Bjørn's week stands apart from the team's (+62% / +39%).
    assert "Bjørn Dahl: meetings booked 52, +62% against their own usual week" in mine
    assert "Anna Berg: meetings" not in mine
    assert "Bjørn Dahl would like to talk about: My territory split" in mine
    # Anna and Bjørn have been in the team three months without a shout-out; Carl is new.
    assert "No shout-out for a month: Anna Berg and Bjørn Dahl." in mine
    assert "These never go to the channel." in mine
    await team.press("ULEAD", POST, buttons(team.chat.to("ULEAD")[-1], POST)[0])
    [pre_read, posted] = team.chat.channel_posts
    assert "My territory split" not in posted.text() and "Carl Ek" not in posted.text()
    assert "What made it work? Ask Anna Berg to tell the story behind" in posted.text()
    assert "A topic from the team: Handling the price objection" in posted.text()


async def test_a_late_low_pattern_is_suggested_for_a_one_to_one(team: Team) -> None:
    from pepptalk.handlers.checkin import MOOD_ACTION

    for day in (23, 24, 25):
        await team.run("checkins", at=datetime(2026, 11, day, 7, 30, tzinfo=UTC))
        await team.press("UCARL", MOOD_ACTION, "2", group=f"checkin:2026-11-{day}")
    text = (await draft(team)).text()
    assert "Carl Ek has started low three mornings in a row." in text.split("For one-to-ones")[1]


async def test_an_unknown_metric_gets_a_question_from_the_general_bank(team: Team) -> None:
    rows = ["date,seller,metric,value"]
    rows += [f"{WEEK_ENDS[i]},UANNA,demos,{v}" for i, v in enumerate([44, 21, 22, 20, 23])]
    await team.import_csv("ULEAD", "\n".join(rows))
    text = (await draft(team)).text()
    asked = [EN.fill(q, metric="demos") for q in EN.choices("questions.any_up")]
    assert any(q in text for q in asked), text


def test_the_question_rotates_from_week_to_week() -> None:
    asked = {
        why_question("calls", -0.3, THURSDAY + timedelta(weeks=w), 0).text(EN) for w in range(3)
    }
    assert len(asked) == 3


async def test_the_leader_edits_the_draft_then_posts_it_once(team: Team) -> None:
    await with_history(team)
    await team.say("UANNA", "win Closed the Fjordkraft renewal")
    sent = await draft(team)
    first, second = buttons(sent, REMOVE)[:2]
    reply = await team.press("ULEAD", REMOVE, first)
    assert reply.replace and len(buttons(reply.message, REMOVE)) == len(buttons(sent, REMOVE)) - 1  # type: ignore[arg-type]
    moved = await team.press("ULEAD", UP, buttons(reply.message, UP)[-1])  # type: ignore[arg-type]
    assert "1. What made it work? Ask Anna Berg to tell the story behind" in words(moved)
    form = (await team.press("ULEAD", ADD, buttons(sent, ADD)[0])).form
    assert form is not None and form.action == ADD_FORM
    empty = await team.submit("ULEAD", ADD_FORM, form.context, {"item": "  "})
    assert empty.form_errors == {"item": "Write the item, or cancel."}
    added = await team.submit("ULEAD", ADD_FORM, form.context, {"item": "Christmas lunch plans"})
    assert "Christmas lunch plans" in words(added)
    assert second in buttons(added.message, REMOVE)  # type: ignore[arg-type]

    post = buttons(sent, POST)[0]
    shown = await team.press("ULEAD", POST, post)
    again = await team.press("ULEAD", POST, post)
    assert len(team.chat.channel_posts) == 2, "the pre-read, then the agenda; once"
    pre_read, agenda = team.chat.channel_posts
    assert pre_read.user_id == agenda.user_id == "CSALES"
    assert pre_read.text().startswith("Numbers before the meeting Thu 26 Nov")
    assert agenda.text().startswith("Agenda: team meeting Thu 26 Nov, 09:00")
    assert "Christmas lunch plans" in agenda.text()
    assert "1. What made it work? Ask Anna Berg to tell the story behind" in agenda.text()
    assert "The numbers are in the pre-read" in agenda.text()
    for reply in (shown, again):
        assert reply.replace and "Posted in #sales-oslo." in words(reply)
        assert buttons(reply.message, POST) == []  # type: ignore[arg-type]
    assert "Posted in #sales-oslo." in await team.say("ULEAD", "agenda")
    # The pre-read went out with the agenda; the hours before the meeting bring nothing more.
    assert (await team.run("agendas", at=datetime(2026, 11, 26, 6, 30, tzinfo=UTC))).sent == 0
    assert len(team.chat.channel_posts) == 2


async def test_an_edit_to_a_posted_agenda_shows_it_as_posted(team: Team) -> None:
    await team.say("ULEAD", "action <@UANNA> Send the new price list")
    sent = await draft(team)
    await team.press("ULEAD", POST, buttons(sent, POST)[0])
    stale = await team.press("ULEAD", REMOVE, buttons(sent, REMOVE)[0])
    assert "Posted in #sales-oslo." in words(stale)
    assert len(team.chat.channel_posts) == 1, "no numbers came in, so no pre-read"


async def test_posting_needs_a_channel(team: Team) -> None:
    async with team.database.uow() as uow:
        seat = await uow.teams.membership(WORKSPACE, "ULEAD")
        assert seat is not None
        seat.team.channel_id = seat.team.channel_name = None
    sent = await draft(team)
    assert "Post to the team channel" in sent.text()
    said = words(await team.press("ULEAD", POST, buttons(sent, POST)[0]))
    assert "Set the team channel first" in said
    assert team.chat.channel_posts == []


async def test_open_actions_carry_over_until_done(team: Team) -> None:
    said = await team.say("ULEAD", "action <@UBJORN> Call Nordvik back about the renewal")
    assert said.startswith("Action 1 is for Bjørn Dahl: Call Nordvik back about the renewal.")
    await team.run()
    assert "Kari Nordmann gave you an action" in team.chat.to("UBJORN")[-1].text()
    first = await draft(team)
    assert "Action 1 (Bjørn Dahl): Call Nordvik back about the renewal" in first.text()
    await team.press("ULEAD", POST, buttons(first, POST)[0])

    # A week later the action is still open, so it is on the next agenda too.
    second_wednesday = WEDNESDAY_1400 + timedelta(weeks=1)
    assert (await team.run("agendas", at=second_wednesday)).sent == 1
    second = team.chat.to("ULEAD")[-1]
    assert "Thu 3 Dec" in second.text()
    assert "Action 1 (Bjørn Dahl): Call Nordvik back" in second.text()
    done = await team.press("ULEAD", DONE, buttons(second, DONE)[0])
    assert "✓ Action 1 (Bjørn Dahl) is done" in words(done)
    assert buttons(done.message, DONE) == []  # type: ignore[arg-type]
    await team.press("ULEAD", POST, buttons(second, POST)[0])
    assert "✓ Action 1 (Bjørn Dahl) is done" in team.chat.channel_posts[-1].text()

    assert (await team.run("agendas", at=second_wednesday + timedelta(weeks=1))).sent == 1
    assert "Call Nordvik" not in team.chat.to("ULEAD")[-1].text()


async def test_topics_on_a_posted_agenda_are_closed(team: Team) -> None:
    await place(team, "UANNA", "Handling the price objection", "team")
    await place(team, "UBJORN", "My territory split", "private")
    sent = await draft(team)
    await team.press("ULEAD", POST, buttons(sent, POST)[0])
    assert "Handling the price objection" not in await team.say("UANNA", "topics")
    assert "My territory split (1:1)" in await team.say("UBJORN", "topics")


async def test_a_paused_leader_gets_no_draft_but_can_ask_for_it(team: Team) -> None:
    await team.say("ULEAD", "pause until 2026-11-27")
    assert (await team.run("agendas", at=WEDNESDAY_1400)).sent == 0
    assert "Draft agenda" in await team.say("ULEAD", "agenda")


async def test_a_leader_who_left_gets_no_draft(team: Team) -> None:
    await team.run("agendas", at=WEDNESDAY_1400 - timedelta(minutes=1))
    async with team.database.uow() as uow:
        seat = await uow.teams.membership(WORKSPACE, "ULEAD")
        assert seat is not None
        leader: Member = seat.member
        leader.removed_at = MONDAY
    assert (await team.run("agendas", at=WEDNESDAY_1400)).sent == 0


async def test_sellers_cannot_see_or_edit_the_agenda(team: Team) -> None:
    sent = await draft(team)
    assert "only a team leader can do that" in (await team.say("UANNA", "agenda")).lower()
    refused = words(await team.press("UANNA", POST, buttons(sent, POST)[0]))
    assert "only a team leader can do that" in refused.lower()
    assert team.chat.channel_posts == []


async def test_the_draft_speaks_the_team_language_even_after_a_change(team: Team) -> None:
    await with_history(team)
    await team.say("UANNA", "win Closed the Fjordkraft renewal")
    first = (await draft(team)).text()
    assert any(q in first for q in EN.choices("questions.calls_down"))
    await team.say("ULEAD", "team set language nb")
    text = await team.say("ULEAD", "agenda")
    nb = copy_for("nb")
    assert "tor. 26. nov." in text
    assert any(q in text for q in nb.choices("questions.calls_down")), text
    assert "Be Anna Berg fortelle historien bak «Closed the Fjordkraft renewal»" in text
    assert "What made it work" not in text


async def test_setting_the_meeting_says_when_the_draft_comes(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    clock.set(MONDAY)
    team = Team(database, chat, clock)
    await team.create({"UANNA": "Europe/Oslo"})
    said = await team.say("ULEAD", "team set meeting mon 08:30")
    assert "Your draft agenda comes Fri 27 Nov at 14:00, your time." in said
    assert "Set the team channel with /pepptalk team set channel #channel" in said
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    said = await team.say("ULEAD", "team set meeting thu 09:00")
    assert "comes Wed 25 Nov at 14:00, your time; the numbers go to #sales-oslo" in said


async def test_a_few_wins_are_told_one_per_seller_newest_first(team: Team) -> None:
    for seller, text in (
        ("UANNA", "Booked the Nordvik demo"),
        ("UBJORN", "Closed Fjordkraft"),
        ("UANNA", "Renewed Hafslund a year early"),
        ("UCARL", "First meeting with Tine"),
    ):
        await team.say(seller, f"win {text}")
    team.chat.sent.clear()
    text = (await draft(team)).text()
    told = [line for line in text.splitlines() if "tell the story" in line]
    assert len(told) == 3
    assert "First meeting with Tine" in told[0] and "Renewed Hafslund" in told[1]
    assert "Booked the Nordvik demo" not in text, "one story per seller: her latest"


async def test_a_long_draft_stays_within_what_slack_takes(team: Team) -> None:
    from pepptalk.bot.slack.render import render_message
    from tests.fakes.slack_api import block_problems

    sent = await draft(team)
    form = (await team.press("ULEAD", ADD, buttons(sent, ADD)[0])).form
    assert form is not None
    for n in range(25):
        added = await team.submit("ULEAD", ADD_FORM, form.context, {"item": f"Point {n + 1}"})
    assert added.message is not None
    assert "21. Point 21\n22. Point 22" in words(added)
    assert "Remove some of them to edit these" in words(added)
    assert block_problems(render_message(added.message)["blocks"], max_blocks=50) == []
