"""Enterprise Grid installs on both databases: an organisation's org-wide install is one row
that serves each of its workspaces without an install of their own, and an organisation that
leaves ends the queued messages of those workspaces only."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.jobs import claim, drain
from pepptalk.bot.services import Services
from pepptalk.bot.slack.installs import PepptalkInstallationStore
from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.core.ports import Actor
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from pepptalk.store.installation_models import SlackInstallation
from pepptalk.store.models import Delivery
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock

MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
KEY = Fernet.generate_key().decode()
ORG, OTHER_ORG = "E0NORDIC", "E0ELSEWHERE"
# Oslo and Stockholm lean on the organisation's install; Bergen is in the organisation too but
# has an install of its own; Acme is a workspace on its own.
OSLO, STHLM, BERGEN, ACME = "T0OSLO", "T0STHLM", "T0BERGEN", "T0ACME"


def org_install(token: str, *, enterprise: str = ORG, name: str = "Nordic") -> Installation:
    """An org-wide install as Bolt's OAuth flow hands it over (Slack answered `team: null`)."""
    return Installation(
        enterprise_id=enterprise,
        enterprise_name=name,
        team_id=None,
        bot_token=token,
        bot_id="BORG",
        bot_user_id="UBOTORG",
        user_id="UADMIN",
        is_enterprise_install=True,
    )


def workspace_install(workspace: str, token: str, *, enterprise: str | None) -> Installation:
    """A workspace's own install (in an organisation when `enterprise` is given)."""
    return Installation(
        enterprise_id=enterprise,
        team_id=workspace,
        team_name=workspace,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        user_id="UINSTALLER",
    )


def store_on(database: Database, clock: FakeClock) -> PepptalkInstallationStore:
    return PepptalkInstallationStore(database=database, cipher=TokenCipher([KEY]), clock=clock)


async def token_for(
    store: PepptalkInstallationStore, *, enterprise: str | None, team: str | None
) -> str | None:
    found = await store.async_find_installation(
        enterprise_id=enterprise, team_id=team, is_enterprise_install=team is None
    )
    return found.bot_token if found is not None else None


async def test_an_org_wide_install_is_one_row_that_serves_each_workspace_of_its_organisation(
    database: Database, clock: FakeClock
) -> None:
    store = store_on(database, clock)
    await store.async_save(org_install("xoxb-org-first"))
    await store.async_save(org_install("xoxb-org-second", name="Nordic Sales Group"))
    await store.async_save(workspace_install(BERGEN, "xoxb-bergen", enterprise=ORG))
    await store.async_save(org_install("xoxb-elsewhere", enterprise=OTHER_ORG))
    async with database.uow() as uow:
        rows = list(await uow.session.scalars(select(SlackInstallation)))
    org_rows = [r for r in rows if r.enterprise_id == ORG and r.workspace_id is None]
    assert len(rows) == 3 and len(org_rows) == 1
    assert org_rows[0].enterprise_name == "Nordic Sales Group" and org_rows[0].org_wide
    assert "xoxb" not in org_rows[0].bot_token

    # The organisation's own requests, and each of its workspaces named with it.
    assert await token_for(store, enterprise=ORG, team=None) == "xoxb-org-second"
    assert await token_for(store, enterprise=ORG, team=OSLO) == "xoxb-org-second"
    # A workspace with an install of its own keeps using it.
    assert await token_for(store, enterprise=ORG, team=BERGEN) == "xoxb-bergen"
    # Named alone (as a queued message names it), a workspace is found once Slack has said
    # which organisation it belongs to; never through another organisation's install.
    assert await token_for(store, enterprise=None, team=STHLM) is None
    async with database.uow() as uow:
        await uow.installations.remember_org_workspaces(ORG, [OSLO, STHLM], now=clock())
    assert await token_for(store, enterprise=None, team=STHLM) == "xoxb-org-second"
    assert await token_for(store, enterprise=OTHER_ORG, team=ACME) == "xoxb-elsewhere"
    assert await token_for(store, enterprise=None, team=ACME) is None
    found = await store.async_find_installation(enterprise_id=None, team_id=OSLO)
    assert found is not None and found.is_enterprise_install and found.team_id is None
    assert found.enterprise_name == "Nordic Sales Group" and found.user_id == "UADMIN"


async def team_in(services: Services, chat: FakeChat, workspace: str, sellers: list[str]) -> None:
    """A team in `workspace`, set up the way its leader would."""

    def actor(user_id: str) -> Actor:
        return Actor(workspace_id=workspace, user_id=user_id, platform=Platform.SLACK)

    leader = f"ULEAD{workspace}"
    for user_id in (leader, *sellers):
        chat.add_user(user_id, f"Person {user_id}", "Europe/Oslo")
    await services.habits.command(actor(leader), "team create Sales")
    mentions = " ".join(f"<@{u}>" for u in sellers)
    await services.habits.command(actor(leader), f"team add {mentions}")


async def queued(database: Database) -> dict[str, set[tuple[str, str | None]]]:
    """(status, error) of each workspace's check-ins."""
    async with database.uow() as uow:
        rows = await uow.session.execute(
            select(Delivery.workspace_id, Delivery.status, Delivery.error).where(
                Delivery.kind == "checkin"
            )
        )
        found: dict[str, set[tuple[str, str | None]]] = {}
        for workspace, status, error in rows:
            found.setdefault(workspace, set()).add((status, error))
        return found


async def test_an_organisation_that_leaves_ends_the_queued_messages_of_its_workspaces_only(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    services = Services(database=database, chat=chat, registry=REGISTRY, clock=clock)
    for workspace in (OSLO, STHLM, BERGEN, ACME):
        await team_in(services, chat, workspace, [f"U{workspace}1"])
    assert (await drain(services)).sent == 4  # the welcomes
    store = store_on(database, clock)
    await store.async_save(org_install("xoxb-org"))
    await store.async_save(workspace_install(BERGEN, "xoxb-bergen", enterprise=ORG))
    await store.async_save(workspace_install(ACME, "xoxb-acme", enterprise=None))
    async with database.uow() as uow:
        await uow.installations.remember_org_workspaces(ORG, [OSLO, STHLM, BERGEN], now=clock())
    clock.set(MONDAY_0830)
    assert await claim(services, "checkins", at=clock(), queued_at=clock()) == 4

    # Bergen's own install goes: the organisation's still reaches it, so nothing ends there.
    assert await store.remove(BERGEN, reason="app_uninstalled") == 0
    assert await store.remove_org(ORG, reason="app_uninstalled") == 3
    failed = {(DeliveryStatus.FAILED, "app_uninstalled")}
    pending = {(DeliveryStatus.PENDING, None)}
    assert await queued(database) == {OSLO: failed, STHLM: failed, BERGEN: failed, ACME: pending}
    assert await token_for(store, enterprise=ORG, team=OSLO) is None
    assert await token_for(store, enterprise=None, team=ACME) == "xoxb-acme"
    # Which workspaces are the organisation's is kept: an org reinstall reaches them again.
    async with database.uow() as uow:
        assert await uow.installations.org_workspaces(ORG) == [BERGEN, OSLO, STHLM]
    await store.async_save(org_install("xoxb-org-again"))
    assert await token_for(store, enterprise=None, team=OSLO) == "xoxb-org-again"
