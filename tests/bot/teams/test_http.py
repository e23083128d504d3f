"""Teams over HTTP: /api/messages with authentication off and on, and proactive sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pepptalk.bot.jobs import drain, run_job
from tests.bot.teams.activities import installed, message, person
from tests.bot.teams.cards import card_problems, taps
from tests.bot.teams.site import MONDAY_0830_OSLO, TeamsSite, cards_of, teams_site, texts
from tests.fakes.teams_connector import FakeOpenId, Sent
from tests.stored import membership

KARI, ANNA, BJORN = person("Kari Nordmann"), person("Anna Berg"), person("Bjørn Lie")


async def test_a_team_set_up_in_teams_gets_its_checkins_proactively(open_site: TeamsSite) -> None:
    site, connector = open_site, open_site.connector
    assert await site.post(installed(KARI)) in (200, 201)
    assert "Pepptalk helps a sales team" in texts(connector.cards("1on1-29:kari"))
    await site.post(message(ANNA, "hi"))
    connector.roster["29:bjorn"] = {
        "id": "29:bjorn",
        "name": "Bjørn Lie",
        "aadObjectId": "aad-bjorn",
    }
    await site.post(message(KARI, "team create Oslo", channel="sales"))
    await site.post(
        message(
            KARI,
            "team add <at>Anna Berg</at> <at>Bjørn Lie</at>",
            channel="sales",
            mentions=[ANNA, BJORN],
        )
    )
    assert "Added Anna Berg and Bjørn Lie" in texts(connector.cards("sales"))

    # Each is welcomed in their 1:1 chat; Bjørn never wrote to Pepptalk, so a 1:1 chat is
    # started with him from what the roster said, and kept for what comes next.
    assert (await drain(site.pepptalk.services)).sent == 2
    assert "Welcome to Oslo, Anna!" in texts(connector.cards("1on1-29:anna"))
    assert connector.conversations_created[0]["members"][0]["id"] == BJORN.id
    assert "Welcome to Oslo, Bjørn!" in texts(connector.cards("a:new-"))

    report = await run_job(site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    assert report.drain.sent == 2 and report.drain.failed == 0
    anna = connector.cards("1on1-29:anna")[-1]
    assert "Good morning, Anna!" in texts([anna])
    assert len(connector.conversations_created) == 1
    assert "Good morning, Bjørn!" in texts(connector.cards("a:new-"))
    for card in connector.cards():
        assert card_problems(card) == []


async def test_teams_asking_to_back_off_is_waited_out(open_site: TeamsSite) -> None:
    site, connector = open_site, open_site.connector
    sellers = [person(f"Seller{i} X") for i in range(4)]
    for seller in sellers:
        await site.post(message(seller, "hi"))
    await site.post(message(KARI, "team create Oslo"))
    await site.post(
        message(
            KARI,
            "team add " + " ".join(f"<at>{s.name}</at>" for s in sellers),
            channel="s",
            mentions=sellers,
        )
    )
    assert (await drain(site.pepptalk.services)).sent == len(sellers)  # the welcomes
    connector.limit_every = 2
    report = await run_job(site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    assert report.drain.sent == 4 and report.drain.rate_limited >= 1 and connector.limited >= 1
    for seller in sellers:
        assert (
            len([c for c in connector.cards(f"1on1-{seller.id}") if "Good morning" in texts([c])])
            == 1
        )


async def test_bad_bodies_get_a_4xx(open_site: TeamsSite) -> None:
    assert await open_site.post("{not json") == 400
    assert await open_site.post({"type": "message"}) < 500
    async with open_site.http.get(f"{open_site.url}/healthz") as health:
        assert health.status == 200


@pytest.fixture
def openid() -> Any:
    server = FakeOpenId()
    yield server
    server.stop()


async def test_with_authentication_on_only_a_valid_token_gets_in(
    tmp_path: Path, openid: FakeOpenId
) -> None:
    async with teams_site(
        tmp_path,
        microsoft_app_id="app-1",
        microsoft_app_password="secret",
        microsoft_openid_metadata_url=openid.metadata_url,
    ) as site:
        activity = message(KARI, "help")
        assert await site.post(activity) == 401
        assert await site.post(message(KARI, "help"), token="not-a-jwt") == 401
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = openid.token(audience="app-1", service_url=site.connector.url, key=stranger)
        assert await site.post(message(KARI, "help"), token=forged) == 401
        unknown_key = openid.token(audience="app-1", service_url=site.connector.url, kid="other")
        assert await site.post(message(KARI, "help"), token=unknown_key) == 401
        wrong_audience = openid.token(audience="someone-else", service_url=site.connector.url)
        assert await site.post(message(KARI, "help"), token=wrong_audience) == 401
        valid = openid.token(audience="app-1", service_url=site.connector.url)
        assert await site.post(message(KARI, "team create Oslo"), token=valid) in (200, 201)
        seat = await membership(site.pepptalk.services.database, "tenant-1", "aad-kari")
        assert seat is not None, "the valid request reached the bot"


async def test_a_win_becomes_a_shout_out_in_the_teams_channel(open_site: TeamsSite) -> None:
    site, connector = open_site, open_site.connector
    await site.post(message(ANNA, "hi"))
    await site.post(message(KARI, "hi"))
    await site.post(message(KARI, "team create Oslo", channel="sales"))
    await site.post(message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]))
    await site.post(message(KARI, "team set channel", channel="sales"))
    assert "Saved. Team channel: #General" in texts(connector.cards("sales"))
    await site.post(message(ANNA, "win Booked a demo with Nordvik"))
    report = await run_job(site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    assert report.drain.sent >= 2
    win_card = next(c for c in connector.cards("1on1-29:kari") if "logged a win" in texts([c]))
    shout = taps(win_card)[0]["data"]
    before = len(connector.cards("sales"))
    await site.post(message(KARI, value=shout))
    posted = connector.cards("sales")[before:]
    # Anna is @mentioned, so Teams notifies her: the words carry <at>, the entity her id.
    assert "Shout-out to <at>Anna Berg</at>: Booked a demo with Nordvik" in texts(posted)
    assert '"mentioned": {"id": "29:anna", "name": "Anna Berg"}' in texts(posted)
    for card in connector.cards():
        assert card_problems(card) == []


async def anna_answers_her_morning(site: TeamsSite) -> Sent:
    """Kari's team with Anna in it, set up in a Teams channel; Anna taps "good" on Monday's
    check-in card. The card as it was sent."""
    connector = site.connector
    await site.post(message(ANNA, "hi"))
    await site.post(message(KARI, "team create Oslo", channel="sales"))
    await site.post(message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]))
    assert (await drain(site.pepptalk.services)).sent == 1  # the welcome
    await run_job(site.pepptalk.services, "checkins", at=MONDAY_0830_OSLO)
    [card_post] = [s for s in connector.sent if "Good morning, Anna!" in texts(cards_of(s))]
    await site.post(message(ANNA, value=taps(cards_of(card_post)[0])[3]["data"]))
    return card_post


async def test_a_note_typed_in_the_chat_updates_the_morning_card_in_place(
    open_site: TeamsSite,
) -> None:
    site, connector = open_site, open_site.connector
    card_post = await anna_answers_her_morning(site)
    await site.post(message(ANNA, "note Big demo at ten"))
    updates = [s for s in connector.sent if s.method == "update"]
    assert updates, "the card was updated, not sent again"
    last = updates[-1]
    assert last.conversation == card_post.conversation
    assert "Your note: Big demo at ten" in texts(cards_of(last))
    for card in connector.cards():
        assert card_problems(card) == []


def actions_of(cards: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every button on the cards by its title, as the data Teams sends back when tapped."""
    return {action["title"]: action["data"] for card in cards for action in taps(card)} | {
        action["title"]: action.get("data", {})
        for card in cards
        for action in card.get("actions", [])
    }


