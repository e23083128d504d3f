"""Numbers straight from the CRM, the way a leader uses it: connect Pipedrive through the form,
the first 8 weeks read, nightly syncs that replace and never double, a seller matched by hand,
goals set in Pepptalk, a revoked token told once, a 429 storm waited out, and a draft agenda
that asks why about the CRM's numbers. Real source, real HTTP, the fake Pipedrive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from prometheus_client import generate_latest
from sqlalchemy import func, select

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.crm.access import CipherSealer
from pepptalk.bot.crm.pipedrive import PipedriveSource
from pepptalk.bot.observability import Observability
from pepptalk.core.crm import CrmAccess, CrmKind, CrmPage, RecordKind
from pepptalk.core.i18n import copy_for
from pepptalk.core.privacy import Policy
from pepptalk.handlers.crm import CONNECT_FORM
from pepptalk.store.database import Database
from pepptalk.store.models import Member, Metric
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.fakes.crm_book import CrmBook
from tests.fakes.pipedrive_api import FakePipedrive
from tests.fakes.serving import served
from tests.handlers.helpers import Team, words

TOKEN = "0123456789abcdef0123456789abcdef01234567"
NAMES = {"UANNA": "Anna Berg", "UBJORN": "Bjørn Dahl", "UFRED": "Fredrik Lie"}
# A Monday, 10:00 in Oslo.
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = MONDAY.date()
LAST_WEEK = TODAY - timedelta(days=7)


def book() -> CrmBook:
    """Eight weeks of a Pipedrive company: Anna and Bjørn call less last week than before,
    Fredrik is in it as "Fred Lie" with another e-mail, Anna wins a deal every Wednesday."""
    crm = CrmBook(name="Acme Sales AS")
    crm.owner("11", "Anna Berg", "anna@acme.example")
    crm.owner("12", "Bjorn Dahl", "bjorn@acme.example")
    crm.owner("13", "Fred Lie", "fred@acme.example")
    for offset in range(1, 8 * 7 + 1):
        day = TODAY - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        at = datetime.combine(day, time(9, 30), tzinfo=UTC)
        recent = day >= LAST_WEEK
        for owner, calls in (("11", 12), ("12", 10), ("13", 8)):
            for n in range(3 if recent else calls):
                crm.add(RecordKind.CALL, owner, at + timedelta(minutes=10 * n))
            crm.add(RecordKind.MEETING, owner, at + timedelta(hours=4))
        if day.weekday() == 2:
            crm.add(RecordKind.DEAL_WON, "11", at + timedelta(hours=5), 20_000.0)
    return crm


@dataclass
class Crm:
    team: Team
    fake: FakePipedrive
    book: CrmBook


async def quick(seconds: float) -> None:
    """The pauses of retries, kept short in tests; waits the CRM asks for stay real."""


@pytest.fixture
async def crm(database: Database, chat: FakeChat, clock: FakeClock) -> AsyncIterator[Crm]:
    fake = FakePipedrive()
    data = book()
    fake.company("acme", TOKEN, data)
    async with served(fake.app()) as url:
        source = PipedriveSource(base_url=f"{url}/{{domain}}")
        sealer = CipherSealer(TokenCipher([Fernet.generate_key().decode()]))
        access = CrmAccess(sources={CrmKind.PIPEDRIVE: source}, sealer=sealer)
        clock.set(MONDAY)
        team = Team(database, chat, clock, Policy(crm=access))
        await team.create({u: "Europe/Oslo" for u in NAMES}, names=NAMES)
        yield Crm(team, fake, data)
        await source.close()


async def connect(team: Team) -> str:
    reply = await team.submit(
        "ULEAD",
        CONNECT_FORM,
        "pipedrive",
        {"domain": "https://acme.pipedrive.com/", "token": TOKEN},
    )
    return words(reply)


async def figures(database: Database, metric: str, day: date) -> dict[str, float]:
    """Each seller's figure for one metric and day, by name."""
    async with database.uow() as uow:
        names = {m.id: m.display_name for m in await uow.teams.sellers(1)}
        rows = await uow.session.scalars(
            select(Metric).where(Metric.metric == metric, Metric.day == day)
        )
        return {names[r.member_id]: r.value for r in rows if r.member_id in names}


async def count(database: Database) -> int:
    async with database.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Metric)) or 0)


