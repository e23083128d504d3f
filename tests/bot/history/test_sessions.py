"""Sessions of the history pages: the cookie's attributes, the lifetimes on a moved clock, forged
cookies, CSRF tokens and signing out, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from pepptalk.bot.history.sessions import COOKIE, IDLE, LIFETIME, Sessions, Visitor, token_hash
from pepptalk.core.kinds import Platform
from pepptalk.store.database import Database
from tests.fakes.clock import FakeClock


def request(host: str = "127.0.0.1:3000", cookie: str | None = None) -> web.Request:
    headers = {"Host": host}
    if cookie is not None:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    return make_mocked_request("GET", "/history", headers=headers)


@pytest.fixture
def sessions(database: Database, clock: FakeClock) -> Sessions:
    return Sessions(database, clock)


async def start(
    sessions: Sessions,
    *,
    host: str = "127.0.0.1:3000",
    cookie: str | None = None,
    user_id: str = "U0ANNA",
    workspace_ids: frozenset[str] = frozenset({"T0PEPP"}),
) -> tuple[str, SimpleCookie]:
    """Start a session as the browser with `cookie`; its new cookie's value, and the cookies."""
    response = web.Response(status=303)
    await sessions.start(
        response,
        request(host, cookie),
        platform=Platform.SLACK,
        workspace_ids=workspace_ids,
        user_id=user_id,
        name="Anna Seller",
    )
    return response.cookies[COOKIE].value, response.cookies


async def visitor(sessions: Sessions, cookie: str | None) -> Visitor | None:
    return await sessions.visitor(request(cookie=cookie))


async def stored(database: Database) -> int:
    async with database.uow() as uow:
        return await uow.web_sessions.count()


async def test_the_cookie_is_http_only_lax_for_history_and_secure_off_this_machine(
    sessions: Sessions,
) -> None:
    _, cookies = await start(sessions)
    morsel = cookies[COOKIE]
    assert morsel["httponly"] is True and morsel["samesite"] == "Lax"
    assert morsel["path"] == "/history" and morsel["max-age"] == str(12 * 3600)
    assert not morsel["secure"], "a server on this machine has no https"
    for host in ("localhost:3000", "[::1]:3000"):
        _, cookies = await start(sessions, host=host)
        assert not cookies[COOKIE]["secure"]
    _, cookies = await start(sessions, host="pepptalk.example.com")
    assert cookies[COOKIE]["secure"] is True


async def test_a_session_is_the_person_who_signed_in(
    sessions: Sessions, database: Database
) -> None:
    cookie, _ = await start(sessions, workspace_ids=frozenset({"T0NORTH", "T0SOUTH"}))
    found = await visitor(sessions, cookie)
    assert found is not None
    assert found.platform is Platform.SLACK and found.user_id == "U0ANNA"
    assert found.workspace_ids == frozenset({"T0NORTH", "T0SOUTH"})
    assert found.name == "Anna Seller" and len(found.csrf_token) == 43
    # Only the cookie's hash is kept.
    assert found.session_key == token_hash(cookie) != cookie
    async with database.uow() as uow:
        assert await uow.web_sessions.find(cookie) is None


async def test_no_forged_or_unknown_cookie_is_a_visitor(sessions: Sessions) -> None:
    cookie, _ = await start(sessions)
    assert await visitor(sessions, None) is None
    for forged in ("", "x", cookie[:-1] + ("A" if cookie[-1] != "A" else "B"), cookie + "A"):
        assert await visitor(sessions, forged) is None, forged
    assert await visitor(sessions, "é" * 43) is None
    assert await visitor(sessions, token_hash(cookie)) is None


async def test_an_idle_session_ends_after_two_hours(
    sessions: Sessions, clock: FakeClock, database: Database
) -> None:
    cookie, _ = await start(sessions)
    clock.advance(hours=1, minutes=59)
    assert await visitor(sessions, cookie) is not None
    # Used just now: another 1 h 59 min is still within two hours of that.
    clock.advance(hours=1, minutes=59)
    assert await visitor(sessions, cookie) is not None
    clock.advance(seconds=IDLE.total_seconds())
    assert await visitor(sessions, cookie) is None
    assert await stored(database) == 0, "an ended session is dropped"


