"""GET /metrics as Prometheus reads it: deliveries, the outbox's backlog, latency, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pepptalk.bot.jobs import claim, drain
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import Actor
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.bot.slack.test_e2e import MONDAY_0830_OSLO, set_up_team
from tests.fakes.clock import FakeClock


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_pepptalk(tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


async def scrape(slack: SlackHarness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with slack.http.get(f"{slack.url}/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_what_the_outbox_and_the_endpoints_did(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_up_team(slack, ["UANNA", "UBJORN"])
    services = slack.services
    await claim(services, "checkins", at=MONDAY_0830_OSLO, queued_at=MONDAY_0830_OSLO)
    slack.clock.advance(seconds=90)
    before = await scrape(slack)
    assert before[("pepptalk_outbox_pending", ())] == 2
    assert before[("pepptalk_outbox_oldest_pending_seconds", ())] == 90
    welcomes = (("kind", "welcome"), ("outcome", "sent"), ("platform", "slack"))
    assert before[("pepptalk_deliveries_total", welcomes)] == 2

    await drain(services)
    after = await scrape(slack)
    assert after[("pepptalk_outbox_pending", ())] == 0
    checkins = (("kind", "checkin"), ("outcome", "sent"), ("platform", "slack"))
    assert after[("pepptalk_deliveries_total", checkins)] == 2
    slack_events = (("endpoint", "/slack/events"),)
    assert after[("pepptalk_request_seconds_count", slack_events)] >= 2

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.habits, "_command", broken)
    await services.habits.command(Actor("T0PEPP", "UANNA", Platform.SLACK), "help")
    failed = await scrape(slack)
    assert failed[("pepptalk_handler_errors_total", (("handling", "a command"),))] == 1
