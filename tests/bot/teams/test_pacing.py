"""Pacing Teams before it has to say no: proactive sends keep within Teams' published limits per
conversation and per tenant, so the connector (which enforces them here as Teams does) never
refuses; and a 502 or 504 after which Teams delivered all the same is tried again with the same
activity id, which a connector that honours it drops. Through the real sender, adapter and
connector client, over HTTP; what is checked is the fake connector's record of when each post
came, never how long the test took.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import ChannelAccount

from pepptalk.bot.delivery import DrainReport, deliver_pending
from pepptalk.bot.jobs import claim
from pepptalk.core.kinds import DeliveryStatus
from pepptalk.core.messages import Message, Paragraph
from pepptalk.core.privacy import Policy
from pepptalk.handlers.habit import ComposerSpec, Habit, Registry
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork
from tests.bot.teams.activities import TENANT, person
from tests.bot.teams.site import MONDAY_0830_OSLO, TeamsSite, teams_site, welcome_team
from tests.fakes.teams_connector import TEAMS_PER_CONVERSATION, TEAMS_PER_TENANT, Refused, Sent
from tests.stored import membership

KARI = person("Kari Nordmann")
SELLERS = [person(f"Seller{i} X") for i in range(5)]
BUSY, TROUBLED = SELLERS[0], SELLERS[2]
# A delivery kind of these tests' own: "paced:<n>" is composed by the habit below.
KIND = "paced"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[TeamsSite]:
    """A Teams team of five sellers, welcomed; the connector keeps Teams' limits."""
    async with teams_site(tmp_path, microsoft_app_id="") as site:
        await welcome_team(site, KARI, list(SELLERS))
        site.connector.sent.clear()
        site.connector.enforce_limits = True
        yield site


def registry_with_notes() -> Registry:
    """Pepptalk's habits and one more, whose deliveries of KIND are a one-line note."""

    async def compose(
        *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
    ) -> dict[int, Message | None]:
        return {job.delivery.id: Message("A note", (Paragraph("A note"),)) for job in jobs}

    notes = Habit(name="notes-for-pacing", composers=(ComposerSpec(kind=KIND, compose=compose),))
    return Registry((*REGISTRY.habits, notes))


async def queue_notes(site: TeamsSite, counts: list[tuple[ChannelAccount, int]]) -> int:
    """Queue so many notes for each seller, due now; how many in all."""
    database, now = site.pepptalk.services.database, MONDAY_0830_OSLO
    queued = []
    for seller, count in counts:
        seat = await membership(database, TENANT, seller.aad_object_id)
        assert seat is not None
        queued += [
            NewDelivery(TENANT, seat.team.id, seat.member.id, f"{KIND}:{n}", now.date(), now)
            for n in range(count)
        ]
    async with database.uow() as uow:
        assert await uow.outbox.claim(queued) == len(queued)
    return len(queued)


async def send_notes(site: TeamsSite) -> DrainReport:
    """The outbox sender, as the tick runs it, with the notes' habit registered."""
    services = site.pepptalk.services
    return await deliver_pending(
        database=services.database,
        registry=registry_with_notes(),
        chat=services.chat,
        clock=services.clock,
        spacing=services.spacing,
    )


def most_in_any(posts: list[Sent], seconds: float) -> int:
    """The most posts that came within any `seconds`, by the connector's own clock."""
    times = sorted(p.at for p in posts)
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


def within_conversation_limits(posts: list[Sent]) -> bool:
    """Whether posts to one conversation kept within Teams' limits for a conversation."""
    return all(most_in_any(posts, seconds) <= most for seconds, most in TEAMS_PER_CONVERSATION)


