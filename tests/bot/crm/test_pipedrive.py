"""Pipedrive read through the real source and real HTTP, against the fake Pipedrive."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from pepptalk.bot.crm.http import Sleep
from pepptalk.bot.crm.pipedrive import PipedriveSource
from pepptalk.core.crm import (
    CrmError,
    CrmGoal,
    CrmProblem,
    CrmRecord,
    CrmSecret,
    GoalPeriod,
    RecordKind,
    company_domain,
)
from tests.fakes.crm_book import CrmBook, busy_book
from tests.fakes.pipedrive_api import FakePipedrive, next_id
from tests.fakes.serving import served

DOMAIN = "acme"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
SINCE = datetime(2024, 5, 7, 10, 0, tzinfo=UTC)
UNTIL = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


async def no_wait(seconds: float) -> None:
    """A sleep that does not, for the retry pauses of an outage."""


@dataclass
class Setup:
    fake: FakePipedrive
    book: CrmBook
    base_url: str

    def source(self, *, page_size: int = 500, sleep: Sleep = asyncio.sleep) -> PipedriveSource:
        return PipedriveSource(base_url=self.base_url, page_size=page_size, sleep=sleep)


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    fake = FakePipedrive()
    book = busy_book(owners=6, first=date(2024, 5, 6), days=14)
    fake.company(DOMAIN, TOKEN, book)
    async with served(fake.app()) as url:
        yield Setup(fake, book, f"{url}/{{domain}}")


def secret(domain: str = DOMAIN, token: str = TOKEN) -> CrmSecret:
    return CrmSecret({"domain": domain, "token": token})


async def read_all(
    source: PipedriveSource, kind: RecordKind, cursor: str | None = None
) -> tuple[list[CrmRecord], int]:
    """Every record of `kind` in the window, and how many pages that took."""
    records: list[CrmRecord] = []
    pages = 0
    while True:
        page = await source.page(secret(), kind=kind, since=SINCE, until=UNTIL, cursor=cursor)
        records.extend(page.records)
        pages += 1
        assert pages < 100, "the cursor does not move on"
        cursor = page.cursor
        if cursor is None:
            return records, pages


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("acme", "acme"),
        ("  Acme-Sales ", "acme-sales"),
        ("acme.pipedrive.com", "acme"),
        ("https://acme.pipedrive.com/", "acme"),
        ("https://acme.pipedrive.com/deals/user/everyone", "acme"),
        ("http://ACME.pipedrive.com", "acme"),
        ("", None),
        ("acme sales", None),
        ("https://acme.example.com", None),
        ("-acme", None),
        ("acme_sales", None),
    ],
)
def test_company_domain(text: str, domain: str | None) -> None:
    assert company_domain(text) == domain


async def test_check_and_owners(setup: Setup) -> None:
    source = setup.source()
    try:
        assert await source.check(secret("https://acme.pipedrive.com/")) == setup.book.name
        owners = await source.owners(secret())
    finally:
        await source.close()
    assert owners == setup.book.owners
    assert all(not a.token_in_query for a in setup.fake.asked)


@pytest.mark.parametrize(
    ("kind", "page_size"),
    [(RecordKind.CALL, 40), (RecordKind.MEETING, 4), (RecordKind.DEAL_WON, 2)],
)
async def test_each_kind_across_pages(setup: Setup, kind: RecordKind, page_size: int) -> None:
    company = setup.fake.companies[DOMAIN]
    # What the filters must keep out: an undone call, a task, a lost deal, and a deal won
    # before the window but updated inside it.
    company.activities += [
        {"id": next_id(), "user_id": 1, "type": "call", "due_date": "2024-05-08",
         "due_time": "09:30", "done": False},
        {"id": next_id(), "user_id": 1, "type": "task", "due_date": "2024-05-08",
         "due_time": "09:30", "done": True},
    ]  # fmt: skip
    company.deals += [
        {"id": next_id(), "owner_id": 2, "value": 5.0, "status": "lost", "won_time": None,
         "update_time": "2024-05-08T09:30:00Z"},
        {"id": next_id(), "owner_id": 2, "value": 7.0, "status": "won",
         "won_time": "2024-04-30T09:30:00Z", "update_time": "2024-05-08T09:30:00Z"},
    ]  # fmt: skip
    source = setup.source(page_size=page_size)
    try:
        records, pages = await read_all(source, kind)
    finally:
        await source.close()

    expected = setup.book.of(kind, SINCE, UNTIL)
    assert len(expected) > 2 * page_size
    assert sorted(records, key=lambda r: int(r.record_id)) == sorted(
        expected, key=lambda r: int(r.record_id)
    )
    assert len({r.record_id for r in records}) == len(records)
    assert all(r.at.tzinfo is not None and SINCE <= r.at < UNTIL for r in records)
    assert pages > 2
    assert setup.fake.pages == pages == source.usage.pages
    asked = setup.fake.asked
    assert all(not a.token_in_query for a in asked)
    if kind is RecordKind.DEAL_WON:
        assert asked[0].path == "/api/v2/deals"
        assert asked[0].params["status"] == "won"
        assert asked[0].params["updated_since"] == "2024-05-07T10:00:00Z"
        assert "cursor" in asked[1].params
    else:
        assert asked[0].path == "/api/v1/activities"
        assert asked[0].params | {"start": "0"} == {
            "user_id": "0",
            "type": kind.value,
            "done": "1",
            "start_date": "2024-05-07",
            "end_date": "2024-05-15",
            "start": "0",
            "limit": str(page_size),
        }
        assert [a.params["start"] for a in asked] == [str(n * page_size) for n in range(pages)]


@pytest.mark.parametrize(("kind", "page_size"), [(RecordKind.CALL, 50), (RecordKind.DEAL_WON, 3)])
async def test_resume_from_cursor_in_a_fresh_source(
    setup: Setup, kind: RecordKind, page_size: int
) -> None:
    first = setup.source(page_size=page_size)
    try:
        page = await first.page(secret(), kind=kind, since=SINCE, until=UNTIL, cursor=None)
    finally:
        await first.close()
    assert page.cursor is not None
    # Another process, later: only the stored cursor carries over.
    again = setup.source(page_size=page_size)
    try:
        rest, _ = await read_all(again, kind, cursor=page.cursor)
    finally:
        await again.close()
    ids = [r.record_id for r in page.records + tuple(rest)]
    assert sorted(ids) == sorted(r.record_id for r in setup.book.of(kind, SINCE, UNTIL))
    assert len(set(ids)) == len(ids)


async def test_storm_is_waited_out(setup: Setup) -> None:
    setup.fake.storm(4, retry_after=0)
    source = setup.source(page_size=500)
    try:
        records, pages = await read_all(source, RecordKind.MEETING)
    finally:
        await source.close()
    assert len(records) == len(setup.book.of(RecordKind.MEETING, SINCE, UNTIL))
    assert setup.fake.limited == 4
    assert len(setup.fake.requests("/api/v1/activities")) == pages + 4
    assert source.usage.waits == 4


async def test_window_is_obeyed_before_pipedrive_says_429(setup: Setup) -> None:
    company = setup.fake.companies[DOMAIN]
    company.budget, company.window = 3, 1.0
    source = setup.source(page_size=60)
    try:
        records, pages = await read_all(source, RecordKind.CALL)
    finally:
        await source.close()
    assert pages > 3
    assert len(records) == len(setup.book.of(RecordKind.CALL, SINCE, UNTIL))
    # The source waited on `x-ratelimit-remaining: 0` rather than running into the 429.
    assert setup.fake.limited == 0
    assert source.usage.waits >= 1


async def test_429_without_retry_after_waits_for_the_reset(setup: Setup) -> None:
    company = setup.fake.companies[DOMAIN]
    company.budget, company.window = 2, 2.0
    # A second source on the same token knows nothing of the first one's spending, so its
    # first request runs into the 429, which names the wait in x-ratelimit-reset only (2 s:
    # a shorter guess would run into it again).
    other, source = setup.source(), setup.source()
    try:
        await other.owners(secret())
        await other.owners(secret())
        records, _ = await read_all(source, RecordKind.MEETING)
    finally:
        await other.close()
        await source.close()
    assert setup.fake.limited == 1
    assert len(records) == len(setup.book.of(RecordKind.MEETING, SINCE, UNTIL))


async def test_daily_budget_is_a_limit_at_once(setup: Setup) -> None:
    setup.fake.daily_limit(DOMAIN, 1)
    source = setup.source(page_size=5)
    try:
        await source.page(secret(), kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None)
        with pytest.raises(CrmError) as raised:
            await source.page(secret(), kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None)
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.LIMIT
    assert raised.value.retry_after is not None and raised.value.retry_after > 0
    assert setup.fake.daily_limited == 1
    assert source.usage.waits == 0


async def test_revoked_token(setup: Setup) -> None:
    setup.fake.revoke(TOKEN)
    source = setup.source()
    try:
        with pytest.raises(CrmError) as raised:
            await source.check(secret())
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.REVOKED
    assert TOKEN not in str(raised.value)
    assert setup.fake.asked[-1].status == 401


async def test_missing_permission_is_scope(setup: Setup) -> None:
    setup.fake.forbidden.add("/api/v2/deals")
    source = setup.source()
    try:
        with pytest.raises(CrmError) as raised:
            await source.page(
                secret(), kind=RecordKind.DEAL_WON, since=SINCE, until=UNTIL, cursor=None
            )
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.SCOPE
    assert "permission" in raised.value.detail


@pytest.mark.parametrize("domain", ["globex", "not a domain"])
async def test_unknown_company_is_address(setup: Setup, domain: str) -> None:
    source = setup.source()
    try:
        with pytest.raises(CrmError) as raised:
            await source.check(secret(domain))
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.ADDRESS


async def test_a_name_that_does_not_resolve_is_address() -> None:
    source = PipedriveSource(base_url="http://{domain}.invalid", sleep=no_wait)
    try:
        with pytest.raises(CrmError) as raised:
            await source.check(secret())
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.ADDRESS


async def test_pipedrive_down(setup: Setup) -> None:
    setup.fake.fail(10)
    source = setup.source(sleep=no_wait)
    try:
        with pytest.raises(CrmError) as raised:
            await source.owners(secret())
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.DOWN
    assert len(setup.fake.asked) > 1


async def test_pipedrive_unreachable_is_down() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    source = PipedriveSource(base_url=f"http://127.0.0.1:{port}/{{domain}}", sleep=no_wait)
    try:
        with pytest.raises(CrmError) as raised:
            await source.check(secret())
    finally:
        await source.close()
    assert raised.value.problem is CrmProblem.DOWN


async def test_a_short_outage_is_retried(setup: Setup) -> None:
    setup.fake.fail(2, status=502)
    source = setup.source(sleep=no_wait)
    try:
        assert await source.check(secret()) == setup.book.name
    finally:
        await source.close()
    assert [a.status for a in setup.fake.asked] == [502, 502, 200]


async def test_goals(setup: Setup) -> None:
    company = setup.fake.companies[DOMAIN]
    setup.book.goals += [
        CrmGoal(owner_id=None, metric="calls", period=GoalPeriod.WEEK, value=300.0),
        CrmGoal(owner_id="1", metric="meetings", period=GoalPeriod.MONTH, value=20.0),
        CrmGoal(owner_id="2", metric="deals", period=GoalPeriod.MONTH, value=4.0),
        CrmGoal(owner_id="2", metric="sales", period=GoalPeriod.WEEK, value=250_000.0),
    ]
    outcome = {"target": 9, "tracking_metric": "quantity"}
    every = {"id": 2, "type": "person"}
    company.goals += [
        # Left out: quarterly, not yet started, over every activity type, inactive.
        {"type": {"name": "deals_won"}, "assignee": every, "interval": "quarterly",
         "duration": {"start": "2024-01-01", "end": None}, "expected_outcome": outcome},
        {"type": {"name": "deals_won"}, "assignee": every, "interval": "weekly",
         "duration": {"start": "2024-06-01", "end": None}, "expected_outcome": outcome},
        {"type": {"name": "activities_completed", "params": {"activity_type_id": None}},
         "assignee": every, "interval": "weekly", "duration": {"start": "2024-01-01"},
         "expected_outcome": outcome},
        {"type": {"name": "deals_won"}, "assignee": every, "interval": "weekly",
         "duration": {"start": "2024-01-01"}, "expected_outcome": outcome, "is_active": False},
    ]  # fmt: skip
    source = setup.source()
    try:
        goals = await source.goals(secret(), day=date(2024, 5, 8))
    finally:
        await source.close()
    # The book's day goal is not served: Pipedrive keeps no daily goals.
    assert sorted(goals, key=lambda g: g.metric) == [
        CrmGoal(owner_id=None, metric="calls", period=GoalPeriod.WEEK, value=300.0),
        CrmGoal(owner_id="2", metric="deals", period=GoalPeriod.MONTH, value=4.0),
        CrmGoal(owner_id="1", metric="meetings", period=GoalPeriod.MONTH, value=20.0),
        CrmGoal(owner_id="2", metric="sales", period=GoalPeriod.WEEK, value=250_000.0),
    ]


async def test_goals_a_plan_lacks_are_none(setup: Setup) -> None:
    setup.fake.forbidden.add("/api/v1/goals/find")
    source = setup.source()
    try:
        assert await source.goals(secret(), day=date(2024, 5, 8)) == []
        # The sync goes on reading records.
        records, _ = await read_all(source, RecordKind.MEETING)
    finally:
        await source.close()
    assert records
    assert setup.fake.asked[0].status == 403
