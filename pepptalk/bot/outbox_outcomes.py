"""What the outbox sender does with a leased row besides sending it: compose it, skip it, hand it
back untried, or count a failed try; and the report of one drain.

Marks of what went out are written apart (outbox_claims.SentMarks), the moment each is accepted.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal

from pepptalk.core.calendar import member_zone
from pepptalk.core.kinds import DeliveryKind, DeliveryStatus
from pepptalk.core.messages import Message
from pepptalk.core.ports import DeliveryError
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.habit import Registry
from pepptalk.store.database import Database
from pepptalk.store.outbox import DeliveryJob

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Names the tries of one delivery (see delivery_key); any fixed namespace would do.
DELIVERY_KEYS = uuid.UUID("3c1f0b0e-5d0f-4c8e-9a52-7e0d4f1b2a61")

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


def delivery_key(job: DeliveryJob) -> str:
    """The same on every try of one delivery, in any drain, on any server: what a platform
    that drops a repeated message by id (Teams' activity id) is handed."""
    delivery = job.delivery
    name = f"{delivery.id}/{delivery.member_id}/{delivery.kind}/{delivery.local_date}"
    return str(uuid.uuid5(DELIVERY_KEYS, name))


def day_ends(job: DeliveryJob) -> datetime:
    """When the day the delivery is for ends, where its person is."""
    zone = member_zone(job.member, job.team)
    return datetime.combine(job.delivery.local_date + timedelta(days=1), time(), tzinfo=zone)


async def _compose_batch(
    database: Database, registry: Registry, jobs: list[DeliveryJob], policy: Policy
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
            messages.update(await composer(uow=uow, jobs=group, policy=policy))
    return messages


async def sendable(
    database: Database,
    registry: Registry,
    jobs: list[DeliveryJob],
    report: DrainReport,
    now: datetime,
    *,
    as_of: datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> list[tuple[DeliveryJob, Message]]:
    """Compose a leased batch; what has nothing to say is skipped, a batch that cannot be
    composed goes back to the outbox."""
    # A check-in or a summary whose day is over where its reader is says nothing any more.
    moment = as_of or now
    past = [j for j in jobs if registry.only_on_its_day(j.delivery.kind) and moment >= day_ends(j)]
    if past:
        await _finish_unsent(database, past, report, why="past its day")
        jobs = [j for j in jobs if j not in past]
    try:
        messages = await _compose_batch(database, registry, jobs, policy)
    except Exception as error:
        # A bug in composing must not lose the batch: put it back and report it.
        log.exception("composing %d deliveries failed", len(jobs))
        for job in jobs:
            failure = DeliveryError(repr(error), permanent=False)
            await failed(database, job, failure, now, report)
        return []
    silent = [job for job in jobs if messages.get(job.delivery.id) is None]
    if silent:
        await _finish_unsent(database, silent, report, why="nothing to send")
    return [(job, m) for job in jobs if (m := messages.get(job.delivery.id)) is not None]


async def _finish_unsent(
    database: Database, jobs: list[DeliveryJob], report: DrainReport, *, why: str
) -> None:
    """Mark deliveries skipped: there is nothing (any more) to send."""
    async with database.uow() as uow:
        for job in jobs:
            await uow.outbox.finish(
                delivery_id=job.delivery.id, status=DeliveryStatus.SKIPPED, error=why
            )
    for job in jobs:
        report.tally(job, "skipped")


async def hand_back(
    database: Database, job: DeliveryJob, due_at: datetime, why: str | None, report: DrainReport
) -> None:
    """Put a delivery back in the outbox untried, to go at `due_at`."""
    async with database.uow() as uow:
        await uow.outbox.reschedule(
            delivery_id=job.delivery.id, due_at=due_at, error=why, count_attempt=False
        )
    report.tally(job, "retried")


async def failed(
    database: Database, job: DeliveryJob, error: DeliveryError, now: datetime, report: DrainReport
) -> None:
    """Count a failed try: for good when it is permanent or the last, else again later."""
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
