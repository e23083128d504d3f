"""The schedule: one tick a minute asks every job what is due now."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from pepptalk.bot.jobs import tick
from pepptalk.bot.services import Services


def create_scheduler(services: Services) -> AsyncIOScheduler:
    """An asyncio scheduler running `tick` every minute, never two at once."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "cron",
        second=0,
        args=[services],
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=50,
    )
    return scheduler
