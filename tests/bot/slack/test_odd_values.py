"""Signed requests whose button values no Pepptalk message carries (a mood of "³", a win id of
a hundred thousand digits): a calm answer in the person's chat, nothing stored, no traceback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.jobs import run_job
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.bot.slack.test_e2e import MONDAY_0830_OSLO, checkin_posts, set_up_team
from tests.fakes.clock import FakeClock

ODD = ["³", "²", "9" * 100_000, "2147483648", "-1", "1.0", "", "１"]


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_pepptalk(tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


def with_value(row: dict[str, Any], value: str) -> dict[str, Any]:
    return {**row["elements"][0], "value": value}


@pytest.mark.parametrize("value", ODD)
async def test_an_odd_mood_or_shout_out_value_gets_a_calm_answer(
    slack: SlackHarness, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up_team(slack, ["UANNA"])
    await slack.command("UANNA", "win Booked a demo")
    await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    card = checkin_posts(slack, "UANNA")[0]
    moods = next(b for b in card["blocks"] if b["type"] == "actions")
    await slack.click("UANNA", moods, with_value(moods, value))
    answer = json.dumps(await slack.next_response(), ensure_ascii=False)
    assert "didn't carry a mood I understand" in answer

    win_post = next(p for p in checkin_posts(slack, "ULEAD") if "logged a win" in json.dumps(p))
    row = next(b for b in win_post["blocks"] if b["type"] == "actions")
    await slack.click("ULEAD", row, with_value(row, value))
    answer = json.dumps(await slack.next_response(), ensure_ascii=False)
    assert "can't find that win in your team" in answer

    async with slack.services.database.uow() as uow:
        seat = await uow.teams.membership("T0PEPP", "UANNA")
        assert seat is not None
        assert await uow.checkins.of(member_id=seat.member.id, day=MONDAY_0830_OSLO.date()) is None
    assert not [r for r in caplog.records if r.exc_info]
