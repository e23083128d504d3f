"""The scheduled jobs: queue what is due at an instant, then send the outbox.

Which jobs exist is the registry's to say; this module only runs them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pepptalk.bot.delivery import DrainReport, deliver_pending
from pepptalk.bot.services import Services

log = logging.getLogger(__name__)
# Slack retries an event for a few minutes at most; a day of ids is plenty.
EVENT_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class JobReport:
    """What one run of a job did."""

    job: str
    at: datetime
    queued: int
    drain: DrainReport


async def claim(services: Services, job: str, *, at: datetime, queued_at: datetime) -> int:
    """Queue what `job` has due at `at`, in one unit of work."""
    spec = services.registry.jobs.get(job)
    if spec is None:
        raise ValueError(f"unknown job {job!r}; choose from {', '.join(services.registry.jobs)}")
    if spec.work is not None:
        return await spec.work(database=services.database, now=at, policy=services.policy)
    if spec.claim is None:
        return 0
    async with services.database.uow() as uow:
        return await spec.claim(uow=uow, now=at, queued_at=queued_at, policy=services.policy)


async def drain(services: Services, *, as_of: datetime | None = None) -> DrainReport:
    """Send everything due in the outbox (`as_of`: the moment whose day decides whether a
    message for its day still goes; default now)."""
    report = await deliver_pending(
        database=services.database,
        registry=services.registry,
        chat=services.chat,
        clock=services.clock,
        stopping=services.stopping,
        spacing=services.spacing,
        as_of=as_of,
        policy=services.policy,
    )
    services.delivered.update(report.outcomes)
    return report


async def run_job(services: Services, job: str, *, at: datetime | None = None) -> JobReport:
    """Run one job once as if the time were `at`, then send everything due. Safe to repeat."""
    now = services.clock()
    when = at or now
    queued = await claim(services, job, at=when, queued_at=now)
    # The messages are for `at`'s day: a check-in sent "as if it were" Monday is still Monday's.
    return JobReport(job=job, at=when, queued=queued, drain=await drain(services, as_of=at))


def _work_aside(services: Services, job: str, now: datetime) -> None:
    """Start a working job (a CRM sync can take minutes) beside the tick, so the morning's
    check-ins never wait for it; one run of each at a time."""
    running = services.working.get(job)
    if running is not None and not running.done():
        return
    task = asyncio.create_task(_work_logged(services, job, now), name=f"job:{job}")
    services.working[job] = task


async def _work_logged(services: Services, job: str, now: datetime) -> None:
    try:
        done = await claim(services, job, at=now, queued_at=now)
    except Exception:  # a job's own failures are its to report; this keeps the task quiet
        log.exception("%s: failed", job)
        return
    if done:
        log.info("%s: %d done", job, done)


async def tick(services: Services) -> None:
    """The schedule's minute: every job at the current time, then one drain of the outbox."""
    if services.stopping.is_set():
        return
    try:
        async with services.ticking:
            await _tick(services)
    except asyncio.CancelledError:
        if not services.stopping.is_set():
            raise
        # Cut short by a server told to stop: what the tick claimed waits in the outbox for the
        # next one, and a stop is no error to log.
        log.info("tick: stopped with the server")


async def _tick(services: Services) -> None:
    now = services.clock()
    for job, spec in services.registry.jobs.items():
        if spec.work is not None:
            _work_aside(services, job, now)
            continue
        queued = await claim(services, job, at=now, queued_at=now)
        if queued:
            log.info("%s: queued %d", job, queued)
    report = await drain(services)
    if report.sent or report.failed or report.retried:
        log.info(
            "outbox: sent %d, retried %d, failed %d, skipped %d",
            report.sent,
            report.retried,
            report.failed,
            report.skipped,
        )
    async with services.database.uow() as uow:
        await uow.events.forget_before(now - EVENT_MEMORY)
