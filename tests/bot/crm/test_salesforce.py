"""The Salesforce source against the fake Salesforce, over real HTTP: signing in with PKCE,
reading owners and each kind of record page by page, refreshing tokens, and every way it fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from pepptalk.bot.crm.salesforce import SalesforceSource, challenge, new_verifier
from pepptalk.core.crm import CrmError, CrmProblem, CrmRecord, CrmSecret, RecordKind
from tests.fakes.crm_book import CrmBook, busy_book
from tests.fakes.salesforce_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORG,
    REDIRECT_URI,
    FakeSalesforce,
    record_id,
    user_id,
)

SINCE = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
UNTIL = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
async def sf() -> AsyncIterator[FakeSalesforce]:
    book = busy_book(owners=3, first=date(2026, 11, 2), days=14)
    fake = FakeSalesforce(books={ORG: book, "ORG2": CrmBook(name="Bergen AS")}, page_size=7)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def source(sf: FakeSalesforce) -> AsyncIterator[SalesforceSource]:
    made = _source(sf)
    yield made
    await made.close()


def _source(sf: FakeSalesforce, waits: list[float] | None = None) -> SalesforceSource:
    if waits is None:
        return SalesforceSource(
            login_url=sf.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        )

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return SalesforceSource(
        login_url=sf.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, sleep=sleep
    )


def _expected(sf: FakeSalesforce, kind: RecordKind) -> dict[str, CrmRecord]:
    """What the source should read: the book's records, in Salesforce's ids and shapes."""
    found = {}
    for r in sf.books[ORG].of(kind, SINCE, UNTIL):
        # A deal is dated by its close date, placed at midday UTC.
        at = (
            datetime.combine(r.at.date(), time(12, 0), UTC) if kind is RecordKind.DEAL_WON else r.at
        )
        found[record_id(r)] = CrmRecord(record_id(r), user_id(r.owner_id), at, kind, r.amount)
    return found


async def _read_all(
    source: SalesforceSource, secret: CrmSecret, kind: RecordKind, cursor: str | None = None
) -> list[CrmRecord]:
    records: list[CrmRecord] = []
    while True:
        page = await source.page(secret, kind=kind, since=SINCE, until=UNTIL, cursor=cursor)
        records += page.records
        cursor = page.cursor
        if cursor is None:
            return records


async def _sign_in(sf: FakeSalesforce, source: SalesforceSource, verifier: str) -> str:
    """What the browser does: open the authorize URL, come back to the redirect URI; the code."""
    url = source.authorize_url(
        redirect_uri=REDIRECT_URI, state="st-1", challenge=challenge(verifier)
    )
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(url, allow_redirects=False) as answer,
    ):
        assert answer.status == 302
        back = urlsplit(answer.headers["Location"])
    assert back._replace(query="").geturl() == REDIRECT_URI
    query = parse_qs(back.query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def test_challenge_is_rfc_7636_s256() -> None:
    # The example in RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh = new_verifier()
    assert 43 <= len(fresh) <= 128 and fresh != new_verifier()
    assert set(fresh) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


async def test_sign_in_with_pkce_gives_a_working_secret(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    verifier = new_verifier()
    url = source.authorize_url(redirect_uri=REDIRECT_URI, state="s", challenge=challenge(verifier))
    assert "scope=api%20refresh_token" in url and "code_challenge_method=S256" in url
    code = await _sign_in(sf, source, verifier)
    secret = await source.exchange(code=code, verifier=verifier, redirect_uri=REDIRECT_URI)
    assert secret["instance_url"] == sf.base_url
    assert secret["refresh_token"] in sf.refresh
    assert await source.check(secret) == "Oslo Inside Sales AS"
    # A code works once only.
    with pytest.raises(CrmError) as reused:
        await source.exchange(code=code, verifier=verifier, redirect_uri=REDIRECT_URI)
    assert reused.value.problem is CrmProblem.REVOKED


async def test_a_wrong_verifier_is_refused(sf: FakeSalesforce, source: SalesforceSource) -> None:
    code = await _sign_in(sf, source, new_verifier())
    with pytest.raises(CrmError) as refused:
        await source.exchange(code=code, verifier=new_verifier(), redirect_uri=REDIRECT_URI)
    assert refused.value.problem is CrmProblem.REVOKED
    assert sf.token_requests[-1]["grant_type"] == "authorization_code"


async def test_owners_are_read_across_pages(sf: FakeSalesforce, source: SalesforceSource) -> None:
    sf.page_size = 2
    owners = await source.owners(CrmSecret(sf.issue()))
    assert [(o.owner_id, o.name, o.email) for o in owners] == [
        (user_id(str(n)), f"Seller {n}", f"seller{n}@corp.example") for n in (1, 2, 3)
    ]
    assert sf.pages == 2


@pytest.mark.parametrize("kind", list(RecordKind))
async def test_each_kind_is_read_across_pages(
    sf: FakeSalesforce, source: SalesforceSource, kind: RecordKind
) -> None:
    # Deals are few: small pages make them span several too.
    sf.page_size = 1 if kind is RecordKind.DEAL_WON else 7
    expected = _expected(sf, kind)
    assert len(expected) > 2 * sf.page_size
    read = await _read_all(source, CrmSecret(sf.issue()), kind)
    assert len(read) == len({r.record_id for r in read})  # none doubled
    assert {r.record_id: r for r in read} == expected  # none lost, each as it should be
    assert all(r.at.tzinfo is not None and SINCE <= r.at < UNTIL for r in read)
    assert sf.pages == source.usage.pages > 2
    assert len(sf.queries) == 1


async def test_queries_filter_on_the_documented_fields(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    secret = CrmSecret(sf.issue())
    for kind in RecordKind:
        await source.page(secret, kind=kind, since=SINCE, until=UNTIL, cursor=None)
    calls, meetings, deals = sf.queries
    assert "FROM Task WHERE (TaskSubtype = 'Call' OR Type = 'Call')" in calls
    assert (
        "CompletedDateTime >= 2026-11-03T09:30:00Z AND CompletedDateTime < 2026-11-10T15:00:00Z"
        in calls
    )
    assert "FROM Event WHERE StartDateTime >= 2026-11-03T09:30:00Z" in meetings
    # Deals close on a date placed at midday: 3 Nov 12:00 is in the window, 10 Nov 12:00 too.
    assert "IsWon = true AND CloseDate >= 2026-11-03 AND CloseDate < 2026-11-11" in deals


async def test_a_cursor_resumes_in_a_fresh_source(sf: FakeSalesforce) -> None:
    secret = CrmSecret(sf.issue())
    first = _source(sf)
    page = await first.page(secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None)
    await first.close()
    assert page.cursor is not None
    second = _source(sf)
    try:
        rest = await _read_all(second, secret, RecordKind.CALL, page.cursor)
    finally:
        await second.close()
    read = list(page.records) + rest
    assert len(read) == len({r.record_id for r in read})
    assert {r.record_id for r in read} == set(_expected(sf, RecordKind.CALL))
    assert len(sf.queries) == 1  # resumed, not started over


async def test_an_expired_session_is_refreshed_and_the_query_reopened(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    secret = CrmSecret(sf.issue())
    old = secret["access_token"]
    page = await source.page(secret, kind=RecordKind.MEETING, since=SINCE, until=UNTIL, cursor=None)
    sf.expire()
    rest = await _read_all(source, secret, RecordKind.MEETING, page.cursor)
    assert secret.changed and secret["access_token"] != old
    assert secret["access_token"] in sf.access
    assert [r["grant_type"] for r in sf.token_requests][:1] == ["refresh_token"]
    # The old session's locator died with it, so the window was read again from its start.
    assert len(sf.queries) == 2
    assert {r.record_id for r in rest} == set(_expected(sf, RecordKind.MEETING))


async def test_an_expired_locator_reads_the_window_again(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    secret = CrmSecret(sf.issue())
    page = await source.page(secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None)
    sf.expire_locators()
    rest = await _read_all(source, secret, RecordKind.CALL, page.cursor)
    assert {r.record_id for r in rest} == set(_expected(sf, RecordKind.CALL))
    assert not secret.changed
    assert len(sf.queries) == 2


async def test_a_storm_of_429s_is_waited_out(sf: FakeSalesforce, source: SalesforceSource) -> None:
    secret = CrmSecret(sf.issue())
    sf.storm(3, retry_after=0)
    assert await source.check(secret) == "Oslo Inside Sales AS"
    assert sf.requests == 4
    assert [status for _, _, status in sf.history] == [429, 429, 429, 200]
    assert source.usage.waits == 3


async def test_a_revoked_connection_is_revoked(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    secret = CrmSecret(sf.issue())
    sf.revoke(secret["refresh_token"])
    with pytest.raises(CrmError) as revoked:
        await source.owners(secret)
    assert revoked.value.problem is CrmProblem.REVOKED
    # It tried a refresh first, which Salesforce refused.
    assert [r["grant_type"] for r in sf.token_requests] == ["refresh_token"]
    for token in (secret["access_token"], secret["refresh_token"]):
        assert token not in str(revoked.value)


async def test_a_token_reads_its_own_org_only(sf: FakeSalesforce, source: SalesforceSource) -> None:
    secret = CrmSecret(sf.issue("ORG2"))
    assert await source.check(secret) == "Bergen AS"
    assert await source.owners(secret) == []
    page = await source.page(secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None)
    assert page.records == () and page.cursor is None


async def test_no_api_access_is_a_scope_problem(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    sf.disable_api()
    with pytest.raises(CrmError) as refused:
        await source.check(CrmSecret(sf.issue()))
    assert refused.value.problem is CrmProblem.SCOPE
    assert "API_DISABLED_FOR_ORG" in refused.value.detail


async def test_an_unreadable_object_is_a_scope_problem(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    sf.hide("Event")
    secret = CrmSecret(sf.issue())
    await source.page(secret, kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None)
    with pytest.raises(CrmError) as refused:
        await source.page(secret, kind=RecordKind.MEETING, since=SINCE, until=UNTIL, cursor=None)
    assert refused.value.problem is CrmProblem.SCOPE
    assert "Event" in refused.value.detail


async def test_a_wrong_instance_is_an_address_problem(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    secret = CrmSecret({**sf.issue(), "instance_url": f"{sf.base_url}/nowhere"})
    with pytest.raises(CrmError) as wrong:
        await source.check(secret)
    assert wrong.value.problem is CrmProblem.ADDRESS
    assert sf.requests == 0


async def test_an_unknown_instance_host_is_an_address_problem(sf: FakeSalesforce) -> None:
    waits: list[float] = []
    source = _source(sf, waits)
    # .invalid never resolves (RFC 6761), so no lookup leaves this machine with an answer.
    secret = CrmSecret({**sf.issue(), "instance_url": "https://pepptalk-no-such-org.invalid"})
    try:
        with pytest.raises(CrmError) as wrong:
            await source.check(secret)
    finally:
        await source.close()
    assert wrong.value.problem is CrmProblem.ADDRESS
    assert secret["access_token"] not in str(wrong.value)


async def test_a_server_down_is_down(sf: FakeSalesforce) -> None:
    waits: list[float] = []
    source = _source(sf, waits)
    sf.fail(10, status=503)
    try:
        with pytest.raises(CrmError) as down:
            await source.check(CrmSecret(sf.issue()))
    finally:
        await source.close()
    assert down.value.problem is CrmProblem.DOWN
    assert sf.requests == 4 and len(waits) == 3


async def test_the_daily_limit_stops_at_once(sf: FakeSalesforce, source: SalesforceSource) -> None:
    sf.use_up()
    with pytest.raises(CrmError) as limited:
        await source.page(
            CrmSecret(sf.issue()), kind=RecordKind.CALL, since=SINCE, until=UNTIL, cursor=None
        )
    assert limited.value.problem is CrmProblem.LIMIT
    assert sf.requests == 1 and source.usage.waits == 0


async def test_a_cursor_for_another_host_is_not_followed(
    sf: FakeSalesforce, source: SalesforceSource
) -> None:
    secret = CrmSecret(sf.issue())
    cursor = "//elsewhere.example/services/data/v61.0/query/01g1-7"
    read = await _read_all(source, secret, RecordKind.DEAL_WON, cursor)
    assert {r.record_id for r in read} == set(_expected(sf, RecordKind.DEAL_WON))
    assert all(path.startswith("/services/data/") for _, path, _ in sf.history)


async def test_goals_are_none(sf: FakeSalesforce, source: SalesforceSource) -> None:
    assert await source.goals(CrmSecret(sf.issue()), day=date(2026, 11, 3)) == []
    assert sf.requests == 0
