"""The outbox sender: what the jobs queued goes out paced, retried, and each message once.

When a platform asks to slow down, only what it limits waits (a Slack workspace, a Teams
conversation); everyone else's messages keep going.

It knows no habit: the registry's composers turn each kind of delivery into a message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pepptalk.bot.charts import drawn
from pepptalk.bot.outbox_claims import LEASE_FOR, Lease, SentMarks
from pepptalk.bot.pacing import (
    BACKOFF_FIRST,
    BACKOFF_LONGEST,
    GIVEN_UP_FOR,
    LIMITED_PER_DRAIN,
    Clock,
    PauseKey,
    Pauses,
    Sleep,
)
from pepptalk.core.kinds import DeliveryKind, DeliveryStatus
from pepptalk.core.messages import Message
from pepptalk.core.ports import Chat, DeliveryError, RateLimitedError, SentMessage
from pepptalk.handlers.habit import Registry
from pepptalk.store.database import Database
from pepptalk.store.outbox import DeliveryJob, SentResult

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# The pacing's knobs, named here too: the sender's tests read them where the sender is.
__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_LONGEST",
    "GIVEN_UP_FOR",
    "LIMITED_PER_DRAIN",
    "DrainReport",
    "deliver_pending",
]


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
        """Count one delivery's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        # A kind's own part ("win:12") names one row: the kind alone keeps the labels few.
        kind = DeliveryKind.of(job.delivery.kind)
        self.outcomes[(str(job.team.platform), kind, outcome)] += 1


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


async def _sendable(
    database: Database,
    registry: Registry,
    jobs: list[DeliveryJob],
    report: DrainReport,
    now: datetime,
) -> list[tuple[DeliveryJob, Message]]:
    """Compose a leased batch; what has nothing to say is skipped, a batch that cannot be
    composed goes back to the outbox."""
    try:
        messages = await _compose_batch(database, registry, jobs)
    except Exception as error:
        # A bug in composing must not lose the batch: put it back and report it.
        log.exception("composing %d deliveries failed", len(jobs))
        for job in jobs:
            failure = DeliveryError(repr(error), permanent=False)
            await _failed(database, job, failure, now, report)
        return []
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
    return [(job, m) for job in jobs if (m := messages.get(job.delivery.id)) is not None]


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
    `stopping` is set, until what is under way has gone or gone back to the outbox).

    Deliveries stream through: more are leased as soon as fewer than half a batch are being
    worked on, and a send waiting out a pause does not count as work. So a workspace the
    platform paused holds back only its own messages, never the next batch of everyone else's.
    """
    report = DrainReport()
    lease = Lease(database, clock, owner=uuid.uuid4().hex)
    marks = SentMarks(database, clock)
    changed = asyncio.Event()
    waiting = 0

    def count_waiting(delta: int) -> None:
        nonlocal waiting
        waiting += delta
        changed.set()

    pauses = Pauses(clock, sleep, count_waiting)
    slots = asyncio.Semaphore(concurrency)

    def halted() -> bool:
        return stopping is not None and stopping.is_set()

    async def send(job: DeliveryJob, message: Message) -> None:
        keys = _keys(job)
        limited_here = 0
        async with pauses.turn(keys) as turn:
            while True:
                # Waiting holds no slot: a paused conversation must not keep the others from going.
                waited = await turn.ready()
                if waited is None:
                    # Its workspace or conversation is in a storm of refusals: later, then.
                    later = pauses.given_up(keys) or clock()
                    await _hand_back(database, job, later, "rate limited again and again", report)
                    return
                report.waited_seconds += waited
                try:
                    async with slots:
                        if turn.stale():
                            continue
                        # Checked with the slot in hand: waiting for one can take a while.
                        await lease.keep_up()
                        if lease.ending(job.delivery.id) or halted():
                            # Waiting ate the lease, or the server is stopping: hand the row
                            # back rather than risk a second sender taking it while this one
                            # sends.
                            await _hand_back(database, job, clock(), None, report)
                            return
                        where = await _send(chat, job, message)
                except RateLimitedError as limited:
                    report.rate_limited += 1
                    key = (job.team.platform, job.delivery.workspace_id, limited.scope)
                    pauses.close(key, limited.retry_after, seen=turn.seen.get(key, 0))
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
                break
        # Marked at once (with whatever else finished meanwhile): a crash from here on cannot
        # send this message again.
        await marks.mark(
            SentResult(job.delivery.id, where.channel, where.ref, job.delivery.attempts + 1)
        )
        report.tally(job, "sent")

    async def guarded(job: DeliveryJob, message: Message) -> None:
        try:
            await send(job, message)
        except Exception as error:
            # A bug or an outage we did not foresee: keep the row, try again later.
            log.error("delivery %s failed", job.delivery.id, exc_info=error)
            failure = DeliveryError(repr(error), permanent=False)
            await _failed(database, job, failure, clock(), report)
        finally:
            lease.released(job.delivery.id)
            changed.set()

    tasks: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    # When the outbox last had nothing due: asked again at most once a second while sends run.
    empty_at: float | None = None
    try:
        async with lease.kept():
            while True:
                # Cleared before looking, so a send that ends while we look still wakes us.
                changed.clear()
                tasks = {task for task in tasks if not task.done()}
                if not tasks and halted():
                    return report
                working = len(tasks) - waiting
                rested = empty_at is None or loop.time() - empty_at >= 1.0
                if not halted() and (not tasks or (working <= batch // 2 and rested)):
                    now = clock()
                    async with database.uow() as uow:
                        jobs = await uow.outbox.lease(
                            now=now, owner=lease.owner, limit=batch, lease_for=LEASE_FOR
                        )
                    if jobs:
                        empty_at = None
                        lease.taken([job.delivery.id for job in jobs], now + LEASE_FOR)
                        for job, message in await _sendable(
                            database, registry, jobs, report, clock()
                        ):
                            tasks.add(asyncio.create_task(guarded(job, message)))
                        continue
                    if not tasks:
                        return report
                    empty_at = loop.time()
                await changed.wait()
    finally:
        for task in tasks:
            task.cancel()


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
    database: Database, job: DeliveryJob, due_at: datetime, why: str | None, report: DrainReport
) -> None:
    """Put a delivery back in the outbox untried, to go at `due_at`."""
    async with database.uow() as uow:
        await uow.outbox.reschedule(
            delivery_id=job.delivery.id, due_at=due_at, error=why, count_attempt=False
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
