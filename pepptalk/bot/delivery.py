"""The outbox sender: what the jobs queued goes out paced, retried, and each message once.

When a platform asks to slow down, only what it limits waits (a Slack workspace, a Teams
conversation); everyone else's messages keep going.

It knows no habit: the registry's composers turn each kind of delivery into a message.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pepptalk.bot.charts import drawn
from pepptalk.bot.outbox_claims import LEASE_FOR, Lease, SentMarks
from pepptalk.core.kinds import DeliveryKind, DeliveryStatus
from pepptalk.core.messages import Message
from pepptalk.core.ports import Chat, DeliveryError, RateLimitedError, SentMessage
from pepptalk.handlers.habit import Registry
from pepptalk.store.database import Database
from pepptalk.store.outbox import DeliveryJob, SentResult

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
MAX_ATTEMPTS = 6


Outcome = Literal["sent", "skipped", "failed", "retried"]


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
    # (platform, kind, outcome): how many, for the operator's /metrics.
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def tally(self, job: DeliveryJob, outcome: Outcome) -> None:
        """Count one delivery's outcome: sent, skipped, failed or retried."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        # A kind's own part ("win:12") names one row: the kind alone keeps the labels few.
        kind = DeliveryKind.of(job.delivery.kind)
        self.outcomes[(str(job.team.platform), kind, outcome)] += 1


# Where a pause applies: (platform, workspace, scope); scope None is the whole workspace.
PauseKey = tuple[str, str, str | None]
# When the platform does not say how long to wait: 1 s, 2 s, 4 s... up to a minute, each with up
# to half again of jitter, so sends that failed together do not come back together.
BACKOFF_FIRST = 1.0
BACKOFF_LONGEST = 60.0
# A send limited this often in one drain goes back to the outbox as a failed attempt, so a
# conversation that never gets better ends as FAILED after MAX_ATTEMPTS, not in an endless loop.
LIMITED_PER_DRAIN = 5


