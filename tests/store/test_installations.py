"""Slack installs and OAuth states on both databases: one row per workspace, tokens only as
ciphertext, each state good once, and a workspace that leaves ends its queued messages."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.jobs import claim
from pepptalk.bot.slack.installs import PepptalkInstallationStore, PepptalkStateStore
from pepptalk.core.kinds import DeliveryStatus
from pepptalk.store.database import Database
from pepptalk.store.installation_models import SlackInstallation
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import WORKSPACE, Team

MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def installation(token: str, *, name: str = "Acme", refresh: str | None = None) -> Installation:
    return Installation(
        team_id=WORKSPACE,
        team_name=name,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_refresh_token=refresh,
        bot_token_expires_in=3600 if refresh else None,
        user_id="UINSTALLER",
    )


async def stored(database: Database) -> list[SlackInstallation]:
    async with database.uow() as uow:
        return list(await uow.session.scalars(select(SlackInstallation)))


async def test_a_second_install_updates_the_one_row_and_tokens_are_ciphertext(
    database: Database, clock: FakeClock
) -> None:
    store = PepptalkInstallationStore(database=database, cipher=TokenCipher([OLD]), clock=clock)
    await store.async_save(installation("xoxb-first"))
    await store.async_save(installation("xoxb-second", name="Acme AS", refresh="xoxe-1-r"))
    [row] = await stored(database)
    assert row.team_name == "Acme AS" and row.installer_user_id == "UINSTALLER"
    assert "xoxb" not in row.bot_token and "xoxe" not in (row.bot_refresh_token or "x")
    found = await store.async_find_installation(enterprise_id=None, team_id=WORKSPACE)
    assert found is not None and found.bot_token == "xoxb-second"
    assert found.bot_refresh_token == "xoxe-1-r" and found.bot_token_expires_at is not None
    assert await store.async_find_installation(enterprise_id=None, team_id="T-other") is None
    # Only the installer's own install is theirs; Pepptalk keeps no other person's.
    assert (
        await store.async_find_installation(enterprise_id=None, team_id=WORKSPACE, user_id="UX")
        is None
    )


async def test_reading_with_a_newer_key_stores_the_tokens_again_under_it(
    database: Database, clock: FakeClock
) -> None:
    old = PepptalkInstallationStore(database=database, cipher=TokenCipher([OLD]), clock=clock)
    await old.async_save(installation("xoxb-token", refresh="xoxe-1-refresh"))
    both = PepptalkInstallationStore(database=database, cipher=TokenCipher([NEW, OLD]), clock=clock)
    found = await both.async_find_installation(enterprise_id=None, team_id=WORKSPACE)
    assert found is not None and found.bot_token == "xoxb-token"
    [row] = await stored(database)
    assert Fernet(NEW).decrypt(row.bot_token.encode()) == b"xoxb-token"
    assert Fernet(NEW).decrypt((row.bot_refresh_token or "").encode()) == b"xoxe-1-refresh"
    lost = PepptalkInstallationStore(
        database=database, cipher=TokenCipher([Fernet.generate_key().decode()]), clock=clock
    )
    assert await lost.async_find_installation(enterprise_id=None, team_id=WORKSPACE) is None


async def test_a_state_is_good_once_and_only_in_its_time(
    database: Database, clock: FakeClock
) -> None:
    states = PepptalkStateStore(database=database, clock=clock, expiration_seconds=600)
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("never-issued") is False
    late = await states.async_issue()
    clock.advance(seconds=601)
    assert await states.async_consume(late) is False


async def test_leaving_ends_the_workspaces_queued_messages_and_keeps_its_team(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None, "UBJORN": None})
    store = PepptalkInstallationStore(database=database, cipher=TokenCipher([OLD]), clock=clock)
    await store.async_save(installation("xoxb-token"))
    clock.set(MONDAY_0830)
    assert await claim(team.services, "checkins", at=clock(), queued_at=clock()) == 2

    assert await store.remove(WORKSPACE, reason="app_uninstalled") == 2
    assert await stored(database) == []
    assert await team.counts() == {DeliveryStatus.SENT: 2, DeliveryStatus.FAILED: 2}
    assert "Oslo" in await team.say("ULEAD", "team")
    # Another workspace's (or an already sent) message is not touched.
    assert await store.remove("T-other", reason="app_uninstalled") == 0
