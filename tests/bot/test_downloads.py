"""The export's one-time download link, where a chat cannot take a file: in Teams (on
Pepptalk's PUBLIC_URL) and in the playground, fetched from the real server over HTTP. It works
once, for 15 minutes; a used, expired, unknown or malformed link gets a short page. And
forget-me in Teams, by a tap on the person's own card."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pepptalk.core.kinds import Platform
from tests.bot.playground.harness import running_playground
from tests.bot.teams.activities import TENANT, message, person
from tests.bot.teams.cards import card_problems, taps
from tests.bot.teams.site import TeamsSite, teams_site, texts
from tests.fakes.clock import FakeClock
from tests.stored import membership, reference

KARI = person("Kari Nordmann")
PUBLIC = "https://pepptalk.example.com"


async def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, dict(response.headers), await response.read()


def link_in(card: dict[str, Any]) -> str:
    """The URL of the card's one Open button."""
    found = [
        action["url"]
        for element in card["body"]
        if element["type"] == "ActionSet"
        for action in element["actions"]
        if action["type"] == "Action.OpenUrl"
    ]
    assert len(found) == 1, card
    return str(found[0])


async def export_link(site: TeamsSite) -> str:
    """Kari asks for her export in her 1:1 chat; the link, on the server the test reaches."""
    assert await site.post(message(KARI, "export")) in (200, 201)
    card = site.connector.cards("1on1-29:kari")[-1]
    assert card_problems(card) == []
    said = texts([card])
    assert "The link works once, for the next 15 minutes." in said
    assert "Download pepptalk-export-2026-11-23.json" in said
    url = link_in(card)
    assert re.fullmatch(rf"{PUBLIC}/download/[A-Za-z0-9_-]{{43}}", url), url
    return site.url + url.removeprefix(PUBLIC)


@pytest.fixture
async def site(tmp_path: Path) -> Any:
    async with teams_site(tmp_path, microsoft_app_id="", public_url=PUBLIC + "/") as site:
        await site.post(message(KARI, "team create Oslo"))
        yield site


def clock_of(site: TeamsSite) -> FakeClock:
    clock = site.pepptalk.services.clock
    assert isinstance(clock, FakeClock)
    return clock


async def test_a_teams_export_is_a_link_that_works_once(site: TeamsSite) -> None:
    url = await export_link(site)
    status, headers, body = await fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert (
        headers["Content-Disposition"] == 'attachment; filename="pepptalk-export-2026-11-23.json"'
    )
    assert headers["Cache-Control"] == "no-store"
    document = json.loads(body)
    assert document["format"] == 1
    assert document["person"] == {
        "platform": "teams",
        "workspace_id": document["person"]["workspace_id"],
        "user_id": "aad-kari",
    }
    assert [(m["team"], m["role"]) for m in document["memberships"]] == [("Oslo", "leader")]

    status, headers, body = await fetch(url)
    assert status == 410
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "This download link has expired or has been used already" in page
    assert "pepptalk-export" not in page and "Oslo" not in page


async def test_the_link_expires_after_15_minutes(site: TeamsSite) -> None:
    clock = clock_of(site)
    early, late = await export_link(site), await export_link(site)
    clock.advance(minutes=14, seconds=59)
    assert (await fetch(early))[0] == 200
    clock.advance(seconds=1)
    status, _, body = await fetch(late)
    assert status == 410 and b"has expired or has been used already" in body


async def test_a_link_pepptalk_never_gave_is_a_404(site: TeamsSite) -> None:
    await export_link(site)
    for token in ("not-a-token", "A" * 43, "%00" * 20, "A" * 500):
        status, headers, body = await fetch(f"{site.url}/download/{token}")
        assert status == 404, token
        assert headers["Content-Type"].startswith("text/html")
        assert b"This isn't a download link Pepptalk knows" in body


async def test_asked_for_in_a_channel_the_link_goes_to_the_1to1_chat(site: TeamsSite) -> None:
    await site.post(message(KARI, "export", channel="sales"))
    in_channel = texts(site.connector.cards("sales"))
    assert "I've sent it to our 1:1 chat" in in_channel
    assert "/download/" not in in_channel
    assert "/download/" in texts(site.connector.cards("1on1-29:kari"))


async def test_without_public_url_teams_says_which_setting_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with teams_site(tmp_path, microsoft_app_id="") as site:
        await site.post(message(KARI, "team create Oslo"))
        await site.post(message(KARI, "export"))
        said = texts(site.connector.cards("1on1-29:kari")[-1:])
    assert "whoever runs Pepptalk needs to set PUBLIC_URL first" in said
    assert "/download/" not in said
    assert any("PUBLIC_URL is not set" in r.getMessage() for r in caplog.records)
    assert all(r.exc_info is None for r in caplog.records)


async def test_the_playground_serves_its_own_download_link(tmp_path: Path) -> None:
    async with running_playground(tmp_path) as site:
        page = await site.command("UANNA", "export")
        [href] = re.findall(r'href="(/download/[A-Za-z0-9_-]{43})" download', page)
        status, _, body = await fetch(site.url + href)
        assert status == 200
        document = json.loads(body)
        assert document["person"]["platform"] == "playground"
        assert len(document["checkins"]) > 20  # eight weeks of the demo's mornings
        assert (await fetch(site.url + href))[0] == 410


async def test_forget_me_in_teams_is_one_tap_on_the_persons_own_card(site: TeamsSite) -> None:
    anna, bjorn = person("Anna Berg"), person("Bjørn Lie")
    await site.post(message(anna, "hi"))
    await site.post(message(bjorn, "hi"))
    await site.post(
        message(
            KARI,
            "team add <at>Anna Berg</at> <at>Bjørn Lie</at>",
            channel="sales",
            mentions=[anna, bjorn],
        )
    )
    assert "Added Anna Berg and Bjørn Lie" in texts(site.connector.cards("sales"))
    await site.post(message(anna, "forget-me"))
    card = site.connector.cards("1on1-29:anna")[-1]
    assert card_problems(card) == []
    [erase] = taps(card)
    assert erase["title"] == "Erase my data" and erase["style"] == "destructive"

    await site.post(message(bjorn, value=erase["data"]))
    assert "belongs to someone else" in texts(site.connector.cards("1on1-29:bjørn")[-1:])
    await site.post(message(anna, value=erase["data"]))
    assert "Everything Pepptalk kept about you is erased" in texts(
        site.connector.cards("1on1-29:anna")
    )
    database = site.pepptalk.services.database
    assert await membership(database, TENANT, "aad-anna") is None
    assert await membership(database, TENANT, "aad-bjørn") is not None
    assert (
        await reference(
            database, workspace_id=TENANT, platform=Platform.TEAMS, scope="user", key="aad-anna"
        )
        is None
    )
    assert await reference(
        database, workspace_id=TENANT, platform=Platform.TEAMS, scope="user", key="aad-bjørn"
    )
