"""The weekly digest over Slack: a week of mornings through signed requests, then the digest job
on Friday afternoon uploads the mood chart into the leader's DM as one message with the digest."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.jobs import drain, run_job
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import PNG_SIGNATURE

# Real-length ids: a DM's id is as long, and completeUploadExternal checks it.
LEAD, SELLERS = "U07LEAD01", ("U07ANNA01", "U07BJRN01", "U07CARL01")
MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
FRIDAY_1400 = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    # The team is set up on Sunday evening, so Monday's check-ins are its first.
    async with running_pepptalk(tmp_path, FakeClock(MONDAY_0830 - timedelta(hours=12))) as harness:
        yield harness


def mood_row(post: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    block = next(b for b in post["blocks"] if b["type"] == "actions")
    return block, block["elements"]


async def test_the_digest_arrives_with_its_chart_in_the_dm(slack: SlackHarness) -> None:
    slack.api.add_user(LEAD, "Kari Nordmann")
    for n, user_id in enumerate(SELLERS):
        slack.api.add_user(user_id, ("Anna Berg", "Bjørn Dahl", "Carl Ek")[n])
    await slack.command(LEAD, "team create Oslo")
    await slack.command(LEAD, "team add " + " ".join(f"<@{u}>" for u in SELLERS))
    await drain(slack.services)
    # Each morning of the week, the sellers tap a mood on their check-in.
    for day in range(5):
        morning = MONDAY_0830 + timedelta(days=day)
        slack.clock.set(morning)
        await run_job(slack.services, "checkins", at=morning)
        for n, user_id in enumerate(SELLERS):
            post = [
                c.args
                for c in slack.api.called("chat.postMessage")
                if c.args["channel"] == user_id and "How are you" in json.dumps(c.args)
            ][-1]
            block, buttons = mood_row(post)
            await slack.click(user_id, block, buttons[(n + day) % 5])
            assert (await slack.next_response())["replace_original"] is True
    slack.clock.set(FRIDAY_1400)
    report = await run_job(slack.services, "digests", at=FRIDAY_1400)
    assert report.queued == 1 and report.drain.sent == 1
    [shared] = [m for m in slack.api.messages_in(LEAD) if m.files]
    [chart] = shared.files
    assert chart.data is not None and chart.data.startswith(PNG_SIGNATURE)
    words = json.dumps(shared.blocks, ensure_ascii=False)
    assert "Your week with Oslo" in words
    assert "Check-ins: 15 of 15 answered (100%)" in words
    assert "📈" not in words, "the chart itself came, not its words"
    assert chart.alt_txt is not None and chart.alt_txt.startswith("Team mood over the last 8 weeks")
    assert (await run_job(slack.services, "digests", at=FRIDAY_1400)).drain.sent == 0
    assert slack.api.violations == []
