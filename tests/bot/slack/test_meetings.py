"""The meeting about why over Slack: a topic placed with a button, the draft agenda in the
leader's DM at 14:00 the day before, posted to the channel with the pre-read, once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.jobs import drain, run_job
from pepptalk.core.i18n import copy_for
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.fakes.clock import FakeClock

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WEDNESDAY_1400_OSLO = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
FIGURES = """date,seller,metric,value,goal
2026-11-17,UANNA,calls,212,250
2026-11-10,UANNA,calls,247,250
2026-11-23,UANNA,calls,199,250
"""


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_pepptalk(tmp_path, FakeClock(MONDAY)) as harness:
        yield harness


def text_of(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


def button(message: dict[str, Any], action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The actions block and the button in it for one action."""
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"].split("#")[0] == action:
                return block, element
    raise AssertionError(f"no {action} button in {text_of(message)}")


def posts_to(slack: SlackHarness, channel: str) -> list[dict[str, Any]]:
    return [c.args for c in slack.api.called("chat.postMessage") if c.args["channel"] == channel]


async def test_from_a_topic_to_a_posted_agenda(slack: SlackHarness) -> None:
    slack.api.add_user("ULEAD", "Kari", tz="Europe/Oslo")
    slack.api.add_user("UANNA", "Anna Berg", tz="Europe/Oslo")
    await slack.command("ULEAD", "team create Oslo")
    await slack.command("ULEAD", "team add <@UANNA|anna>")
    assert (await drain(slack.services)).sent == 1  # Anna's welcome
    await slack.command("ULEAD", "team set meeting thu 09:00")
    await slack.command("ULEAD", "team set channel <#CSALES|sales-oslo>")
    await slack.services.habits.import_metrics_for(
        team="Oslo", workspace_id=None, body=FIGURES.encode()
    )

    asked = await slack.command("UANNA", "topic Handling the price objection")
    block, for_team = button(asked, "topic_for")
    await slack.click("UANNA", block, for_team)
    placed = await slack.next_response()
    assert placed.get("replace_original") is True
    assert "on the list for the next team meeting" in text_of(placed)

    slack.clock.set(WEDNESDAY_1400_OSLO)
    report = await run_job(slack.services, "agendas", at=WEDNESDAY_1400_OSLO)
    assert report.queued == 1 and report.drain.sent == 1
    [draft] = [p for p in posts_to(slack, "ULEAD") if "Draft agenda" in text_of(p)]
    assert "A topic from the team: Handling the price objection" in text_of(draft)
    assert any(q in text_of(draft) for q in copy_for("en").choices("questions.calls_down"))

    block, post = button(draft, "agenda_post")
    await slack.click("ULEAD", block, post)
    shown = await slack.next_response()
    assert "Posted in #sales-oslo." in text_of(shown)
    await slack.click("ULEAD", block, post)
    await slack.next_response()
    pre_read, agenda = posts_to(slack, "CSALES")
    assert "Numbers before the meeting" in text_of(pre_read)
    assert "The team's week, Wed 18 Nov to Tue 24 Nov" in text_of(pre_read)
    assert "Calls: 199 · goal 250 (-20%) · last week 212 (-6%)" in text_of(pre_read)
    assert "Handling the price objection" in text_of(agenda) and "199" not in text_of(agenda)
    assert len(posts_to(slack, "CSALES")) == 2
    assert (await drain(slack.services)).sent == 0
    assert slack.api.violations == []