async def test_a_leader_connects_through_the_form_and_the_first_8_weeks_come_in(crm: Crm) -> None:
    team = crm.team
    opened = await team.reply("ULEAD", "team connect pipedrive")
    assert opened.form is not None and opened.private
    assert "acme.pipedrive.com" in opened.form.intro
    assert [i.name for i in opened.form.inputs] == ["domain", "token"]

    wrong = await team.submit(
        "ULEAD", CONNECT_FORM, "pipedrive", {"domain": "not a domain!", "token": TOKEN}
    )
    assert wrong.form_errors == {"domain": copy_for("en")("crm.bad_domain")}
    refused = await team.submit(
        "ULEAD", CONNECT_FORM, "pipedrive", {"domain": "acme", "token": "nope"}
    )
    assert refused.form_errors is not None and "did not accept" in refused.form_errors["token"]

    said = await connect(team)
    assert "Connected to Pipedrive (Acme Sales AS)" in said
    assert "Found 2 of 3 sellers in Pipedrive" in said
    assert "Not found in Pipedrive: Fredrik Lie" in said
    assert "team match @anna" in said
    assert "Not read yet" in await team.say("ULEAD", "team connection")

    await team.run("crm")
    wednesday = LAST_WEEK + timedelta(days=2)
    assert await figures(team.database, "calls", wednesday) == {"Anna Berg": 3, "Bjørn Dahl": 3}
    assert await figures(team.database, "sales", wednesday) == {
        "Anna Berg": 20_000,
        "Bjørn Dahl": 0,
    }
    eight_weeks_ago = TODAY - timedelta(weeks=8) + timedelta(days=2)
    assert (await figures(team.database, "calls", eight_weeks_ago))["Anna Berg"] == 12
    shown = await team.say("ULEAD", "team connection")
    assert "Pipedrive (Acme Sales AS), connected" in shown and "by Kari Nordmann" in shown
    assert "Last read" in shown and "Fredrik Lie" in shown


async def test_a_seller_matched_by_hand_comes_in_and_a_resync_replaces_never_doubles(
    crm: Crm,
) -> None:
    team = crm.team
    await connect(team)
    await team.run("crm")
    before = await count(team.database)
    said = await team.say("ULEAD", "team match <@UFRED> fred@acme.example")
    assert "Fredrik Lie is matched in the CRM as fred@acme.example" in said

    # A call logged late for Friday, then the nightly sync the next night.
    friday = TODAY - timedelta(days=3)
    crm.book.add(RecordKind.CALL, "11", datetime.combine(friday, time(15), tzinfo=UTC))
    await team.run("crm", at=MONDAY + timedelta(days=1) - timedelta(hours=6))
    calls = await figures(team.database, "calls", friday)
    assert calls == {"Anna Berg": 4, "Bjørn Dahl": 3, "Fredrik Lie": 3}
    # A match reads the 8 weeks again: Fredrik's history comes in, every row once.
    days = 8 * 7 + 1
    assert before == 2 * 4 * days
    assert await count(team.database) == 3 * 4 * days + 2 * 4
    assert "Fredrik Lie" not in await team.say("ULEAD", "team connection")


async def test_goals_set_in_pepptalk_are_spread_over_each_sellers_workdays(crm: Crm) -> None:
    team = crm.team
    assert "Try:" in await team.say("ULEAD", "team set goal calls sixty")
    said = await team.say("ULEAD", "team set goal calls 60/day")
    assert "Goal for Oslo: Calls, 60 a day." in said
    said = await team.say("ULEAD", "team set goal meetings 10/week <@UANNA>")
    assert "Goal for Anna Berg: Meetings booked, 10 a week." in said
    await connect(team)
    await team.run("crm")
    async with team.database.uow() as uow:
        rows = list(await uow.session.scalars(select(Metric).where(Metric.day >= LAST_WEEK)))
    anna = {m.id for m in await team_sellers(team) if m.display_name == "Anna Berg"}
    meetings = [r.goal for r in rows if r.metric == "meetings" and r.member_id in anna]
    assert sum(g or 0 for g in meetings[:7]) == pytest.approx(10)
    assert {r.goal for r in rows if r.metric == "calls" and r.day.weekday() < 5} == {60}


async def team_sellers(team: Team) -> list[Member]:
    async with team.database.uow() as uow:
        return list(await uow.teams.sellers(1))


async def test_a_revoked_token_mid_sync_is_told_to_the_leader_once(crm: Crm) -> None:
    team = crm.team
    await connect(team)
    crm.fake.revoke(TOKEN)
    await team.run("crm")
    [told] = team.chat.to("ULEAD")
    assert "Pipedrive no longer accepts Pepptalk's key" in told.text()
    assert "team connect pipedrive" in told.text()
    # The next night: tried again, not told again.
    await team.run("crm", at=MONDAY + timedelta(days=1) - timedelta(hours=6))
    assert len(team.chat.to("ULEAD")) == 1
    assert "no longer accepts" in await team.say("ULEAD", "team connection")
    assert await count(team.database) == 0
    scraped = generate_latest(Observability(team.services).registry).decode()
    assert 'pepptalk_crm_syncs_total{crm="pipedrive",outcome="revoked"} 2.0' in scraped


