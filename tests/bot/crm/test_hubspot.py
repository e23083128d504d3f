"""The HubSpot source against the fake HubSpot, through real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from pepptalk.bot.crm.hubspot import SCOPES, HubSpotSource
from pepptalk.core.crm import (
    CrmError,
    CrmGoal,
    CrmProblem,
    CrmRecord,
    CrmSecret,
    CrmSource,
    GoalPeriod,
    RecordKind,
)
from tests.fakes.crm_book import CrmBook, busy_book
from tests.fakes.hubspot_api import ALL_SCOPES, FakeHubSpot
from tests.fakes.serving import served

TOKEN = "pat-eu1-0a1b2c3d-4e5f-6789-abcd-ef0123456789"
SINCE = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
UNTIL = datetime(2025, 3, 12, 13, 0, tzinfo=UTC)
OBJECT = {RecordKind.CALL: "calls", RecordKind.MEETING: "meetings", RecordKind.DEAL_WON: "deals"}
DATE_PROPERTY = {
    RecordKind.CALL: "hs_timestamp",
    RecordKind.MEETING: "hs_meeting_start_time",
    RecordKind.DEAL_WON: "closedate",
}


@dataclass
class Rig:
    """The fake, its address, an account's book, and a source reading it."""

    fake: FakeHubSpot
    url: str
    book: CrmBook
    source: HubSpotSource
    secret: CrmSecret


def sales_book() -> CrmBook:
    """Thirty sellers over two weeks, with enough won deals for two pages, and records on the
    window's very edges."""
    book = busy_book(owners=30, first=date(2025, 3, 3), days=12)
    for n in range(130):
        book.add(RecordKind.DEAL_WON, str(n % 30 + 1), SINCE + timedelta(hours=n), 1000.0 + n)
    for kind in RecordKind:
        amount = 500.0 if kind is RecordKind.DEAL_WON else 0.0
        book.add(kind, "1", SINCE, amount)  # counts: since is inclusive
        book.add(kind, "2", UNTIL, amount)  # does not: until is exclusive
        book.add(kind, "3", SINCE - timedelta(milliseconds=1), amount)
    return book


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    fake = FakeHubSpot(per_second=1000)
    book = sales_book()
    fake.add(TOKEN, book)
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        try:
            yield Rig(fake, url, book, source, CrmSecret({"token": TOKEN}))
        finally:
            await source.close()


async def read_all(
    source: HubSpotSource,
    secret: CrmSecret,
    kind: RecordKind,
    cursor: str | None = None,
    *,
    pages: int | None = None,
) -> tuple[list[CrmRecord], str | None]:
    """Records of a stream from `cursor`, `pages` pages of it (None: to the end), and the
    cursor it stopped at."""
    records: list[CrmRecord] = []
    read = 0
    while pages is None or read < pages:
        page = await source.page(secret, kind=kind, since=SINCE, until=UNTIL, cursor=cursor)
        records.extend(page.records)
        read += 1
        cursor = page.cursor
        if cursor is None:
            break
    return records, cursor


