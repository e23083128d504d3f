"""The outbox sender: what the jobs queued goes out paced, retried, and each message once.

It knows no habit: the registry's composers turn each kind of delivery into a message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pepptalk.bot.charts import drawn
from pepptalk.core.kinds import DeliveryStatus
from pepptalk.core.messages import Message
from pepptalk.core.ports import Chat, DeliveryError, RateLimitedError, SentMessage
from pepptalk.handlers.habit import Registry
from pepptalk.store.database import Database
from pepptalk.store.outbox import DeliveryJob, SentResult

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

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._reopen: datetime | None = None

    def close_for(self, seconds: float) -> None:
        reopen = self._clock() + timedelta(seconds=seconds)
        if self._reopen is None or reopen > self._reopen:
            self._reopen = reopen

    async def wait(self) -> float:
        """Sleep until the gate reopens; returns the seconds slept."""
        waited = 0.0
        seen: datetime | None = None
        # Each closing is waited out once, so a clock and a sleep that disagree cannot spin.
        while self._reopen is not None and self._reopen != seen:
            seen = self._reopen
            remaining = (seen - self._clock()).total_seconds()
            if remaining > 0:
                await self._sleep(remaining)
                waited += remaining
        return waited


# A send is not started this close to the end of its lease: another sender may take it after.
LEASE_MARGIN = timedelta(seconds=15)
MARK_EVERY = 20


async def _compose_batch(
    database: Database, registry: Registry, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    by_kind: dict[str, list[DeliveryJob]] = {}
    for job in jobs:
        by_kind.setdefault(job.delivery.kind, []).append(job)
    messages: dict[int, Message | None] = {}
    async with database.uow() as uow:
        for kind, group in by_kind.items():
            composer = registry.composer(kind)
            if composer is None:
                raise ValueError(f"no composer for delivery kind {kind!r}")
            messages.update(await composer(uow=uow, jobs=group))
    return messages


async def deliver_pending(
    *,
    database: Database,
    registry: Registry,
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
    gate = _Gate(clock, sleep)
    slots = asyncio.Semaphore(concurrency)
    sent: list[SentResult] = []
    marking = asyncio.Lock()

    async def record_sent() -> None:
        # Marked in small groups: cheap, and a crash mid-batch re-sends at most a group.
        async with marking:
            done = sent[:]
            del sent[:]
            async with database.uow() as uow:
                await uow.outbox.mark_sent(done, now=clock())

    async def send(job: DeliveryJob, message: Message) -> None:
        async with slots:
            while True:
                waited = await gate.wait()
                report.waited_seconds += waited
                lease_end = job.delivery.lease_until
                if lease_end is not None and clock() >= lease_end - LEASE_MARGIN:
                    # Waiting out rate limits ate the lease: hand the row back rather than risk
                    # a second sender taking it while this one sends.
                    async with database.uow() as uow:
                        await uow.outbox.reschedule(
                            delivery_id=job.delivery.id,
                            due_at=clock(),
                            error=None,
                            count_attempt=False,
                        )
                    report.retried += 1
                    return
                try:
                    where = await _send(chat, job, message)
                except RateLimitedError as limited:
                    report.rate_limited += 1
                    gate.close_for(limited.retry_after)
                    continue
                except DeliveryError as error:
                    await _failed(database, job, error, clock(), report)
                    return
                sent.append(
                    SentResult(job.delivery.id, where.channel, where.ref, job.delivery.attempts + 1)
                )
                report.sent += 1
                if len(sent) >= MARK_EVERY:
                    await record_sent()
                return

    while True:
        async with database.uow() as uow:
            jobs = await uow.outbox.lease(
                now=clock(), owner=owner, limit=batch, lease_for=lease_for
            )
        if not jobs:
            return report
        try:
            messages = await _compose_batch(database, registry, jobs)
        except Exception as error:
            # A bug in composing must not lose the batch: put it back and report it.
            log.exception("composing %d deliveries failed", len(jobs))
            for job in jobs:
                await _failed(
                    database, job, DeliveryError(repr(error), permanent=False), clock(), report
                )
            continue
        sendable = [(job, m) for job in jobs if (m := messages.get(job.delivery.id)) is not None]
        silent = [job for job in jobs if messages.get(job.delivery.id) is None]
        if silent:
            async with database.uow() as uow:
                for job in silent:
                    await uow.outbox.finish(
                        delivery_id=job.delivery.id,
                        status=DeliveryStatus.SKIPPED,
                        error="nothing to send",
                    )
            report.skipped += len(silent)
        outcomes = await asyncio.gather(
            *(send(job, message) for job, message in sendable), return_exceptions=True
        )
        await record_sent()
        for (job, _), outcome in zip(sendable, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                # A bug or an outage we did not foresee: keep the row, try again later.
                log.error("delivery %s failed", job.delivery.id, exc_info=outcome)
                await _failed(
                    database, job, DeliveryError(repr(outcome), permanent=False), clock(), report
                )


async def _send(chat: Chat, job: DeliveryJob, message: Message) -> SentMessage:
    """Post to the team channel when the delivery names one, else to the member's DM; any chart
    is drawn first, in a worker thread."""
    message = await drawn(message)
    channel = job.delivery.channel_id
    if channel:
        return await chat.send_channel(
            platform=job.team.platform,
            workspace_id=job.delivery.workspace_id,
            channel_id=channel,
            message=message,
        )
    return await chat.send_direct(
        platform=job.team.platform,
        workspace_id=job.delivery.workspace_id,
        user_id=job.member.user_id,
        message=message,
    )


async def _failed(
    database: Database, job: DeliveryJob, error: DeliveryError, now: datetime, report: DrainReport
) -> None:
    attempts = job.delivery.attempts + 1
    report.errors.append(error.reason)
    async with database.uow() as uow:
        if error.permanent or attempts >= MAX_ATTEMPTS:
            await uow.outbox.finish(
                delivery_id=job.delivery.id, status=DeliveryStatus.FAILED, error=error.reason
            )
            report.failed += 1
            return
        backoff = timedelta(seconds=30 * 2 ** (attempts - 1))
        await uow.outbox.reschedule(
            delivery_id=job.delivery.id,
            due_at=now + backoff,
            error=error.reason,
            count_attempt=True,
        )
    report.retried += 1