async def test_a_storm_of_429s_is_waited_out_and_nothing_is_lost(crm: Crm) -> None:
    team = crm.team
    await connect(team)
    crm.fake.storm(4, retry_after=1)
    await team.run("crm")
    assert crm.fake.limited >= 4
    assert (await figures(team.database, "calls", LAST_WEEK))["Bjørn Dahl"] == 3
    assert team.chat.to("ULEAD") == []


async def test_the_draft_agenda_asks_why_about_the_crms_numbers(crm: Crm) -> None:
    team = crm.team
    await team.say("ULEAD", "team set meeting thu 09:00")
    await connect(team)
    await team.run("crm")
    await team.run("agendas", at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    draft = team.chat.to("ULEAD")[-1].text()
    asked = copy_for("en").choices("questions.calls_down")
    assert any(question in draft for question in asked), draft
    assert "Anna" not in draft.split("One-to-one")[0]


async def test_what_cannot_be_done_is_said_plainly(crm: Crm, database: Database) -> None:
    team = crm.team
    assert "Only" in await team.say("UANNA", "team connect pipedrive") or "leader" in (
        await team.say("UANNA", "team connect pipedrive")
    )
    assert "Which CRM?" in await team.say("ULEAD", "team connect excel")
    assert "needs a connected app" in await team.say("ULEAD", "team connect salesforce")
    assert "not connected to HubSpot" in await team.say("ULEAD", "team disconnect hubspot")
    keyless = Team(database, team.chat, team.clock)
    assert "PEPPTALK_ENCRYPTION_KEY" in await keyless.say("ULEAD", "team connect pipedrive")
    await connect(team)
    assert "forgotten" in await team.say("ULEAD", "team disconnect pipedrive")
    assert "No CRM is connected" in await team.say("ULEAD", "team connection")


async def test_a_backfill_cut_short_by_the_daily_limit_goes_on_where_it_stopped(crm: Crm) -> None:
    team = crm.team
    await connect(team)
    crm.fake.daily_limit("acme", 12)
    await team.run("crm")
    async with team.database.uow() as uow:
        connection = await uow.crm.of_team(1)
        assert connection is not None and connection.progress is not None
        stopped_at = connection.synced_through
    assert stopped_at is not None and stopped_at < TODAY
    shown = await team.say("ULEAD", "team connection")
    assert "Reading is under way" in shown
    # A limit is not news the leader needs on the first night.
    assert team.chat.to("ULEAD") == []

    crm.fake.daily_limit("acme", 10_000)
    asked = len(crm.fake.asked)
    await team.run("crm", at=MONDAY + timedelta(minutes=30))
    assert len(crm.fake.asked) == asked, "tried again before the hour was out"
    await team.run("crm", at=MONDAY + timedelta(hours=1, minutes=1))
    # Only what was left is read: no week before the stop is asked for again.
    again = [a for a in crm.fake.asked[asked:] if "activities" in a.path]
    assert all(a.params.get("start_date", "") >= stopped_at.isoformat() for a in again), again
    assert await count(team.database) == 2 * 4 * (8 * 7 + 1)
    assert (await figures(team.database, "calls", LAST_WEEK))["Anna Berg"] == 3
    assert "Last read" in await team.say("ULEAD", "team connection")


async def test_a_token_revoked_mid_sync_keeps_what_was_read_and_says_so(crm: Crm) -> None:
    team = crm.team
    await connect(team)
    source = team.services.policy.crm.sources[CrmKind.PIPEDRIVE]
    read = source.page
    pages = 0

    async def revoked_after_a_while(*args: Any, **kwargs: Any) -> CrmPage:
        # The leader deletes the token in Pipedrive while the backfill is under way.
        nonlocal pages
        pages += 1
        if pages == 8:
            crm.fake.revoke(TOKEN)
        return await read(*args, **kwargs)

    source.page = revoked_after_a_while  # type: ignore[method-assign]
    await team.run("crm")
    [told] = team.chat.to("ULEAD")
    assert "no longer accepts Pepptalk's key" in told.text()
    # The weeks read before stay, whole; the week under way was not written half.
    async with team.database.uow() as uow:
        connection = await uow.crm.of_team(1)
        assert connection is not None and connection.synced_through is not None
        through = connection.synced_through
    stored = await count(team.database)
    first = TODAY - timedelta(weeks=8)
    assert stored == 2 * 4 * ((through - first).days + 1) > 0
    assert TOKEN not in told.text()
