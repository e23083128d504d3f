"""Export and forget-me in Slack, end to end: signed slash commands and button taps into the real
server; the export is uploaded into the person's DM with Slack's current upload API (against the
fake Web API), and the file is read back the way the person would open it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.jobs import drain
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.bot.slack.test_e2e import text_of
from tests.bot.slack.test_meetings import button
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import WORKSPACE, dm_of
from tests.stored import membership

MONDAY_0900_OSLO = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
# Slack's ids are this long; a DM's id is as long (completeUploadExternal checks it).
KARI, ANNA, BJORN = "U07KARI01", "U07ANNA01", "U07BJORN1"


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_pepptalk(tmp_path, FakeClock(MONDAY_0900_OSLO)) as harness:
        harness.api.add_user(KARI, "Kari")
        harness.api.add_user(ANNA, "Anna Berg")
        harness.api.add_user(BJORN, "Bjørn Lie")
        await harness.command(KARI, "team create Oslo")
        await harness.command(KARI, f"team add <@{ANNA}|anna> <@{BJORN}|bjorn>")
        assert (await drain(harness.services)).sent == 2
        yield harness


async def a_morning(slack: SlackHarness) -> None:
    """Anna checks in with a note and logs a win; Kari logs a talk with her."""
    card = await slack.command(ANNA, "checkin")
    moods = next(b for b in card["blocks"] if b["type"] == "actions")
    await slack.click(ANNA, moods, moods["elements"][3])
    await slack.next_response()
    assert "Note saved" in text_of(await slack.command(ANNA, "note Missed the bus"))
    assert "Nice one" in text_of(await slack.command(ANNA, "win Booked a demo with Nordvik"))
    logged = await slack.command(KARI, f"feedback <@{ANNA}|anna> praise Great call with Nordvik")
    assert "Logged" in text_of(logged)
    await drain(slack.services)


async def exported(slack: SlackHarness, user_id: str) -> dict[str, Any]:
    """What `export` puts in the person's DM, as the file they download."""
    answer = await slack.command(user_id, "export")
    assert answer["response_type"] == "ephemeral"
    assert "on its way to our direct messages" in text_of(answer)
    assert "pepptalk-export-2026-11-23.json" in text_of(answer)
    posted = slack.api.messages_in(dm_of(user_id))[-1]
    [file] = posted.files
    assert file.filename == "pepptalk-export-2026-11-23.json" and file.completed
    assert "Here is everything Pepptalk keeps about you" in text_of({"blocks": posted.blocks})
    assert file.data is not None
    document: dict[str, Any] = json.loads(file.data.decode("utf-8"))
    return document


async def test_export_puts_the_persons_own_data_in_their_dm(slack: SlackHarness) -> None:
    await a_morning(slack)
    anna = await exported(slack, ANNA)
    assert anna["format"] == 1
    assert anna["exported_at"] == "2026-11-23T08:00:00+00:00"
    assert anna["person"] == {"platform": "slack", "workspace_id": WORKSPACE, "user_id": ANNA}
    [seat] = anna["memberships"]
    assert (seat["team"], seat["role"], seat["name"]) == ("Oslo", "seller", "Anna Berg")
    assert [(c["date"], c["mood"], c["note"], c["note_private"]) for c in anna["checkins"]] == [
        ("2026-11-23", 4, "Missed the bus", False)
    ]
    assert [(w["date"], w["text"]) for w in anna["wins"]] == [
        ("2026-11-23", "Booked a demo with Nordvik")
    ]
    assert [(t["kind"], t["note"], t["by"]) for t in anna["feedback_about_you"]] == [
        ("praise", "Great call with Nordvik", "Kari")
    ]
    assert anna["feedback_you_logged"] == []

    # The leader's export holds what she logged, and nothing of Anna's mornings.
    kari = await exported(slack, KARI)
    assert [(t["kind"], t["about"]) for t in kari["feedback_you_logged"]] == [
        ("praise", "Anna Berg")
    ]
    assert kari["checkins"] == [] and "Missed the bus" not in json.dumps(kari)


async def test_export_says_so_when_slack_refuses_the_file(slack: SlackHarness) -> None:
    before = len(slack.api.messages_in(dm_of(ANNA)))  # her welcome
    slack.api.fail_next("files.getUploadURLExternal", "missing_scope")
    answer = await slack.command(ANNA, "export")
    assert "I couldn't send you the file just now (missing_scope)" in text_of(answer)
    assert "please try `/pepptalk export` again" in text_of(answer)
    # No words-only message pretends to be the file.
    assert len(slack.api.messages_in(dm_of(ANNA))) == before


async def test_forget_me_is_one_tap_and_only_the_persons_own(slack: SlackHarness) -> None:
    await a_morning(slack)
    asked = await slack.command(ANNA, "forget-me")
    assert asked["response_type"] == "ephemeral"
    assert "This erases everything Pepptalk keeps about you" in text_of(asked)
    row, erase = button(asked, "privacy_forget")
    assert erase["style"] == "danger"

    # The same button tapped by Bjørn (a forwarded card, a crafted payload) erases nothing.
    await slack.click(BJORN, row, erase)
    refused = await slack.next_response()
    assert "belongs to someone else, so nothing happened" in text_of(refused)
    assert refused.get("replace_original") is not True
    assert await membership(slack.services.database, WORKSPACE, ANNA) is not None

    await slack.click(ANNA, row, erase)
    done = await slack.next_response()
    assert done["replace_original"] is True
    assert "Everything Pepptalk kept about you is erased" in text_of(done)
    assert await membership(slack.services.database, WORKSPACE, ANNA) is None
    assert await membership(slack.services.database, WORKSPACE, BJORN) is not None

    # A double tap: calm, nothing more to do.
    await slack.click(ANNA, row, erase)
    assert "That's done already" in text_of(await slack.next_response())
    anna = await exported(slack, ANNA)
    assert anna["memberships"] == [] and anna["checkins"] == [] and anna["wins"] == []
    kari = await exported(slack, KARI)
    assert kari["feedback_you_logged"] == []
