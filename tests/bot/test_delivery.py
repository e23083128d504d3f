"""The outbox: nothing lost, nothing twice, polite under rate limits: told how long to wait, it
waits that long however often it is told; told nothing, it backs off and gives up for a while."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pepptalk.bot.delivery import LIMITED_PER_DRAIN, DrainReport, deliver_pending
from pepptalk.bot.jobs import claim
from pepptalk.bot.outbox_claims import LEASE_FOR, LEASE_MARGIN, Lease
from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.core.messages import Message
from pepptalk.core.ports import DeliveryError, RateLimitedError, SentMessage, UserProfile
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from pepptalk.store.models import Delivery
from pepptalk.store.outbox import NewDelivery
from tests.bot.told import as_told
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import Team

MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
SELLERS: dict[str, str | None] = {f"US{i:02d}": None for i in range(12)}
# Each seller's welcome went out when the team was set up.
WELCOMES = len(SELLERS)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create(SELLERS)
    clock.set(MONDAY_0830)
    assert await claim(team.services, "checkins", at=clock(), queued_at=clock()) == len(SELLERS)
    return team


async def send(team: Team, **options: Any) -> DrainReport:
    """Drain the outbox as the schedule's tick does, with `options` for pacing."""
    return await deliver_pending(
        database=team.database, registry=REGISTRY, chat=team.chat, clock=team.clock, **options
    )


class RecordingSleep:
    """A sleep that moves the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


async def test_rate_limits_pause_everyone_then_every_message_goes_once(team: Team) -> None:
    team.chat.fail_next = [RateLimitedError(0.01), RateLimitedError(0.01)]
    sleep = RecordingSleep(team.clock)
    report = await send(team, sleep=sleep)
    assert report.sent == len(SELLERS) and report.rate_limited == 2
    assert sleep.waits, "the sender waited as the platform asked"
    assert sorted(s.user_id for s in team.chat.sent) == sorted(SELLERS)
    assert await team.counts() == {DeliveryStatus.SENT: WELCOMES + len(SELLERS)}


async def test_permanent_errors_fail_and_transient_ones_are_retried_later(team: Team) -> None:
    team.chat.fail_next = [
        DeliveryError("account_inactive", permanent=True),
        DeliveryError("internal_error", permanent=False),
    ]
    report = await send(team)
    assert (report.sent, report.failed, report.retried) == (len(SELLERS) - 2, 1, 1)
    assert await team.counts() == {
        DeliveryStatus.SENT: WELCOMES + 10,
        DeliveryStatus.FAILED: 1,
        DeliveryStatus.PENDING: 1,
    }
    # Nothing more happens until the backoff has passed...
    again = await send(team)
    assert again.sent == 0
    team.clock.advance(minutes=1)
    again = await send(team)
    assert again.sent == 1
    assert await team.counts() == {DeliveryStatus.SENT: WELCOMES + 11, DeliveryStatus.FAILED: 1}


async def test_a_transient_error_gives_up_after_several_attempts(team: Team) -> None:
    for _ in range(6):
        team.chat.fail_next = [DeliveryError("fatal_error", permanent=False)]
        await send(team)
        team.clock.advance(hours=1)
    assert (await team.counts())[DeliveryStatus.FAILED] == 1


async def test_two_senders_at_once_send_each_message_once(team: Team) -> None:
    await asyncio.gather(
        send(team, batch=3),
        send(team, batch=3),
    )
    assert sorted(s.user_id for s in team.chat.sent) == sorted(SELLERS)


async def test_a_sender_that_died_mid_batch_is_picked_up_after_its_lease(team: Team) -> None:
    async with team.database.uow() as uow:
        leased = await uow.outbox.lease(
            now=team.clock(), owner="crashed", limit=5, lease_for=timedelta(minutes=5)
        )
    assert len(leased) == 5
    report = await send(team)
    assert report.sent == len(SELLERS) - 5
    team.clock.advance(minutes=6)
    report = await send(team)
    assert report.sent == 5
    assert sorted(s.user_id for s in team.chat.sent) == sorted(SELLERS)


async def test_a_working_sender_keeps_its_lease_and_a_dead_one_loses_it_in_seconds(
    team: Team,
) -> None:
    working = Lease(team.database, team.clock, owner="working")
    async with team.database.uow() as uow:
        jobs = await uow.outbox.lease(
            now=team.clock(), owner=working.owner, limit=3, lease_for=LEASE_FOR
        )
        dead = await uow.outbox.lease(now=team.clock(), owner="dead", limit=3, lease_for=LEASE_FOR)
    working.taken([job.delivery.id for job in jobs], team.clock() + LEASE_FOR)
    # Renewed while still safely its own (past its margin, a row is handed back instead).
    team.clock.advance(seconds=(LEASE_FOR - LEASE_MARGIN).total_seconds() - 1)
    await working.renew()
    assert not any(working.ending(job.delivery.id) for job in jobs)
    team.clock.advance(seconds=12)
    # Past the first lease: the dead sender's rows are free again, the working one's are not.
    report = await send(team)
    assert report.sent == len(SELLERS) - len(jobs)
    assert {s.user_id for s in team.chat.sent} >= {job.member.user_id for job in dead}
    assert not {s.user_id for s in team.chat.sent} & {job.member.user_id for job in jobs}


async def test_waiting_out_rate_limits_past_the_lease_hands_the_row_back(team: Team) -> None:
    # The platform asks for a wait longer than the lease: nobody sends under a stale lease.
    team.chat.fail_next = [RateLimitedError(10 * 60)]
    report = await send(
        team,
        sleep=RecordingSleep(team.clock),
        concurrency=1,
    )
    assert report.retried >= 1
    again = await send(team)
    assert report.sent + again.sent == len(SELLERS)
    assert sorted(s.user_id for s in team.chat.sent) == sorted(SELLERS)


async def test_a_kind_nobody_can_compose_stays_queued_and_is_reported(team: Team) -> None:
    seat = await team.seat("US00")
    async with team.database.uow() as uow:
        await uow.outbox.claim(
            [
                NewDelivery(
                    workspace_id="T1",
                    team_id=seat.team.id,
                    member_id=seat.member.id,
                    kind="mystery",
                    local_date=team.clock().date(),
                    due_at=team.clock(),
                )
            ]
        )
    report = await send(team, batch=50)
    assert report.retried == len(SELLERS) + 1 and report.sent == 0
    assert (await team.counts()) == {
        DeliveryStatus.SENT: WELCOMES,
        DeliveryStatus.PENDING: len(SELLERS) + 1,
    }


class OneConversationLimited:
    """The team's chat, except that sends to `user_id` first raise `errors`, one per send."""

    def __init__(self, chat: FakeChat, user_id: str, errors: list[Exception]) -> None:
        self.chat, self.user_id, self.errors = chat, user_id, errors

    async def send_direct(
        self, *, platform: Platform, workspace_id: str, user_id: str, message: Message
    ) -> SentMessage:
        if user_id == self.user_id and self.errors:
            raise self.errors.pop(0)
        return await self.chat.send_direct(
            platform=platform, workspace_id=workspace_id, user_id=user_id, message=message
        )

    async def send_channel(
        self, *, platform: Platform, workspace_id: str, channel_id: str, message: Message
    ) -> SentMessage:
        return await self.chat.send_channel(
            platform=platform, workspace_id=workspace_id, channel_id=channel_id, message=message
        )

    async def update_direct(
        self,
        *,
        platform: Platform,
        workspace_id: str,
        user_id: str,
        sent: SentMessage,
        message: Message,
    ) -> None:
        await self.chat.update_direct(
            platform=platform,
            workspace_id=workspace_id,
            user_id=user_id,
            sent=sent,
            message=message,
        )

    async def find_user(
        self, *, platform: Platform, workspace_id: str, user_id: str
    ) -> UserProfile | None:
        return await self.chat.find_user(
            platform=platform, workspace_id=workspace_id, user_id=user_id
        )


