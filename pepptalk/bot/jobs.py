"""The scheduled jobs: queue what is due at an instant, then send the outbox."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pepptalk.bot.services import Services
from pepptalk.handlers.checkin import claim_checkins
from pepptalk.handlers.feedback import claim_nudges
from pepptalk.handlers.outbox import DrainReport, deliver_pending
from pepptalk.handlers.store import Store
from pepptalk.handlers.summary import claim_summaries

log = logging.getLogger(__name__)

Claim = Callable[..., Awaitable[int]]
JOBS: dict[str, Claim] = {
    "checkins": claim_checkins,
    "summaries": claim_summaries,
    "nudges": claim_nudges,
}
# Slack retries an event for a few minutes at most; a day of ids is plenty.
EVENT_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class JobReport:
    """What one run of a job did."""

    job: str
    at: datetime
    queued: int
    drain: DrainReport


async def claim(store: Store, job: str, *, at: datetime, queued_at: datetime) -> int:
    """Queue what `job` has due at `at`."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; choose from {', '.join(JOBS)}")
    return await JOBS[job](store=store, now=at, queued_at=queued_at)


async def run_job(services: Services, job: str, *, at: datetime | None = None) -> JobReport:
    """Run one job once as if the time were `at`, then send everything due. Safe to repeat."""
    now = services.clock()
    when = at or now
    queued = await claim(services.store, job, at=when, queued_at=now)
    drain = await deliver_pending(store=services.store, chat=services.chat, clock=services.clock)
    return JobReport(job=job, at=when, queued=queued, drain=drain)


async def tick(services: Services) -> None:
    """The schedule's minute: every job at the current time, then one drain of the outbox."""
    now = services.clock()
    for job in JOBS:
        queued = await claim(services.store, job, at=now, queued_at=now)
        if queued:
            log.info("%s: queued %d", job, queued)
    report = await deliver_pending(store=services.store, chat=services.chat, clock=services.clock)
    if report.sent or report.failed or report.retried:
        log.info(
            "outbox: sent %d, retried %d, failed %d, skipped %d",
            report.sent,
            report.retried,
            report.failed,
            report.skipped,
        )
    await services.store.forget_events_before(now - EVENT_MEMORY)
