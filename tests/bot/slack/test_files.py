"""A CSV file dropped into Pepptalk's DM in Slack: signed events into the real server, the file
fetched from the fake Web API with the bot's token, the figures in the database."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.slack.events import DownloadError, download
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import TOKEN, WORKSPACE
from tests.stored import team_named

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
FIGURES = (
    "date,seller,metric,value,goal\n"
    "2026-11-16,UANNA,calls,40,50\n"
    "2026-11-16,anna@example.com,meetings,3,\n"
    "2026-11-16,Nobody,calls,1,\n"
    "2026-11-17,Bjørn Haugen,calls,12,\n"
)
_events = itertools.count(1)


@pytest.fixture
async def team(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    """Oslo over Slack: Kari leads, Anna (with her e-mail) and Bjørn Haugen sell."""
    async with running_pepptalk(tmp_path, FakeClock(NOW)) as slack:
        slack.api.add_user("ULEAD", "Kari")
        slack.api.add_user("UANNA", "Anna", email="anna@example.com")
        slack.api.add_user("UBJORN", "Bjørn Haugen")
        await slack.command("ULEAD", "team create Oslo")
        await slack.command("ULEAD", "team add <@UANNA|anna> <@UBJORN|bjorn>")
        slack.api.calls.clear()
        yield slack


async def drop(slack: SlackHarness, user_id: str, *files: dict[str, Any]) -> None:
    """What Slack sends when someone shares files in the DM with Pepptalk."""
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": f"D{user_id[1:]}",
        "user": user_id,
        "text": "",
        "files": list(files),
        "ts": "1700000000.000100",
    }
    assert await slack.event(event, event_id=f"EvFile{next(_events)}") == 200


async def replies(slack: SlackHarness, user_id: str, count: int = 1) -> list[str]:
    """The texts Pepptalk posted in that person's DM, once there are `count` of them."""
    channel = f"D{user_id[1:]}"
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        posts = [
            c.args for c in slack.api.called("chat.postMessage") if c.args["channel"] == channel
        ]
        if len(posts) >= count:
            return [json.dumps(p, ensure_ascii=False) for p in posts]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"Pepptalk posted {len(posts)} of {count} replies in {channel}")
        await asyncio.sleep(0.01)


async def stored(slack: SlackHarness) -> int:
    team = await team_named(slack.pepptalk.database, WORKSPACE, "Oslo")
    assert team is not None
    async with slack.pepptalk.database.uow() as uow:
        return await uow.metrics.count(team.id)


async def test_a_leaders_csv_file_is_fetched_with_the_bot_token_and_stored(
    team: SlackHarness,
) -> None:
    await drop(team, "ULEAD", team.api.add_file("F1", "week-47.csv", FIGURES))
    [reply] = await replies(team, "ULEAD")
    assert "Stored 3 figures." in reply
    assert "Line 4:" in reply and "Nobody" in reply
    assert [c.args["file"] for c in team.api.called("files.info")] == ["F1"]
    assert team.api.downloads == ["F1"] and team.api.refused_downloads == 0
    assert await stored(team) == 3
    assert team.api.violations == []

    # The same file again (a corrected export, say) replaces rather than adds.
    await drop(team, "ULEAD", team.api.add_file("F2", "week-47.csv", FIGURES))
    assert "Stored 3 figures." in (await replies(team, "ULEAD", 2))[1]
    assert await stored(team) == 3


async def test_a_csv_named_so_counts_and_semicolons_work(team: SlackHarness) -> None:
    figures = "date;seller;metric;value\n2026-11-16;UANNA;sales;1 234,5\n"
    shared = team.api.add_file("F1", "Sales.CSV", figures, filetype="text")
    await drop(team, "ULEAD", shared)
    assert "Stored 1 figure." in (await replies(team, "ULEAD"))[0]
    assert await stored(team) == 1


async def test_a_seller_dropping_a_file_is_refused_and_nothing_is_stored(
    team: SlackHarness,
) -> None:
    await drop(team, "UANNA", team.api.add_file("F1", "mine.csv", FIGURES))
    [reply] = await replies(team, "UANNA")
    assert "Only a team leader can do that." in reply
    assert await stored(team) == 0


async def test_other_files_get_a_short_reply_and_are_not_fetched(team: SlackHarness) -> None:
    pdf = team.api.add_file("F1", "pipeline.pdf", b"%PDF-1.7", filetype="pdf")
    csv = team.api.add_file("F2", "numbers.csv", FIGURES)
    await drop(team, "ULEAD", pdf, csv)
    said = await replies(team, "ULEAD", 2)
    assert "pipeline.pdf: I only read CSV files" in said[0]
    assert "Stored 3 figures." in said[1]
    assert team.api.downloads == ["F2"]
    assert [c.args["file"] for c in team.api.called("files.info")] == ["F2"]


async def test_files_that_cannot_be_read_say_why(team: SlackHarness) -> None:
    big = "date,seller,metric,value\n" + "2026-11-16,UANNA,calls,1\n" * 250_000
    await drop(team, "ULEAD", team.api.add_file("F1", "huge.csv", big))
    assert "more than 5 MB" in (await replies(team, "ULEAD"))[0]
    assert team.api.downloads == []  # files.info gave its size: no need to fetch it

    # A file that is bigger than Slack said: reading stops at the limit all the same.
    team.api.add_file("F2", "huge.csv", big)
    team.api.files["F2"]["size"] = 100
    await drop(team, "ULEAD", {"id": "F2", "name": "huge.csv", "filetype": "csv"})
    assert "more than 5 MB" in (await replies(team, "ULEAD", 2))[1]

    latin1 = "date,seller,metric,value\n2026-11-16,Bjørn Haugen,calls,1\n".encode("latin-1")
    await drop(team, "ULEAD", team.api.add_file("F3", "excel.csv", latin1))
    assert "isn't UTF-8 text" in (await replies(team, "ULEAD", 3))[2]

    await drop(team, "ULEAD", {"id": "F404", "name": "gone.csv", "filetype": "csv"})
    assert "Something went wrong on my side" in (await replies(team, "ULEAD", 4))[3]

    await drop(team, "ULEAD", team.api.add_file("F4", "notes.csv", "just some words\n"))
    assert "The header is missing" in (await replies(team, "ULEAD", 5))[4]
    assert await stored(team) == 0


async def test_someone_not_in_a_team_is_told_how_to_start(team: SlackHarness) -> None:
    team.api.add_user("USOFIE", "Sofie")
    await drop(team, "USOFIE", team.api.add_file("F1", "mine.csv", FIGURES))
    assert "You're not in a team yet" in (await replies(team, "USOFIE"))[0]


async def test_a_download_without_the_bot_token_gets_nothing(team: SlackHarness) -> None:
    shared = team.api.add_file("F1", "week.csv", FIGURES)
    url = team.api.files[shared["id"]]["url_private_download"]
    with pytest.raises(DownloadError):
        await download(url, "xoxb-someone-else")
    assert team.api.refused_downloads == 1
    assert await download(url, TOKEN) == FIGURES.encode()
    assert await download(url, TOKEN, limit=10) is None