async def test_a_limit_on_one_conversation_holds_back_that_conversation_only(team: Team) -> None:
    limited = RateLimitedError(2.0, scope=RateLimitedError.direct_scope("US03"))
    chat = OneConversationLimited(team.chat, "US03", [limited])
    sleep = RecordingSleep(team.clock)
    report = await deliver_pending(
        database=team.database,
        registry=REGISTRY,
        chat=chat,
        clock=team.clock,
        sleep=sleep,
        concurrency=2,
    )
    # Only the limited conversation slept, as long as asked; the others never waited.
    assert as_told(sleep.waits, 2.0)
    assert report.sent == len(SELLERS) and report.rate_limited == 1
    assert sorted(s.user_id for s in team.chat.sent) == sorted(SELLERS)
    assert team.chat.sent[-1].user_id == "US03"


async def test_a_conversation_limited_again_and_again_goes_back_to_the_outbox(
    team: Team,
) -> None:
    scope = RateLimitedError.direct_scope("US03")
    chat = OneConversationLimited(
        team.chat, "US03", [RateLimitedError(scope=scope) for _ in range(LIMITED_PER_DRAIN)]
    )
    sleep = RecordingSleep(team.clock)
    report = await deliver_pending(
        database=team.database, registry=REGISTRY, chat=chat, clock=team.clock, sleep=sleep
    )
    # No Retry-After: each wait longer than the one before; after the last, no more waiting in
    # this drain, but one attempt counted and a due time later on.
    assert len(sleep.waits) == LIMITED_PER_DRAIN - 1
    assert all(later > earlier for earlier, later in itertools.pairwise(sleep.waits))
    assert (report.sent, report.retried, report.rate_limited) == (
        len(SELLERS) - 1,
        1,
        LIMITED_PER_DRAIN,
    )
    assert await team.counts() == {
        DeliveryStatus.SENT: WELCOMES + len(SELLERS) - 1,
        DeliveryStatus.PENDING: 1,
    }
    team.clock.advance(minutes=1)
    again = await deliver_pending(
        database=team.database, registry=REGISTRY, chat=chat, clock=team.clock, sleep=sleep
    )
    assert again.sent == 1
    assert sorted(s.user_id for s in team.chat.sent) == sorted(SELLERS)


