"""The demo team's CRM in the playground: connected from the start, a seller matched by hand,
another CRM connected through its form, and a token refused, all read the way a leader reads it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.playground.demo_crm import DEMO_KEY, DemoCrm, demo_access, owner_id
from pepptalk.bot.playground.seed import WORKSPACE, demo_team
from pepptalk.bot.playground.seed_meeting import day_figures
from pepptalk.core.crm import CrmKind, CrmRecord, CrmSecret, RecordKind
from pepptalk.store.models import Member, Metric
from tests.bot.playground.harness import PlaygroundSite, running_playground, visible_text

SEEDED_ON = date(2026, 11, 22)
MONDAY = date(2026, 11, 23)
FRED = "fred.lie@oslo-sales.example"
Figures = dict[tuple[str, date, str], tuple[float, float | None, datetime]]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[PlaygroundSite]:
    async with running_playground(tmp_path) as running:
        yield running


def latest(page: str) -> str:
    """The newest message on the page, as read."""
    found = re.findall(r'<li class="msg[^"]*".*?</li>', page, flags=re.S)
    assert found, "the page has messages"
    return visible_text(found[-1])


async def figures(site: PlaygroundSite) -> Figures:
    """Every stored figure: (seller, day, metric) -> (value, goal, when stored)."""
    async with site.pepptalk.database.uow() as uow:
        rows = await uow.session.execute(
            select(
                Member.user_id,
                Metric.day,
                Metric.metric,
                Metric.value,
                Metric.goal,
                Metric.updated_at,
            )
            .join(Member, Member.id == Metric.member_id)
            .where(Metric.workspace_id == WORKSPACE)
        )
        return {(u, d, m): (v, g, at) for u, d, m, v, g, at in rows}


def source(site: PlaygroundSite, kind: CrmKind) -> DemoCrm:
    found = site.playground.services.policy.crm.sources[kind]
    assert isinstance(found, DemoCrm)
    return found


async def test_the_demo_team_is_connected_to_hubspot_with_one_seller_unmatched(
    site: PlaygroundSite,
) -> None:
    text = latest(await site.command("UINGRID", "team connection"))
    connected = "connected Sunday, 22 November 2026 by Ingrid Solberg."
    assert f"HubSpot (Oslo Inside Sales, demo CRM), {connected}" in text
    assert "Last read Sunday, 22 November 2026 at 20:00: 720 figures." in text
    assert "Not found in HubSpot: Fredrik Strand." in text
    # Salesforce needs the operator's own connected app, even in the playground.
    text = latest(await site.command("UINGRID", "team connect salesforce"))
    assert "Salesforce needs a connected app first" in text


async def test_a_seller_matched_by_hand_is_read_in_the_next_morning_with_the_same_numbers(
    site: PlaygroundSite,
) -> None:
    seeded = await figures(site)
    text = latest(await site.command("UINGRID", f"team match @fredrik {FRED}"))
    assert f"Fredrik Strand is matched in the CRM as {FRED} from the next sync." in text

    await site.clock("UINGRID", "morning")
    text = latest(await site.command("UINGRID", "team connection"))
    assert "Last read Monday, 23 November 2026 at 08:00:" in text
    assert "Not found" not in text and "Fredrik Strand" not in text

    read = await figures(site)
    # The sync read all eight weeks again (a match does): every seeded figure is written anew,
    # Fredrik's too, and none of them changed.
    assert all(read[key][2] > stored for key, (_, _, stored) in seeded.items())
    assert {key: row[:2] for key, row in read.items() if key in seeded} == {
        key: row[:2] for key, row in seeded.items()
    }
    assert read["UFREDRIK", date(2026, 11, 20), "deals"][0] == 1.0
    # Monday has only begun: no call is made before 08:30.
    assert read["UANNA", MONDAY, "calls"][0] == 0.0


async def test_another_crm_connected_through_its_form_brings_its_figures_at_once(
    site: PlaygroundSite,
) -> None:
    text = latest(await site.command("UINGRID", "team disconnect hubspot"))
    assert "HubSpot is disconnected and its key forgotten." in text
    await site.clock("UINGRID", "at", "12:00")
    async with site.pepptalk.database.uow() as uow:
        team = await demo_team(uow)
    assert team is not None
    before = await figures(site)
    assert ("UANNA", MONDAY, "calls") not in before, "no CRM read Monday while disconnected"

    page = visible_text(await site.command("UINGRID", "team connect pipedrive"))
    assert "Connect Pipedrive" in page and "Company domain" in page and "Access token" in page
    status, page = await site.submit("UINGRID", domain="acme.pipedrive.com", token="pd-123")
    assert status == 200
    text = latest(page)
    assert "Connected to Pipedrive (Oslo Inside Sales, demo CRM)." in text
    assert "Found 5 of 6 sellers in Pipedrive." in text
    assert "Not found in Pipedrive: Fredrik Strand." in text

    read = await figures(site)
    calls, meetings, sales = day_figures(team, "UANNA", MONDAY, SEEDED_ON)
    # Calls run from 08:30 through the working day: by noon, the first 3.5 of its 8 hours.
    assert read["UANNA", MONDAY, "calls"][:2] == (
        sum(i * 8 < 3.5 * calls for i in range(calls)),
        50.0,
    )
    assert read["UANNA", MONDAY, "sales"][0] == 0.0, "the day's deal comes in the afternoon"
    assert ("UFREDRIK", MONDAY, "calls") not in read
    text = latest(await site.command("UINGRID", "team connection"))
    assert "Pipedrive (Oslo Inside Sales, demo CRM), connected Monday, 23 November 2026" in text
    assert re.search(r"Last read Monday, 23 November 2026 at 12:00: [\d,]+ figures\.", text)


async def test_the_token_revoked_is_refused_at_the_form(site: PlaygroundSite) -> None:
    await site.command("UINGRID", "team connect hubspot")
    status, page = await site.submit("UINGRID", token="revoked")
    assert status == 200 and '<dialog open class="dialog" id="form-dialog"' in page
    assert "HubSpot did not accept this token. Copy it again, all of it, and paste it here." in (
        visible_text(page)
    )
    status, page = await site.submit("UINGRID", token="")
    assert "Paste the token here." in visible_text(page)
    await site.submit("UINGRID", submit="cancel")
    text = latest(await site.command("UINGRID", "team connection"))
    assert "HubSpot (Oslo Inside Sales, demo CRM), connected Sunday" in text, "still as it was"


async def test_the_demo_crm_hands_out_the_seeded_days_page_by_page(site: PlaygroundSite) -> None:
    crm = source(site, CrmKind.HUBSPOT)
    secret = CrmSecret({"token": "any"})
    async with site.pepptalk.database.uow() as uow:
        team = await demo_team(uow)
    assert team is not None
    friday = date(2026, 11, 20)
    since = datetime(2026, 11, 16, tzinfo=UTC)
    records: list[CrmRecord] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await crm.page(
            secret,
            kind=RecordKind.CALL,
            since=since,
            until=since + timedelta(days=7),
            cursor=cursor,
        )
        records += page.records
        pages += 1
        cursor = page.cursor
        if cursor is None:
            break
    assert pages > 1 and len({r.record_id for r in records}) == len(records)
    anna = [r for r in records if r.owner_id == owner_id("UANNA") and r.at.date() == friday]
    assert len(anna) == day_figures(team, "UANNA", friday, SEEDED_ON)[0] > 0
    owners = {o.name: o.email for o in await crm.owners(secret)}
    assert owners["Fred Lie"] == FRED and "Fredrik Strand" not in owners
    assert {(g.metric, g.value) for g in await crm.goals(secret, day=friday)} == {
        ("calls", 50),
        ("sales", 18_000),
    }


async def test_the_playground_seals_with_the_operators_key_and_still_opens_the_demo_keys(
    site: PlaygroundSite,
) -> None:
    database, clock = site.pepptalk.database, site.playground.clock
    before = demo_access(database, clock).sealer
    operator = Fernet.generate_key().decode()
    access = demo_access(database, clock, [operator])
    assert before is not None and access.sealer is not None
    sealed_before = before.seal("demo")
    assert TokenCipher([DEMO_KEY]).decrypt(sealed_before).plaintext == "demo"
    assert access.sealer.open(sealed_before) == "demo", "a demo sealed before the key was set"
    assert TokenCipher([operator]).decrypt(access.sealer.seal("new")).plaintext == "new"
    assert set(access.sources) == set(CrmKind) and access.salesforce_start_url is None
