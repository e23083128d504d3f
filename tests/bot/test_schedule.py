"""The minute tick runs the same jobs as `pepptalk send`; the wiring refuses unsigned HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pepptalk.bot.app import create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.jobs import tick
from pepptalk.bot.schedule import create_scheduler
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import Actor
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'p.db'}", **values)  # type: ignore[arg-type]


async def test_each_minute_tick_sends_every_morning_message_once(tmp_path: Path) -> None:
    chat = FakeChat()
    # Anna joined the Monday before, and has not had a talk since.
    clock = FakeClock(datetime(2026, 11, 16, 12, 0, tzinfo=UTC))
    pepptalk = await create_app(settings(tmp_path), clock=clock, chat=chat)
    try:
        chat.add_user("ULEAD", "Kari", "Europe/Oslo")
        chat.add_user("UANNA", "Anna", "Europe/Oslo")
        for user, text in (("ULEAD", "team create Oslo"), ("ULEAD", "team add <@UANNA>")):
            await pepptalk.services.habits.command(Actor("T1", user, Platform.SLACK), text)
        await tick(pepptalk.services)
        assert [s.user_id for s in chat.sent] == ["UANNA"] and "Welcome" in chat.sent[0].text()
        chat.sent.clear()
        clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
        for _ in range(120):  # 08:00 to 10:00 in Oslo, a tick a minute
            await tick(pepptalk.services)
            clock.advance(minutes=1)
        # Anna does not answer: her check-in, one reminder, then Kari's summary and nudge.
        texts = [(s.user_id, s.text()) for s in chat.sent]
        assert [user for user, _ in texts] == ["UANNA", "UANNA", "ULEAD", "ULEAD"]
        assert "How are you starting the day?" in texts[0][1]
        assert "A gentle reminder, Anna" in texts[1][1]
        assert "Team check-in" in texts[2][1] and "Still to answer: Anna" in texts[2][1]
        assert "Who could use a word today" in texts[3][1]
    finally:
        await pepptalk.close()


async def test_the_scheduler_ticks_every_minute_one_at_a_time(tmp_path: Path) -> None:
    pepptalk = await create_app(settings(tmp_path), chat=FakeChat())
    try:
        job = create_scheduler(pepptalk.services).get_job("tick")
        assert job is not None and job.max_instances == 1 and job.coalesce
        assert str(job.trigger).startswith("cron[") and "second='0'" in str(job.trigger)
    finally:
        await pepptalk.close()


async def test_socket_mode_without_a_signing_secret_serves_no_slack_route(tmp_path: Path) -> None:
    pepptalk = await create_app(
        settings(tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1"), chat=FakeChat()
    )
    try:
        assert pepptalk.bolt is not None
        paths = {
            route.resource.canonical for route in pepptalk.web.router.routes() if route.resource
        }
        assert "/slack/events" not in paths and "/healthz" in paths
    finally:
        await pepptalk.close()


async def test_a_tick_cut_short_by_a_stop_ends_quietly(tmp_path: Path) -> None:
    """A server told to stop cancels the tick under way: that is no error (the scheduler would
    log one with a traceback), while a cancel for any other reason still goes up."""
    pepptalk = await create_app(settings(tmp_path), chat=FakeChat())
    services = pepptalk.services
    try:
        for stopping in (True, False):
            async with services.ticking:  # the tick waits its turn, as behind a long one
                running = asyncio.create_task(tick(services))
                await asyncio.sleep(0.05)
                if stopping:
                    services.stopping.set()
                running.cancel()
                if stopping:
                    await running  # ends, and says nothing is wrong
                    assert running.done() and not running.cancelled()
                else:
                    with pytest.raises(asyncio.CancelledError):
                        await running
            services.stopping.clear()
    finally:
        await pepptalk.close()
