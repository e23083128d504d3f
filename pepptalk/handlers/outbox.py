"""Sending what the jobs queued: paced, retried, and each message once."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pepptalk.handlers import checkin, summary
from pepptalk.handlers.checkin import leader_names
from pepptalk.handlers.messages import Message
from pepptalk.handlers.models import FAILED, SKIPPED
from pepptalk.handlers.ports import Chat, DeliveryError, RateLimitedError
from pepptalk.handlers.store import DeliveryJob, SentResult, Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
MAX_ATTEMPTS = 6


@dataclass
class DrainReport:
    """What one drain did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


class _Gate:
    """Shared pause: when the platform says "slow down", every worker waits the same time."""

    def __init__(self, sleep: Sleep) -> None:
        self._sleep = sleep
        self._reopen = 0.0
        self._loop = asyncio.get_running_loop()

    def close_for(self, seconds: float) -> None:
        self._reopen = max(self._reopen, self._loop.time() + seconds)

    async def wait(self) -> float:
        waited = 0.0
        while (remaining := self._reopen - self._loop.time()) > 0:
            await self._sleep(remaining)
            waited += remaining
        return waited


async def _compose(store: Store, job: DeliveryJob, leaders: dict[int, list[str]]) -> Message | None:
    kind = job.delivery.kind
    if kind == checkin.KIND:
        if job.team.id not in leaders:
            leaders[job.team.id] = leader_names(await store.members(job.team.id))
        return await checkin.compose_checkin_delivery(
            store=store, job=job, leaders=leaders[job.team.id]
        )
    if kind == summary.KIND:
        return await summary.compose_summary_delivery(store=store, job=job)
    raise ValueError(f"no composer for delivery kind {kind!r}")


async def deliver_pending(
    *,
    store: Store,
    chat: Chat,
    clock: Clock,
    sleep: Sleep = asyncio.sleep,
    concurrency: int = 8,
    batch: int = 200,
    lease_for: timedelta = timedelta(minutes=5),
) -> DrainReport:
    """Send every due delivery in the outbox, until none is left that is due now."""
    report = DrainReport()
    owner = uuid.uuid4().hex
    gate = _Gate(sleep)
    slots = asyncio.Semaphore(concurrency)
    leaders: dict[int, list[str]] = {}

    async def send(job: DeliveryJob, sent: list[SentResult]) -> None:
        async with slots:
            message = await _compose(store, job, leaders)
            if message is None:
                await store.finish(
                    delivery_id=job.delivery.id, status=SKIPPED, error="nothing to send"
                )
                report.skipped += 1
                return
            while True:
                report.waited_seconds += await gate.wait()
                try:
                    where = await chat.send_direct(
                        workspace_id=job.delivery.workspace_id,
                        user_id=job.member.user_id,
                        message=message,
                    )
                except RateLimitedError as limited:
                    report.rate_limited += 1
                    gate.close_for(limited.retry_after)
                    continue
                except DeliveryError as error:
                    await _failed(store, job, error, clock(), report)
                    return
                sent.append(SentResult(job.delivery.id, where.channel, where.ref))
                report.sent += 1
                return

    while True:
        jobs = await store.lease(now=clock(), owner=owner, limit=batch, lease_for=lease_for)
        if not jobs:
            return report
        sent: list[SentResult] = []
        outcomes = await asyncio.gather(*(send(job, sent) for job in jobs), return_exceptions=True)
        await store.mark_sent(sent, now=clock())
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                # A bug or an outage we did not foresee: keep the row, try again later.
                log.exception("delivery %s failed", job.delivery.id, exc_info=outcome)
                await _failed(
                    store, job, DeliveryError(repr(outcome), permanent=False), clock(), report
                )


async def _failed(
    store: Store, job: DeliveryJob, error: DeliveryError, now: datetime, report: DrainReport
) -> None:
    attempts = job.delivery.attempts + 1
    report.errors.append(error.reason)
    if error.permanent or attempts >= MAX_ATTEMPTS:
        await store.finish(delivery_id=job.delivery.id, status=FAILED, error=error.reason)
        report.failed += 1
        return
    backoff = timedelta(seconds=30 * 2 ** (attempts - 1))
    await store.reschedule(
        delivery_id=job.delivery.id, due_at=now + backoff, error=error.reason, count_attempt=True
    )
    report.retried += 1