async def test_one_busy_conversation_is_spaced_and_the_others_go_at_once(site: TeamsSite) -> None:
    connector = site.connector
    queued = await queue_notes(site, [(BUSY, 12)] + [(seller, 1) for seller in SELLERS[1:]])

    report = await send_notes(site)

    assert report.sent == queued and report.rate_limited == 0 and connector.limited == 0
    busy = connector.posted(f"1on1-{BUSY.id}")
    assert len(busy) == 12 and within_conversation_limits(busy)
    # Nobody else waited for the busy conversation: all in before its eighth.
    others = [p for p in connector.posted() if p not in busy]
    assert len(others) == len(SELLERS) - 1
    assert max(p.at for p in others) < sorted(p.at for p in busy)[7]


async def test_a_tenant_gets_no_more_than_teams_allows_it_in_any_second(site: TeamsSite) -> None:
    connector = site.connector
    queued = await queue_notes(site, [(seller, 7) for seller in SELLERS])
    assert queued > TEAMS_PER_TENANT

    report = await send_notes(site)

    assert report.sent == queued and report.rate_limited == 0 and connector.limited == 0
    posts = connector.posted()
    assert {p.tenant for p in posts} == {TENANT}, [p.tenant for p in posts]
    assert len(posts) == queued, [(p.conversation, p.activity.get("summary")) for p in posts]
    assert most_in_any(posts, 1.0) <= TEAMS_PER_TENANT
    for seller in SELLERS:
        assert within_conversation_limits(connector.posted(f"1on1-{seller.id}"))


class Instant:
    """A sleep that returns at once: backing off is not what these tests are about."""

    async def __call__(self, seconds: float) -> None:
        return None


def mornings(site: TeamsSite, seller: Any) -> int:
    """How many check-ins show in the seller's 1:1 chat."""
    cards = site.connector.cards(f"1on1-{seller.id}")
    return sum("Good morning" in json.dumps(card) for card in cards)


async def checkins(site: TeamsSite) -> DrainReport:
    """Monday's check-ins, queued and sent, backing off without waiting."""
    services = site.pepptalk.services
    assert await claim(services, "checkins", at=MONDAY_0830_OSLO, queued_at=services.clock())
    return await deliver_pending(
        database=services.database,
        registry=services.registry,
        chat=services.chat,
        clock=services.clock,
        sleep=Instant(),
    )


@pytest.mark.parametrize("status", [502, 504])
async def test_a_gateway_error_after_delivery_is_tried_again_under_the_same_activity_id(
    site: TeamsSite, status: int
) -> None:
    connector = site.connector
    connector.trouble(f"1on1-{TROUBLED.id}", status, delivered=True)

    report = await checkins(site)

    assert report.sent == len(SELLERS) and report.rate_limited == 1
    assert connector.refused == [Refused(f"a:1on1-{TROUBLED.id}", status)]
    # The try again carried the id the first try had, and the connector dropped it.
    assert connector.repeats == 1
    for seller in SELLERS:
        assert mornings(site, seller) == 1, seller.name
    ids = [p.activity.get("id") for p in connector.posted()]
    assert all(ids) and len(set(ids)) == len(ids)


async def test_a_connector_that_ignores_the_id_shows_such_a_message_twice(site: TeamsSite) -> None:
    # What docs/operators/production.md names as the one way a Teams message can still show twice.
    connector = site.connector
    connector.honours_ids = False
    connector.trouble(f"1on1-{TROUBLED.id}", 504, delivered=True)

    report = await checkins(site)

    assert report.sent == len(SELLERS) and connector.repeats == 0
    assert mornings(site, TROUBLED) == 2
    assert all(mornings(site, seller) == 1 for seller in SELLERS if seller is not TROUBLED)


async def test_a_post_taken_without_an_id_counts_as_sent_and_goes_once(site: TeamsSite) -> None:
    site.connector.quiet = True

    report = await checkins(site)

    assert (report.sent, report.retried, report.failed) == (len(SELLERS), 0, 0)
    assert all(mornings(site, seller) == 1 for seller in SELLERS)
    async with site.pepptalk.services.database.uow() as uow:
        assert (await uow.outbox.counts())[DeliveryStatus.SENT] == 2 * len(SELLERS)