class FastSleep:
    """Records the waits asked for without waiting (server-error back-off is seconds long)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_check_names_the_account(rig: Rig) -> None:
    source: CrmSource = rig.source  # the port, as the sync holds it
    account = rig.fake.accounts[TOKEN]
    assert await source.check(rig.secret) == f"HubSpot account {account.portal_id}"
    assert source.kind == "hubspot"


async def test_owners_are_read_across_pages() -> None:
    fake = FakeHubSpot(per_second=1000)
    book = busy_book(owners=620, first=date(2025, 3, 3), days=0)
    fake.add(TOKEN, book)
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        try:
            owners = await source.owners(CrmSecret({"token": TOKEN}))
        finally:
            await source.close()
    assert owners == book.owners
    asked = [s.query for s in fake.seen if s.path == "/crm/v3/owners"]
    assert asked == [{"limit": "500"}, {"limit": "500", "after": "500"}]


@pytest.mark.parametrize("kind", list(RecordKind))
async def test_each_kind_is_read_across_pages(rig: Rig, kind: RecordKind) -> None:
    # Deals that are not won are in the account too: the won filter must leave them out.
    account = rig.fake.accounts[TOKEN]
    if kind is RecordKind.DEAL_WON:
        account.other_deals.append(CrmRecord("99001", "4", SINCE + timedelta(hours=2), kind, 9e5))
    records, _ = await read_all(rig.source, rig.secret, kind)
    expected = rig.book.of(kind, SINCE, UNTIL)
    assert len(expected) > 100  # more than one page
    assert records == expected
    assert len({r.record_id for r in records}) == len(records)
    assert all(r.at.tzinfo is not None and SINCE <= r.at < UNTIL for r in records)
    searches = rig.fake.searches(OBJECT[kind])
    assert len(searches) >= 2 and rig.source.usage.pages == len(searches)
    first = searches[0].body
    date_property = DATE_PROPERTY[kind]
    filters = first["filterGroups"][0]["filters"]
    assert {"propertyName": date_property, "operator": "GTE", "value": "1741084200000"} in filters
    assert {"propertyName": date_property, "operator": "LT", "value": "1741784400000"} in filters
    assert first["sorts"] == [{"propertyName": date_property, "direction": "ASCENDING"}]
    assert first["limit"] == 100 and "after" not in first
    assert [s.body["after"] for s in searches[1:]] == [
        str(100 * n) for n in range(1, len(searches))
    ]
    if kind is RecordKind.DEAL_WON:
        assert {"propertyName": "hs_is_closed_won", "operator": "EQ", "value": "true"} in filters
        assert sum(r.amount for r in records) == sum(r.amount for r in expected) > 0


async def test_a_cursor_resumes_in_a_fresh_source(rig: Rig) -> None:
    first, cursor = await read_all(rig.source, rig.secret, RecordKind.CALL, pages=2)
    assert cursor is not None
    await rig.source.close()
    # As another process would: the stored text is all it has.
    stored = json.loads(json.dumps(cursor))
    fresh = HubSpotSource(base_url=rig.url)
    try:
        rest, end = await read_all(fresh, rig.secret, RecordKind.CALL, stored)
    finally:
        await fresh.close()
    assert end is None
    assert len(first) == 200
    assert first + rest == rig.book.of(RecordKind.CALL, SINCE, UNTIL)


async def test_a_stream_longer_than_one_search_goes_on_from_its_last_timestamp() -> None:
    # Calls seven to a minute, so the 10,000th result falls inside a run of equal timestamps.
    # Added out of time order, so HubSpot's ids do not follow the timestamps.
    book = CrmBook()
    minutes = [n // 7 for n in range(10_250)]
    random.Random(5).shuffle(minutes)
    for n, minute in enumerate(minutes):
        book.add(RecordKind.CALL, str(n % 5 + 1), SINCE + timedelta(minutes=minute))
    fake = FakeHubSpot(per_second=10_000)
    fake.add(TOKEN, book)
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        try:
            records, _ = await read_all(source, CrmSecret({"token": TOKEN}), RecordKind.CALL)
        finally:
            await source.close()
    assert records == book.of(RecordKind.CALL, SINCE, UNTIL)
    searches = fake.searches("calls")
    restarts = [s.body for s in searches[1:] if "after" not in s.body]
    assert len(restarts) == 1
    low = restarts[0]["filterGroups"][0]["filters"][0]
    assert low["operator"] == "GTE"
    assert int(low["value"]) == round((SINCE + timedelta(minutes=9_999 // 7)).timestamp() * 1000)
    assert all(int(s.body.get("after", 0)) + s.body["limit"] <= 10_000 for s in searches)


async def test_a_storm_of_429s_is_waited_out(rig: Rig) -> None:
    rig.fake.storm(3, retry_after=0)
    page = await rig.source.page(
        rig.secret, kind=RecordKind.MEETING, since=SINCE, until=UNTIL, cursor=None
    )
    assert page.records == tuple(rig.book.of(RecordKind.MEETING, SINCE, UNTIL)[:100])
    assert rig.fake.rate_limited == 3
    assert [s.status for s in rig.fake.seen] == [429, 429, 429, 200]
    assert rig.source.usage.requests == 4 and rig.source.usage.waits == 3


async def test_the_search_limit_is_obeyed_without_retry_after() -> None:
    # HubSpot's search limit answers 429 with no Retry-After: a second's wait, then on.
    book = CrmBook()
    for n in range(700):
        book.add(RecordKind.CALL, "1", SINCE + timedelta(minutes=n))
    fake = FakeHubSpot(per_second=4)
    fake.add(TOKEN, book)
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        try:
            records, _ = await read_all(source, CrmSecret({"token": TOKEN}), RecordKind.CALL)
        finally:
            await source.close()
    assert records == book.of(RecordKind.CALL, SINCE, UNTIL)
    assert fake.rate_limited >= 1
    assert source.usage.waits == fake.rate_limited
    assert source.usage.requests == 7 + fake.rate_limited


async def test_a_spent_daily_limit_raises_at_once(rig: Rig) -> None:
    rig.fake.daily_limit(TOKEN, 1)
    _, cursor = await read_all(rig.source, rig.secret, RecordKind.CALL, pages=1)
    with pytest.raises(CrmError) as caught:
        await rig.source.page(
            rig.secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=cursor
        )
    assert caught.value.problem is CrmProblem.LIMIT
    assert rig.source.usage.waits == 0
    assert [s.status for s in rig.fake.seen] == [200, 429]


async def test_a_revoked_token_is_revoked_and_never_shown(rig: Rig) -> None:
    await rig.source.check(rig.secret)
    rig.fake.revoke(TOKEN)
    for read in (
        rig.source.check(rig.secret),
        rig.source.owners(rig.secret),
        rig.source.page(rig.secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None),
    ):
        with pytest.raises(CrmError) as caught:
            await read
        assert caught.value.problem is CrmProblem.REVOKED
        assert TOKEN not in str(caught.value) and TOKEN not in caught.value.detail
    assert all(TOKEN not in s.path + json.dumps(s.query) for s in rig.fake.seen)


async def test_a_token_it_never_had_is_revoked(rig: Rig) -> None:
    with pytest.raises(CrmError) as caught:
        await rig.source.check(CrmSecret({"token": "pat-eu1-unknown"}))
    assert caught.value.problem is CrmProblem.REVOKED


async def test_a_missing_scope_is_named() -> None:
    fake = FakeHubSpot(per_second=1000)
    fake.add(TOKEN, sales_book(), scopes=ALL_SCOPES - {"crm.objects.contacts.read"})
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        secret = CrmSecret({"token": TOKEN})
        try:
            with pytest.raises(CrmError) as caught:
                await source.page(
                    secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None
                )
            # Deals need another scope, which the app has.
            deals = await source.page(
                secret, kind=RecordKind.DEAL_WON, since=SINCE, until=UNTIL, cursor=None
            )
        finally:
            await source.close()
    assert caught.value.problem is CrmProblem.SCOPE
    assert "crm.objects.contacts.read" in caught.value.detail
    assert deals.records
    assert "crm.objects.contacts.read" in SCOPES


async def test_an_address_that_is_not_hubspot(rig: Rig) -> None:
    wrong = HubSpotSource(base_url=rig.url + "/not-the-api")
    try:
        with pytest.raises(CrmError) as caught:
            await wrong.check(rig.secret)
    finally:
        await wrong.close()
    assert caught.value.problem is CrmProblem.ADDRESS


async def test_a_server_down_is_down(rig: Rig) -> None:
    sleep = FastSleep()
    source = HubSpotSource(base_url=rig.url, sleep=sleep)
    rig.fake.fail(10, status=503)
    try:
        with pytest.raises(CrmError) as caught:
            await source.owners(rig.secret)
    finally:
        await source.close()
    assert caught.value.problem is CrmProblem.DOWN
    assert [s.status for s in rig.fake.seen] == [503] * 4
    assert len(sleep.waits) == 3


async def test_a_server_error_or_two_is_tried_again(rig: Rig) -> None:
    sleep = FastSleep()
    source = HubSpotSource(base_url=rig.url, sleep=sleep)
    rig.fake.fail(2, status=502)
    try:
        owners = await source.owners(rig.secret)
    finally:
        await source.close()
    assert owners == rig.book.owners
    assert [s.status for s in rig.fake.seen] == [502, 502, 200]


async def test_an_unreachable_hubspot_is_down() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    source = HubSpotSource(base_url=f"http://127.0.0.1:{port}", sleep=FastSleep())
    try:
        with pytest.raises(CrmError) as caught:
            await source.check(CrmSecret({"token": TOKEN}))
    finally:
        await source.close()
    assert caught.value.problem is CrmProblem.DOWN


async def test_goals_in_force_on_a_day(rig: Rig) -> None:
    day = date(2025, 3, 12)
    rig.fake.goal_day = day
    rig.book.goals += [
        CrmGoal("2", "sales", GoalPeriod.MONTH, 50_000.0),
        CrmGoal("3", "meetings", GoalPeriod.WEEK, 10.0),
        CrmGoal("1", "deals", GoalPeriod.MONTH, 4.0),
    ]
    goals = await rig.source.goals(rig.secret, day=day)
    # The fake also keeps each goal's previous period: only the one in force counts.
    assert sorted(goals, key=repr) == sorted(rig.book.goals, key=repr)
    assert await rig.source.goals(rig.secret, day=day + timedelta(days=60)) == []


async def test_goals_without_the_scope_are_none() -> None:
    fake = FakeHubSpot(per_second=1000)
    fake.add(TOKEN, sales_book(), scopes=ALL_SCOPES - {"crm.objects.goals.read"})
    async with served(fake.app()) as url:
        source = HubSpotSource(base_url=url)
        try:
            goals = await source.goals(CrmSecret({"token": TOKEN}), day=fake.goal_day)
        finally:
            await source.close()
    assert goals == []
    assert [s.status for s in fake.seen] == [403]
