"""Teams turns through botbuilder's TestAdapter: the same grammar, answered with cards."""

from __future__ import annotations

from pepptalk.bot.teams.references import MEMBER, PLATFORM, USER
from tests.bot.teams.activities import TENANT, installed, message, person
from tests.bot.teams.cards import taps
from tests.bot.teams.turns import Turns, text_of
from tests.stored import membership, reference

KARI, ANNA = person("Kari Nordmann"), person("Anna Berg")


async def test_install_greets_and_remembers_how_to_reach_the_person(turns: Turns) -> None:
    cards = await turns.send(installed(KARI))
    assert "Pepptalk helps a sales team start the day well" in text_of(cards)
    stored = await reference(
        turns.database, workspace_id=TENANT, platform=PLATFORM, scope=USER, key="aad-kari"
    )
    assert stored is not None and "a:1on1-29:kari" in stored


async def test_a_leader_sets_up_a_team_from_a_channel_with_mentions(turns: Turns) -> None:
    await turns.send(message(ANNA, "help"))  # Anna has talked to Pepptalk before
    cards = await turns.send(message(KARI, "team create Oslo", channel="sales"))
    assert "Team Oslo is ready" in text_of(cards)
    seat = await membership(turns.database, TENANT, "aad-kari")
    assert (
        seat is not None and seat.team.platform == "teams" and seat.team.timezone == "Europe/Oslo"
    )
    cards = await turns.send(
        message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA])
    )
    assert "Added Anna Berg" in text_of(cards)
    assert await membership(turns.database, TENANT, "aad-anna") is not None
    channel = await reference(
        turns.database,
        workspace_id=TENANT,
        platform=PLATFORM,
        scope="channel",
        key="19:sales@thread",
    )
    assert channel is not None


async def test_card_buttons_and_forms_record_the_mood_and_note(turns: Turns) -> None:
    await turns.send(message(ANNA, "hi"))
    await turns.send(message(KARI, "team create Oslo"))
    await turns.send(message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]))
    cards = await turns.send(message(ANNA, "checkin"))
    low = taps(cards[0])[1]["data"]
    cards = await turns.send(message(ANNA, value=low, reply_to_id="card-1"))
    assert "Kari Nordmann will see it before the first call" in text_of(cards)
    assert turns.adapter.updated_activities and turns.adapter.updated_activities[0].id == "card-1"

    note_button = next(
        action["data"] for action in taps(cards[0]) if action["data"]["action"] == "checkin_note"
    )
    cards = await turns.send(message(ANNA, value=note_button, reply_to_id="card-1"))
    form = cards[0]
    assert [b["type"] for b in form["body"] if b["type"].startswith("Input")] == [
        "Input.Text",
        "Input.Toggle",
    ]
    submit = {**form["actions"][0]["data"], "note": "x" * 600, "private": "false"}
    assert "600 characters" in text_of(await turns.send(message(ANNA, value=submit)))
    submit = {**form["actions"][0]["data"], "note": "Missed the bus", "private": "true"}
    saved = await turns.send(message(ANNA, value=submit, reply_to_id="form-1"))
    assert "Your private note: Missed the bus" in text_of(saved)
    # Saving leaves no live form behind, and the card it came from shows the note too.
    updated = {a.id for a in turns.adapter.updated_activities}
    assert updated == {"form-1", "card-1"}
    assert not [b for c in saved for b in c["body"] if b["type"].startswith("Input")]


async def test_bad_input_gets_a_short_card_not_an_error(turns: Turns) -> None:
    assert "not in a team yet" in text_of(await turns.send(message(ANNA, "checkin")))
    assert "don't know" in text_of(await turns.send(message(ANNA, "/pepptalk dance")))
    stray = {"pepptalk": "button", "action": "checkin_mood", "value": "9"}
    assert "not in a team" in text_of(await turns.send(message(ANNA, value=stray)))
    await turns.send(message(KARI, "team create Oslo"))
    assert "Mention at least one person" in text_of(await turns.send(message(KARI, "team add")))
    assert "can't find Anna" in text_of(await turns.send(message(KARI, "team add Anna")))
    await turns.send(message(KARI, "team add <at>Anna Berg</at>", channel="s", mentions=[ANNA]))
    leader_only = await turns.send(message(ANNA, "team set checkin 07:00"))
    assert "Only a team leader" in text_of(leader_only)
    assert "didn't carry a mood" in text_of(await turns.send(message(ANNA, value=stray)))
    # Someone else's card data is ignored rather than misread.
    assert await turns.send(message(ANNA, value={"action": "checkin_mood"})) != []


async def test_a_persons_zone_follows_what_teams_reports(turns: Turns) -> None:
    await turns.send(message(ANNA, "hi"))
    await turns.send(message(KARI, "team create Oslo"))
    await turns.send(message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]))
    await turns.send(message(ANNA, "help", local_timezone="America/New_York"))
    seat = await membership(turns.database, TENANT, "aad-anna")
    assert seat is not None and seat.member.timezone == "America/New_York"
    member = await reference(
        turns.database, workspace_id=TENANT, platform=PLATFORM, scope=MEMBER, key="aad-anna"
    )
    assert member is not None and "29:anna" in member
