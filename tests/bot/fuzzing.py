"""Send a running Pepptalk many wrongly shaped requests, signed as the platform would, and
count what came back and what the log says: the test and the benchmark share this."""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.bot.slack.harness import running_pepptalk, signed_headers
from tests.bot.teams.site import teams_site
from tests.fakes.clock import FakeClock
from tests.fakes.fuzz import slack_requests, teams_requests

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


@dataclass
class Tally:
    """What the requests got back, and the log lines they caused."""

    statuses: Counter[int] = field(default_factory=Counter)
    tracebacks: int = 0
    errors: int = 0
    log_bytes: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class _Counting(logging.Handler):
    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.DEBUG)
        self.tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        self.tally.log_bytes += len(self.format(record))
        if record.exc_info:
            self.tally.tracebacks += 1
            if len(self.tally.examples) < 5:
                self.tally.examples.append(f"{record.name}: {record.getMessage()[:200]}")
        if record.levelno >= logging.ERROR:
            self.tally.errors += 1


@contextmanager
def counting(tally: Tally) -> Iterator[None]:
    handler = _Counting(tally)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


async def fuzz_slack(count: int, *, seed: int) -> Tally:
    """`count` signed, wrongly shaped requests to /slack/events of a Pepptalk with a team."""
    tally = Tally()
    with tempfile.TemporaryDirectory() as folder:
        async with running_pepptalk(Path(folder), FakeClock(MONDAY_0830_OSLO)) as slack:
            slack.api.add_user("ULEAD", "Kari")
            slack.api.add_user("UANNA", "Anna")
            await slack.command("ULEAD", "team create Oslo")
            await slack.command("ULEAD", "team add <@UANNA>")
            with counting(tally):
                for content_type, body in slack_requests(
                    count, seed=seed, response_url=slack.api.response_url("fuzz")
                ):
                    response = await slack.post(
                        body, content_type=content_type, headers=signed_headers(body)
                    )
                    tally.statuses[response.status] += 1
    return tally


async def fuzz_teams(count: int, *, seed: int) -> Tally:
    """`count` wrongly shaped activities to /api/messages of a Pepptalk with Teams auth off."""
    tally = Tally()
    with tempfile.TemporaryDirectory() as folder:
        async with teams_site(Path(folder), microsoft_app_id="") as site:
            with counting(tally):
                for body in teams_requests(count, seed=seed, service_url=site.connector.url):
                    tally.statuses[await site.post(body)] += 1
    return tally