async def test_a_session_in_use_ends_twelve_hours_after_sign_in(
    sessions: Sessions, clock: FakeClock
) -> None:
    cookie, _ = await start(sessions)
    for _ in range(11):
        clock.advance(hours=1)
        assert await visitor(sessions, cookie) is not None
    clock.advance(minutes=59, seconds=59)
    assert await visitor(sessions, cookie) is not None
    clock.advance(seconds=1)
    assert clock() == clock.now and await visitor(sessions, cookie) is None


async def test_last_use_is_written_at_most_once_a_minute(
    sessions: Sessions, clock: FakeClock, database: Database
) -> None:
    cookie, _ = await start(sessions)
    started = clock()

    async def last_seen() -> object:
        async with database.uow() as uow:
            row = await uow.web_sessions.find(token_hash(cookie))
            assert row is not None
            return row.last_seen_at

    clock.advance(seconds=59)
    await visitor(sessions, cookie)
    assert await last_seen() == started
    clock.advance(seconds=1)
    await visitor(sessions, cookie)
    assert await last_seen() == started + timedelta(minutes=1)


async def test_starting_drops_expired_sessions_and_the_browsers_earlier_one(
    sessions: Sessions, clock: FakeClock, database: Database
) -> None:
    old, _ = await start(sessions, user_id="U0OLD")
    clock.advance(seconds=LIFETIME.total_seconds())
    idle, _ = await start(sessions, user_id="U0IDLE")
    clock.advance(seconds=IDLE.total_seconds())
    earlier, _ = await start(sessions, user_id="U0EARLY")
    assert await stored(database) == 1  # the one past its lifetime and the idle one went
    newer, _ = await start(sessions, cookie=earlier)
    assert await stored(database) == 1
    assert await visitor(sessions, earlier) is None
    assert await visitor(sessions, newer) is not None
    assert await visitor(sessions, old) is None and await visitor(sessions, idle) is None


async def test_csrf_tokens_are_per_session(sessions: Sessions) -> None:
    first, _ = await start(sessions)
    second, _ = await start(sessions)
    one, two = await visitor(sessions, first), await visitor(sessions, second)
    assert one is not None and two is not None
    assert sessions.csrf_ok(one, one.csrf_token)
    assert not sessions.csrf_ok(one, two.csrf_token)
    for wrong in (None, "", one.csrf_token[:-1], one.csrf_token + "x", "ø" * 43):
        assert not sessions.csrf_ok(one, wrong)


async def test_ending_a_session_drops_it_and_clears_the_cookie(
    sessions: Sessions, database: Database
) -> None:
    cookie, _ = await start(sessions)
    kept, _ = await start(sessions, user_id="U0BENT")
    response = web.Response(status=303)
    await sessions.end(request(cookie=cookie), response)
    morsel = response.cookies[COOKIE]
    assert morsel.value == "" and morsel["max-age"] == "0" and morsel["path"] == "/history"
    assert await visitor(sessions, cookie) is None
    assert await visitor(sessions, kept) is not None, "another browser's session stays"
    assert await stored(database) == 1


async def test_a_persons_sessions_can_all_end_at_once(
    sessions: Sessions, database: Database
) -> None:
    first, _ = await start(sessions)
    second, _ = await start(sessions)
    other, _ = await start(sessions, user_id="U0BENT")
    async with database.uow() as uow:
        assert await uow.web_sessions.remove_for(Platform.SLACK, "U0ANNA") == 2
    assert await visitor(sessions, first) is None and await visitor(sessions, second) is None
    assert await visitor(sessions, other) is not None


async def test_a_session_needs_a_workspace_and_a_person(sessions: Sessions) -> None:
    with pytest.raises(ValueError, match="workspace"):
        await start(sessions, workspace_ids=frozenset())
    with pytest.raises(ValueError, match="user"):
        await start(sessions, user_id="")