async def test_a_topic_and_the_agenda_in_teams(open_site: TeamsSite) -> None:
    site, connector = open_site, open_site.connector
    await site.post(message(ANNA, "hi"))
    await site.post(message(KARI, "team create Oslo", channel="sales"))
    await site.post(message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]))
    await site.post(message(KARI, "team set channel", channel="sales"))
    await site.post(message(KARI, "team set meeting thu 09:00"))
    assert (await drain(site.pepptalk.services)).sent == 1  # the welcome

    await site.post(message(ANNA, "topic Handling the price objection"))
    asked = connector.cards("1on1-29:anna")[-1:]
    await site.post(message(ANNA, value=actions_of(asked)["For the team meeting"]))
    assert "on the list for the next team meeting" in texts(connector.cards("1on1-29:anna"))

    await site.post(message(KARI, "agenda"))
    draft = connector.cards("1on1-29:kari")[-1:]
    assert "A topic from the team: Handling the price objection" in texts(draft)
    await site.post(message(KARI, value=actions_of(draft)["Add an item"]))
    form = connector.cards("1on1-29:kari")[-1]
    assert [b["type"] for b in form["body"] if b["type"].startswith("Input")] == ["Input.Text"]
    await site.post(message(KARI, value={**form["actions"][0]["data"], "item": "Christmas lunch"}))
    await site.post(message(KARI, value=actions_of(draft)["Post to #General"]))
    posted = texts(connector.cards("sales"))
    assert "Agenda: team meeting Thu 26 Nov, 09:00" in posted
    assert "Christmas lunch" in posted and "Handling the price objection" in posted
    assert "For one-to-ones" not in posted
    for card in connector.cards():
        assert card_problems(card) == []


async def test_the_digest_in_teams_carries_its_chart_in_the_card(open_site: TeamsSite) -> None:
    site, connector = open_site, open_site.connector
    await anna_answers_her_morning(site)
    await site.post(message(KARI, "digest"))
    [card] = connector.cards("1on1-29:kari")[-1:]
    [image] = [e for e in card["body"] if e["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert image["altText"].startswith("Team mood over the last 8 weeks")
    assert "Check-ins: 1 of 1 answered" in texts([card])
    assert card_problems(card) == []
    # Teams takes cards up to about 28 KB: the chart travels inside with room to spare.
    assert len(json.dumps(card)) < 28_000
    await site.post(message(ANNA, "digest"))
    assert "Only a team leader can do that." in texts(connector.cards("1on1-29:anna"))
