"""Connecting HubSpot from Teams: asked in a channel, the form comes to the 1:1 chat (a token
typed into a card in the channel would sit in front of everyone); there the leader pastes the
token into the card's input, Pepptalk checks it at the fake HubSpot and keeps it sealed; a token
short of a scope is refused in the card, naming the scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import pytest
from cryptography.fernet import Fernet

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.crm.access import CipherSealer
from pepptalk.bot.crm.hubspot import HubSpotSource
from pepptalk.core.crm import CrmAccess, CrmKind, RecordKind
from pepptalk.core.privacy import Policy
from pepptalk.store.database import Database
from tests.bot.teams.activities import message, person
from tests.bot.teams.cards import taps
from tests.bot.teams.turns import Turns, text_of
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.fakes.crm_book import CrmBook
from tests.fakes.hubspot_api import ALL_SCOPES, FakeHubSpot
from tests.fakes.serving import served

KARI, ANNA = person("Kari Nordmann"), person("Anna Berg")
TOKEN = "pat-eu1-5b3c0c1e-0000-4000-8000-000000000001"
NARROW = "pat-eu1-5b3c0c1e-0000-4000-8000-000000000002"


@pytest.fixture
async def hubspot(database: Database, chat: FakeChat, clock: FakeClock) -> AsyncIterator[Turns]:
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    book = CrmBook()
    book.owner("301", "Anna Berg", "anna@corp.example")
    book.add(RecordKind.CALL, "301", datetime.combine(date(2026, 11, 20), time(9), tzinfo=UTC))
    fake = FakeHubSpot()
    fake.add(TOKEN, book)
    fake.add(NARROW, book, scopes=ALL_SCOPES - {"crm.objects.deals.read"})
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        sealer = CipherSealer(TokenCipher([Fernet.generate_key().decode()]))
        access = CrmAccess(sources={CrmKind.HUBSPOT: source}, sealer=sealer)
        yield Turns(database, chat, clock, Policy(crm=access))
        await source.close()


async def test_asked_in_a_channel_the_token_is_typed_in_the_one_to_one_chat(
    hubspot: Turns,
) -> None:
    turns = hubspot
    await turns.send(message(ANNA, "hi"))
    await turns.send(message(KARI, "team create Oslo"))
    await turns.send(message(KARI, "team add <at>Anna Berg</at>", channel="sales", mentions=[ANNA]))

    in_channel = await turns.send(message(KARI, "team connect hubspot", channel="sales"))
    assert "Input.Text" not in text_of(in_channel)

    cards = await turns.send(message(KARI, "team connect hubspot"))
    [form] = cards
    inputs = [b for b in form["body"] if b["type"] == "Input.Text"]
    assert [i["id"] for i in inputs] == ["token"]
    assert "crm.objects.owners.read" in text_of(cards)

    submit = form["actions"][0]["data"]
    narrow = await turns.send(message(KARI, value={**submit, "token": NARROW}))
    assert "lacks a permission" in text_of(narrow) and "crm.objects.deals.read" in text_of(narrow)

    connected = await turns.send(message(KARI, value={**submit, "token": TOKEN}))
    assert "Connected to HubSpot" in text_of(connected)
    assert "Found 1 of 1 sellers in HubSpot" in text_of(connected)
    assert TOKEN not in text_of(connected)
    shown = await turns.send(message(KARI, "team connection"))
    assert "HubSpot" in text_of(shown) and "Not read yet" in text_of(shown)
    assert taps(shown[0]) == [] or all("token" not in str(t) for t in taps(shown[0]))