class _Pauses:
    """Who must wait, keyed by what the platform said is limited: a Slack 429 pauses its
    workspace, a Teams 429/412/502/504 only the conversation that answered it."""

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._reopen: dict[PauseKey, datetime] = {}
        self._strikes: dict[PauseKey, int] = {}

    def close(self, key: PauseKey, retry_after: float | None) -> None:
        """Pause `key`: as long as the platform asked, else longer with each strike in a row."""
        strikes = self._strikes.get(key, 0) + 1
        self._strikes[key] = strikes
        if retry_after is None:
            ceiling = min(BACKOFF_LONGEST, BACKOFF_FIRST * 2 ** (strikes - 1))
            wait = ceiling * (1 + random.random() / 2)  # noqa: S311 - jitter, not a secret
        else:
            wait = max(retry_after, 0.0)
        reopen = self._clock() + timedelta(seconds=wait)
        if key not in self._reopen or reopen > self._reopen[key]:
            self._reopen[key] = reopen

    def cleared(self, keys: set[PauseKey]) -> None:
        """A send went through: the next strike there starts the backoff afresh."""
        for key in keys:
            self._strikes.pop(key, None)

    def reopens(self, keys: set[PauseKey]) -> datetime | None:
        """When the last of `keys` reopens (None: none is paused)."""
        times = [self._reopen[key] for key in keys if key in self._reopen]
        return max(times) if times else None

    async def wait(self, keys: set[PauseKey]) -> float:
        """Sleep until every one of `keys` is open; returns the seconds slept."""
        waited = 0.0
        seen: datetime | None = None
        # Each closing is waited out once, so a clock and a sleep that disagree cannot spin.
        while (reopen := self.reopens(keys)) is not None and reopen != seen:
            seen = reopen
            remaining = (seen - self._clock()).total_seconds()
            if remaining > 0:
                await self._sleep(remaining)
                waited += remaining
        return waited


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
    stopping: asyncio.Event | None = None,
) -> DrainReport:
    """Send every due delivery in the outbox, until none is left that is due now (or, once
    `stopping` is set, hand back what is not yet sent and return)."""
    report = DrainReport()
    lease = Lease(database, clock, owner=uuid.uuid4().hex)
    marks = SentMarks(database, clock)
    pauses = _Pauses(clock, sleep)
    slots = asyncio.Semaphore(concurrency)

    async def send(job: DeliveryJob, message: Message) -> None:
        keys = _keys(job)
        limited_here = 0
        while True:
            # Waiting holds no slot: a paused conversation must not keep the others from going.
            report.waited_seconds += await pauses.wait(keys)
            try:
                async with slots:
                    # Checked with the slot in hand: waiting for one can take a while.
                    await lease.keep_up()
                    if lease.ending() or (stopping is not None and stopping.is_set()):
                        # Waiting ate the lease, or the server is stopping: hand the row back
                        # rather than risk a second sender taking it while this one sends.
                        await _hand_back(database, job, clock(), report)
                        return
                    where = await _send(chat, job, message)
            except RateLimitedError as limited:
                report.rate_limited += 1
                key = (job.team.platform, job.delivery.workspace_id, limited.scope)
                pauses.close(key, limited.retry_after)
                keys.add(key)
                limited_here += 1
                if limited_here < LIMITED_PER_DRAIN:
                    continue
                error = DeliveryError(f"{limited}"[:200], permanent=False)
                await _failed(database, job, error, clock(), report)
                return
            except DeliveryError as error:
                await _failed(database, job, error, clock(), report)
                return
            pauses.cleared(keys)
            # Marked at once: a crash from here on cannot send this message again.
            await marks.mark(
                SentResult(job.delivery.id, where.channel, where.ref, job.delivery.attempts + 1)
            )
            report.tally(job, "sent")
            return

    async with lease.kept():
        while stopping is None or not stopping.is_set():
            now = clock()
            async with database.uow() as uow:
                jobs = await uow.outbox.lease(
                    now=now, owner=lease.owner, limit=batch, lease_for=LEASE_FOR
                )
            if not jobs:
                return report
            lease.taken([job.delivery.id for job in jobs], now + LEASE_FOR)
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
            sendable = [
                (job, m) for job in jobs if (m := messages.get(job.delivery.id)) is not None
            ]
            silent = [job for job in jobs if messages.get(job.delivery.id) is None]
            if silent:
                async with database.uow() as uow:
                    for job in silent:
                        await uow.outbox.finish(
                            delivery_id=job.delivery.id,
                            status=DeliveryStatus.SKIPPED,
                            error="nothing to send",
                        )
                for job in silent:
                    report.tally(job, "skipped")
            outcomes = await asyncio.gather(
                *(send(job, message) for job, message in sendable), return_exceptions=True
            )
            for (job, _), outcome in zip(sendable, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    # A bug or an outage we did not foresee: keep the row, try again later.
                    log.error("delivery %s failed", job.delivery.id, exc_info=outcome)
                    await _failed(
                        database,
                        job,
                        DeliveryError(repr(outcome), permanent=False),
                        clock(),
                        report,
                    )
    return report


def _keys(job: DeliveryJob) -> set[PauseKey]:
    """The pauses a delivery waits for: its workspace's, and its conversation's."""
    platform, workspace = job.team.platform, job.delivery.workspace_id
    channel = job.delivery.channel_id
    scope = (
        RateLimitedError.channel_scope(channel)
        if channel
        else RateLimitedError.direct_scope(job.member.user_id)
    )
    return {(platform, workspace, None), (platform, workspace, scope)}


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


async def _hand_back(
    database: Database, job: DeliveryJob, now: datetime, report: DrainReport
) -> None:
    """Put a leased row back in the queue as it was, due now, for the next sender."""
    async with database.uow() as uow:
        await uow.outbox.reschedule(
            delivery_id=job.delivery.id, due_at=now, error=None, count_attempt=False
        )
    report.tally(job, "retried")


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
            report.tally(job, "failed")
            return
        backoff = timedelta(seconds=30 * 2 ** (attempts - 1))
        await uow.outbox.reschedule(
            delivery_id=job.delivery.id,
            due_at=now + backoff,
            error=error.reason,
            count_attempt=True,
        )
    report.tally(job, "retried")
