"""Every history page tried by everyone who might ask, signed in through the fake Slack the way
a browser is: the leader sees the team, a seller only their own page, a seller of another team,
an outsider and a leader removed a minute ago see nothing of it, a forged or expired session
gets 401. What each one reads is checked, not only the status."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from pepptalk.core.kinds import (
    DeliveryKind,
    DeliveryStatus,
    FeedbackKind,
    Mood,
    Platform,
    Role,
)
from pepptalk.core.ports import Actor, Press
from pepptalk.handlers.privacy import FORGET
from pepptalk.store.database import Database
from pepptalk.store.models import Checkin, Delivery, Feedback, Member, Team
from tests.bot.history.site import Browser, Site
from tests.fakes.clock import FakeClock
from tests.fakes.slack_oauth import WORKSPACE
from tests.fakes.slack_openid import FakeSlackOpenId, SlackPerson

# Friday 20 November 2026, 15:00 in Oslo; the team began four weeks before.
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
BEGAN = datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
PRIVATE_NOTE = "Doctor at ten, phone off until eleven"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def teams(database: Database) -> tuple[int, int]:
    """Oslo (Lea leads Anna and Bo, four weeks of mornings) and Bergen (Cato sells there)."""
    async with database.uow() as uow:
        oslo = _team("Oslo")
        bergen = _team("Bergen")
        uow.session.add_all([oslo, bergen])
        await uow.session.flush()
        lea = _member(oslo, "U0LEAD", "Lea Leder", Role.LEADER)
        anna = _member(oslo, "U0ANNA", "Anna Seller", Role.SELLER)
        bo = _member(oslo, "U0BO", "Bo Berg", Role.SELLER)
        cato = _member(bergen, "U0CATO", "Cato Bergen", Role.SELLER)
        uow.session.add_all([lea, anna, bo, cato])
        await uow.session.flush()
        day = BEGAN.date()
        while day <= NOW.date():
            if day.weekday() < 5:
                for seller, mood in ((anna, Mood.GOOD), (bo, Mood.LOW)):
                    note = PRIVATE_NOTE if seller is anna and day == date(2026, 11, 18) else None
                    uow.session.add_all(_morning(seller, day, mood, note))
            day += timedelta(days=1)
        uow.session.add(
            Feedback(
                workspace_id=WORKSPACE,
                team_id=oslo.id,
                member_id=anna.id,
                given_by=lea.id,
                kind=FeedbackKind.PRAISE,
                note="Great discovery call",
                given_on=date(2026, 11, 12),
                created_at=NOW - timedelta(days=8),
            )
        )
        return oslo.id, bergen.id


def _team(name: str) -> Team:
    return Team(workspace_id=WORKSPACE, platform=Platform.SLACK, name=name, created_at=BEGAN)


def _member(team: Team, user_id: str, name: str, role: Role) -> Member:
    return Member(
        workspace_id=WORKSPACE,
        team_id=team.id,
        user_id=user_id,
        role=role,
        display_name=name,
        joined_at=BEGAN,
    )


def _morning(seller: Member, day: date, mood: Mood, note: str | None) -> list[object]:
    at = datetime(day.year, day.month, day.day, 7, 30, tzinfo=UTC)
    return [
        Delivery(
            workspace_id=WORKSPACE,
            team_id=seller.team_id,
            member_id=seller.id,
            kind=DeliveryKind.CHECKIN.value,
            local_date=day,
            status=DeliveryStatus.SENT,
            attempts=1,
            due_at=at,
            sent_at=at,
        ),
        Checkin(
            workspace_id=WORKSPACE,
            team_id=seller.team_id,
            member_id=seller.id,
            local_date=day,
            mood=mood,
            note=note,
            note_private=note is not None,
            answered_at=at,
            updated_at=at,
        ),
    ]


def pages(oslo: int) -> list[str]:
    return [
        "/history",
        f"/history/team/{oslo}",
        f"/history/team/{oslo}/weeks.csv",
        f"/history/own/{oslo}",
        f"/history/own/{oslo}/export.json",
    ]


async def signed_in(site: Site, slack: FakeSlackOpenId, user: str) -> Browser:
    slack.person = SlackPerson(user=user, team=WORKSPACE, name=user)
    browser = Browser(site)
    landing = await browser.follow("/history/signin/slack")
    assert landing.path == "/history" and landing.problem is None
    return browser


async def read(browser: Browser, path: str) -> tuple[int, str, dict[str, str]]:
    async with browser.http.get(f"{browser.site.url}{path}", allow_redirects=False) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_the_leader_sees_the_team_and_what_it_says(
    site: Site, slack: FakeSlackOpenId
) -> None:
    oslo, _ = await teams(site.database)
    browser = await signed_in(site, slack, "U0LEAD")
    try:
        status, body, headers = await read(browser, f"/history/team/{oslo}")
        assert status == 200
        assert headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "Anna Seller" in body and "Bo Berg" in body
        assert "40 of 40 check-ins answered (100%)" in body
        # Bo's four low weeks: a run of low mornings named, never a private note shown.
        assert "Bo Berg started low three mornings in a row." in body
        assert PRIVATE_NOTE not in body
        status, text, headers = await read(browser, f"/history/team/{oslo}/weeks.csv")
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 2 * 4
        anna = [r for r in rows if r["seller"] == "Anna Seller"]
        assert {r["average_mood"] for r in anna} == {"4.00"}
        assert sum(int(r["talks"]) for r in anna) == 1
    finally:
        await browser.close()


async def test_a_seller_sees_only_their_own_page(site: Site, slack: FakeSlackOpenId) -> None:
    oslo, _ = await teams(site.database)
    browser = await signed_in(site, slack, "U0ANNA")
    try:
        status, body, _ = await read(browser, f"/history/team/{oslo}")
        assert status == 403 and "Bo Berg" not in body
        status, body, _ = await read(browser, f"/history/team/{oslo}/weeks.csv")
        assert status == 403 and "Bo Berg" not in body
        status, body, _ = await read(browser, f"/history/own/{oslo}")
        assert status == 200
        assert PRIVATE_NOTE in body and "private" in body
        assert "Great discovery call" in body and "Bo Berg" not in body
        status, text, _ = await read(browser, f"/history/own/{oslo}/export.json")
        document = json.loads(text)
        assert status == 200 and document["person"]["user_id"] == "U0ANNA"
        assert len(document["checkins"]) == 20
    finally:
        await browser.close()


@pytest.mark.parametrize("user", ["U0CATO", "U0NOBODY"], ids=["other team", "outsider"])
async def test_people_outside_the_team_see_nothing_of_it(
    site: Site, slack: FakeSlackOpenId, user: str
) -> None:
    oslo, _ = await teams(site.database)
    browser = await signed_in(site, slack, user)
    try:
        for path in pages(oslo)[1:]:
            status, body, _ = await read(browser, path)
            assert status == 403, path
            assert "Anna Seller" not in body and "Bo Berg" not in body, path
        status, body, _ = await read(browser, "/history")
        assert status == 200 and "Oslo" not in body
    finally:
        await browser.close()


async def test_a_leader_removed_at_ten_sees_nothing_at_ten_past_one(
    site: Site, slack: FakeSlackOpenId
) -> None:
    oslo, _ = await teams(site.database)
    browser = await signed_in(site, slack, "U0LEAD")
    try:
        assert (await read(browser, f"/history/team/{oslo}"))[0] == 200
        async with site.database.uow() as uow:
            seat = await uow.teams.membership(WORKSPACE, "U0LEAD")
            assert seat is not None
            seat.member.removed_at = NOW
        site.clock.set(NOW + timedelta(minutes=1))
        for path in pages(oslo)[1:]:
            status, body, _ = await read(browser, path)
            assert status == 403 and "Bo Berg" not in body, path
    finally:
        await browser.close()


async def test_no_session_a_forged_one_or_an_expired_one_gets_401(
    site: Site, slack: FakeSlackOpenId
) -> None:
    oslo, _ = await teams(site.database)
    nobody = Browser(site)
    forged = Browser(site)
    forged.keep_cookie("A" * 43)
    expired = await signed_in(site, slack, "U0LEAD")
    site.clock.set(NOW + timedelta(hours=13))
    try:
        for browser in (nobody, forged, expired):
            for path in pages(oslo):
                status, body, _ = await read(browser, path)
                assert status == 401, path
                assert "Sign in with Slack" in body and "Bo Berg" not in body, path
    finally:
        for browser in (nobody, forged, expired):
            await browser.close()


async def test_forget_me_ends_the_sessions_too(site: Site, slack: FakeSlackOpenId) -> None:
    oslo, _ = await teams(site.database)
    browser = await signed_in(site, slack, "U0ANNA")
    try:
        assert (await read(browser, f"/history/own/{oslo}"))[0] == 200
        anna = Actor(WORKSPACE, "U0ANNA", Platform.SLACK)
        habits = site.pepptalk.services.habits
        await habits.command(anna, "forget-me")
        await habits.press(anna, Press(FORGET, "forget", "U0ANNA"))
        status, body, _ = await read(browser, f"/history/own/{oslo}")
        assert status == 401 and PRIVATE_NOTE not in body
    finally:
        await browser.close()


async def test_the_sign_in_page_says_what_went_wrong(site: Site) -> None:
    browser = Browser(site)
    try:
        status, body, headers = await read(browser, "/history/signin?problem=expired")
        assert status == 200 and "already used. Please start again." in body
        status, body, headers = await read(browser, "/history/signin?from=teams")
        assert "https://teams.microsoft.com" in headers["Content-Security-Policy"]
    finally:
        await browser.close()