async def test_refusals_that_say_how_long_are_waited_out_however_many_in_one_drain(
    team: Team,
) -> None:
    # Twice as many as the give-up rule allows for refusals that say nothing.
    scope, refusals = RateLimitedError.direct_scope("US03"), 2 * LIMITED_PER_DRAIN
    told: list[Exception] = [RateLimitedError(1.0, scope=scope) for _ in range(refusals)]
    chat = OneConversationLimited(team.chat, "US03", told)
    sleep = RecordingSleep(team.clock)
    report = await deliver_pending(
        database=team.database, registry=REGISTRY, chat=chat, clock=team.clock, sleep=sleep
    )
    # Each refusal waited out as told, one after another, and the message went in this drain,
    # counted as one attempt: nothing handed back, nothing failed.
    assert as_told(sleep.waits, *[1.0] * refusals)
    assert (report.sent, report.retried, report.failed) == (len(SELLERS), 0, 0)
    assert report.rate_limited == refusals
    assert team.chat.sent[-1].user_id == "US03"
    row = await checkin_row(team, "US03")
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)


async def test_a_wait_that_runs_past_the_day_goes_back_to_the_outbox_for_then(team: Team) -> None:
    # 08:30 in Oslo: sixteen hours is past midnight there.
    scope = RateLimitedError.direct_scope("US03")
    chat = OneConversationLimited(team.chat, "US03", [RateLimitedError(16 * 3600, scope=scope)])
    sleep = RecordingSleep(team.clock)
    report = await deliver_pending(
        database=team.database, registry=REGISTRY, chat=chat, clock=team.clock, sleep=sleep
    )
    assert sleep.waits == [] and (report.sent, report.retried) == (len(SELLERS) - 1, 1)
    row = await checkin_row(team, "US03")
    assert (row.status, row.attempts, row.error) == (
        DeliveryStatus.PENDING,
        0,
        "rate limited past its day",
    )
    assert aware(row.due_at) >= MONDAY_0830 + timedelta(hours=16)


class Forever:
    """A sleep that never ends by itself."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.Event().wait()


async def test_stopping_ends_a_told_wait_and_hands_the_row_back_at_once(team: Team) -> None:
    scope = RateLimitedError.direct_scope("US03")
    chat = OneConversationLimited(team.chat, "US03", [RateLimitedError(600, scope=scope)])
    sleep, stopping = Forever(), asyncio.Event()
    sending = asyncio.create_task(
        deliver_pending(
            database=team.database,
            registry=REGISTRY,
            chat=chat,
            clock=team.clock,
            sleep=sleep,
            stopping=stopping,
        )
    )
    while not sleep.asked or len(team.chat.sent) < len(SELLERS) - 1:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    stopping.set()
    report = await asyncio.wait_for(sending, timeout=10)
    assert (report.sent, report.retried) == (len(SELLERS) - 1, 1)
    row = await checkin_row(team, "US03")
    assert (row.status, row.attempts, row.lease_owner) == (DeliveryStatus.PENDING, 0, None)


async def checkin_row(team: Team, user_id: str) -> Delivery:
    """The check-in queued for one seller."""
    seat = await team.seat(user_id)
    async with team.database.uow() as uow:
        row = await uow.session.scalar(
            select(Delivery).where(Delivery.member_id == seat.member.id, Delivery.kind == "checkin")
        )
    assert row is not None
    return row


def aware(moment: datetime) -> datetime:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_a_check_in_whose_day_is_over_is_never_sent(team: Team) -> None:
    """Monday's check-ins claimed, the sender down all day: on Tuesday morning they are dropped
    as past their day (a card for Monday would only answer "closed"), never sent late."""
    team.clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # Tuesday 07:00 in Oslo
    report = await send(team)
    assert (report.sent, report.skipped) == (0, len(SELLERS))
    assert team.chat.sent == []
    async with team.database.uow() as uow:
        rows = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "checkin")))
    assert {(row.status, row.error) for row in rows} == {(DeliveryStatus.SKIPPED, "past its day")}
