"""A body nested deeper than the JSON parser goes (50,000 brackets) gets a 400 and one log line
on every endpoint that reads JSON: Teams' /api/messages, Slack's /slack/events (as a JSON body
and as a form's payload) and the metrics API. Never a 500, never a traceback."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from tests.bot.fuzzing import Tally, counting
from tests.bot.slack.harness import running_pepptalk, signed_headers
from tests.bot.teams.site import teams_site
from tests.fakes.clock import FakeClock

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"type": "message", "value": ' + "[" * 50_000 + "]" * 50_000 + "}"
MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def one_line_each(tally: Tally, requests: int) -> None:
    assert tally.tracebacks == 0, tally.examples
    assert tally.errors == 0, tally.examples
    assert tally.statuses == {400: requests}, tally.statuses


async def test_teams_gets_a_400_and_one_line(tmp_path: Path) -> None:
    tally = Tally()
    async with teams_site(tmp_path, microsoft_app_id="") as site:
        with counting(tally):
            for body in (DEEP, DEEP_OBJECT):
                tally.statuses[await site.post(body)] += 1
    one_line_each(tally, 2)


async def test_slack_and_the_metrics_api_get_a_400_and_one_line(tmp_path: Path) -> None:
    tally = Tally()
    async with running_pepptalk(tmp_path, FakeClock(MONDAY)) as slack:
        slack.api.add_user("ULEAD", "Kari")
        await slack.command("ULEAD", "team create Oslo")
        shown = json.dumps(await slack.command("ULEAD", "team token"))
        token = max(re.findall(r"[\w-]{40,}", shown), key=len)
        with counting(tally):
            for content_type, body in (
                ("application/json", DEEP),
                ("application/json", DEEP_OBJECT),
                ("application/x-www-form-urlencoded", urlencode({"payload": DEEP})),
            ):
                response = await slack.post(
                    body, content_type=content_type, headers=signed_headers(body)
                )
                tally.statuses[response.status] += 1
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                for body in (DEEP, DEEP_OBJECT):
                    async with http.post(
                        f"{slack.url}/api/metrics", data=body, headers=headers
                    ) as r:
                        tally.statuses[r.status] += 1
    one_line_each(tally, 5)
