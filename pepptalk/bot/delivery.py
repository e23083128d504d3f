"""The outbox sender: what the jobs queued goes out paced, retried, and each message once.

Before sending, each send keeps within its platform's published limits (spacing); when a
platform still asks to slow down, only what it limits waits (a Slack workspace, a Teams
conversation), for as long as it said, and everyone else's messages keep going.

It knows no habit: the registry's composers turn each kind of delivery into a message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime

from pepptalk.bot.charts import drawn
from pepptalk.bot.outbox_claims import LEASE_FOR, Lease, SentMarks
from pepptalk.bot.outbox_outcomes import (
    MAX_ATTEMPTS,
    DrainReport,
    day_ends,
    delivery_key,
    failed,
    hand_back,
    sendable,
)
from pepptalk.bot.pacing import (
    BACKOFF_FIRST,
    BACKOFF_LONGEST,
    GIVEN_UP_FOR,
    LIMITED_PER_DRAIN,
    TOLD_JITTER,
    TOLD_JITTER_MOST,
    Clock,
    Later,
    PauseKey,
    Pauses,
    Sleep,
    until_stopped,
)
from pepptalk.bot.spacing import Spacing
from pepptalk.core.messages import Message
from pepptalk.core.ports import SENDING_KEY, Chat, DeliveryError, RateLimitedError, SentMessage
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.habit import Registry
from pepptalk.store.database import Database
from pepptalk.store.outbox import DeliveryJob, SentResult

log = logging.getLogger(__name__)

# The pacing's knobs, named here too: the sender's tests read them where the sender is.
__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_LONGEST",
    "GIVEN_UP_FOR",
    "LIMITED_PER_DRAIN",
    "MAX_ATTEMPTS",
    "TOLD_JITTER",
    "TOLD_JITTER_MOST",
    "DrainReport",
    "deliver_pending",
]


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
    spacing: Spacing | None = None,
    as_of: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> DrainReport:
    """Send every due delivery in the outbox, until none is left that is due now (or, once
    `stopping` is set, until what is under way has gone or gone back to the outbox).

    Deliveries stream through: more are leased as soon as fewer than half a batch are being
    worked on, and a send waiting (out a pause, or for its place under the limits) does not
    count as work. So a workspace the platform paused holds back only its own messages, never
    the next batch of everyone else's. `spacing`: the process's, so drains one after another
    keep to the same limits (None: this drain's own, with the platforms' published limits).
    `as_of`: the moment whose day decides whether a message for its day still goes (`pepptalk
    send --at`; default: the clock's now). `policy`: the operator's, for the composers.
    """
    report = DrainReport()
    lease = Lease(database, clock, owner=uuid.uuid4().hex)
    marks = SentMarks(database, clock)
    spacing = spacing or Spacing()
    changed = asyncio.Event()
    waiting = 0

    def count_waiting(delta: int) -> None:
        nonlocal waiting
        waiting += delta
        changed.set()

    pauses = Pauses(clock, until_stopped(sleep, stopping), count_waiting)
    spacing_sleep = until_stopped(spacing.sleep, stopping)
    slots = asyncio.Semaphore(concurrency)

    def halted() -> bool:
        return stopping is not None and stopping.is_set()

    async def spaced(keys: set[PauseKey]) -> float:
        """Wait, as waiting and not as work, until a send to `keys` keeps within the limits."""
        waited = 0.0
        while not halted() and (ahead := spacing.ahead(keys)) > 0:
            count_waiting(1)
            try:
                await spacing_sleep(ahead)
            finally:
                count_waiting(-1)
            waited += ahead
        return waited

    async def send(job: DeliveryJob, message: Message) -> None:
        keys = _keys(job)
        untold = 0
        ready: Message | None = None
        async with pauses.turn(keys) as turn:
            while True:
                # Waiting holds no slot: a paused conversation must not keep the others from going.
                # A pause is waited out while the message is still for its day; one that runs
                # past it, or a storm of refusals that never said how long, puts it back in the
                # outbox for when the pause ends.
                waited = await turn.ready(until=day_ends(job))
                if isinstance(waited, Later):
                    await hand_back(database, job, waited.at, waited.why, report)
                    return
                report.waited_seconds += waited + await spaced(keys)
                try:
                    async with slots:
                        # Checked with the slot in hand: waiting for one can take a while.
                        if turn.stale() or (spacing.ahead(keys) > 0 and not halted()):
                            continue
                        await lease.keep_up()
                        if lease.ending(job.delivery.id) or halted():
                            # Waiting ate the lease, or the server is stopping: hand the row
                            # back rather than risk a second sender taking it while this one
                            # sends.
                            await hand_back(database, job, clock(), None, report)
                            return
                        # Charts are drawn once, before a place is taken: no drawing may stand
                        # between taking a place under the limits and the request.
                        if ready is None:
                            ready = await drawn(message)
                        if spacing.ahead(keys) > 0:
                            continue
                        place = spacing.take(keys)
                        try:
                            where = await _send(chat, job, ready)
                        finally:
                            place.done()
                except RateLimitedError as limited:
                    report.rate_limited += 1
                    key = (job.team.platform, job.delivery.workspace_id, limited.scope)
                    pauses.close(key, limited.retry_after, seen=turn.seen.get(key, 0))
                    keys.add(key)
                    if limited.retry_after is not None:
                        # Told how long: waited out however often it is told.
                        continue
                    untold += 1
                    if untold < LIMITED_PER_DRAIN:
                        continue
                    error = DeliveryError(f"{limited}"[:200], permanent=False)
                    await failed(database, job, error, clock(), report)
                    return
                except DeliveryError as error:
                    await failed(database, job, error, clock(), report)
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
            await failed(database, job, failure, clock(), report)
        finally:
            lease.released(job.delivery.id)
            # A send leaves the set itself, before it wakes the loop: no pass over thousands
            # of tasks each time one ends, and the loop never counts one that has ended.
            current = asyncio.current_task()
            if current is not None:
                tasks.discard(current)
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
                        for job, message in await sendable(
                            database, registry, jobs, report, clock(), as_of=as_of, policy=policy
                        ):
                            tasks.add(asyncio.create_task(guarded(job, message)))
                        continue
                    if not tasks:
                        return report
                    empty_at = loop.time()
                await changed.wait()
    finally:
        for task in list(tasks):
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
    """Post to the team channel when the delivery names one, else to the member's DM, with the
    delivery's key at hand for a platform that can drop a repeat by it."""
    token = SENDING_KEY.set(delivery_key(job))
    try:
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
    finally:
        SENDING_KEY.reset(token)
