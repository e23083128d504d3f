"""Pepptalk in many Slack workspaces: each workspace's messages go with its own token, a 429 in
one pauses only that one, and a workspace that leaves stops getting messages but keeps its
history for a reinstall. Signed requests into the real server, a fake Web API out."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from pepptalk.bot.delivery import LIMITED_PER_DRAIN, deliver_pending
from pepptalk.bot.jobs import claim, drain
from pepptalk.core.kinds import DeliveryStatus
from tests.bot.slack.harness import SlackHarness
from tests.bot.slack.workspaces import KEY, database_files, install, running_many
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import FakeSlackApi
from tests.stored import team_named

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
ACME, BOLT = "T0ACME", "T0BOLT"


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_many(tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


def words(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def set_up_team(slack: SlackHarness, workspace: str, sellers: list[str]) -> None:
    """Install in `workspace`, then a leader there creates a team and adds `sellers`; the
    welcomes go out and are then forgotten."""
    assert (await install(slack, workspace, f"Workspace {workspace}")).status == 200
    leader = f"ULEAD{workspace}"
    slack.api.add_user(leader, f"Leader {workspace}", workspace=workspace)
    for user_id in sellers:
        slack.api.add_user(user_id, f"Seller {user_id}", workspace=workspace)
    created = await slack.command(leader, "team create Sales", workspace=workspace)
    assert "is ready" in words(created)
    mentions = " ".join(f"<@{u}|{u.lower()}>" for u in sellers)
    added = await slack.command(leader, f"team add {mentions}", workspace=workspace)
    assert "Added" in words(added), added
    assert (await drain(slack.services)).sent == len(sellers)
    slack.api.calls.clear()
    slack.api.history.clear()


def posts(slack: SlackHarness) -> dict[str, list[tuple[str, str | None]]]:
    """Each DM's channel and the token it was posted with, by workspace."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for call in slack.api.called("chat.postMessage"):
        found.setdefault(str(call.workspace), []).append((call.args["channel"], call.token))
    return found


async def settles(
    slack: SlackHarness, workspace: str, expected: list[tuple[str, str | None]]
) -> None:
    """Wait (a few seconds at most) until a workspace's check-ins are as `expected`: an event's
    listener runs after Slack has its 200."""
    deadline = asyncio.get_running_loop().time() + 5
    while (found := await outbox(slack, workspace)) != expected:
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.01)


async def outbox(slack: SlackHarness, workspace: str) -> list[tuple[str, str | None]]:
    """(status, error) of every check-in queued for a workspace."""
    with sqlite3.connect(slack.pepptalk.settings.database_url.removeprefix("sqlite:///")) as db:
        return db.execute(
            "SELECT status, error FROM deliveries WHERE workspace_id = ? AND kind = 'checkin'"
            " ORDER BY id",
            (workspace,),
        ).fetchall()


async def test_each_workspaces_check_ins_go_with_its_own_token(slack: SlackHarness) -> None:
    await set_up_team(slack, ACME, ["UACME1", "UACME2"])
    await set_up_team(slack, BOLT, ["UBOLT1"])
    [acme_token], [bolt_token] = slack.api.tokens_of(ACME), slack.api.tokens_of(BOLT)
    assert acme_token != bolt_token

    await claim(slack.services, "checkins", at=MONDAY_0830_OSLO, queued_at=MONDAY_0830_OSLO)
    assert (await drain(slack.services)).sent == 3
    assert sorted(posts(slack)[ACME]) == [("UACME1", acme_token), ("UACME2", acme_token)]
    assert posts(slack)[BOLT] == [("UBOLT1", bolt_token)]
    greeting = slack.api.called("chat.postMessage")[0].args
    assert "How are you starting the day?" in words(greeting)

    # A command is authorised with the token of the workspace it came from.
    slack.api.calls.clear()
    assert "Sales" in words(await slack.command("UBOLT1", "team", workspace=BOLT))
    assert {(c.method, c.token) for c in slack.api.calls} <= {("auth.test", bolt_token)}


async def test_a_storm_of_429s_in_one_workspace_holds_back_only_that_one(
    slack: SlackHarness,
) -> None:
    await set_up_team(slack, ACME, [f"UACME{n:02d}" for n in range(12)])
    await set_up_team(slack, BOLT, [f"UBOLT{n:02d}" for n in range(12)])
    await claim(slack.services, "checkins", at=MONDAY_0830_OSLO, queued_at=MONDAY_0830_OSLO)
    slack.api.storming.add(ACME)
    # Small batches: with the whole batch waiting for Acme, Bolt's would wait too.
    report = await deliver_pending(
        database=slack.services.database,
        registry=slack.services.registry,
        chat=slack.services.chat,
        clock=slack.services.clock,
        batch=4,
    )
    assert report.sent == 12 and ACME not in posts(slack) and len(posts(slack)[BOLT]) == 12
    # Bolt's check-ins all went out while Acme was still being refused, and once refused Acme
    # was asked one message at a time: the first batch's (4, under way together) and then one
    # message's tries, not every message 5 times over.
    history = slack.api.history
    last_refusal = max(i for i, (_, ws, status) in enumerate(history) if status == 429)
    bolt_sent = [i for i, (m, ws, s) in enumerate(history) if ws == BOLT and s == 200]
    assert max(bolt_sent) < last_refusal
    assert slack.api.rate_limited == report.rate_limited <= 4 + LIMITED_PER_DRAIN
    # Acme's check-ins wait in the outbox for the next tick, not failed.
    assert {status for status, _ in await outbox(slack, ACME)} == {DeliveryStatus.PENDING}

    slack.api.storming.clear()
    slack.clock.advance(minutes=2)
    again = await drain(slack.services)
    assert again.sent == 12 and len(posts(slack)[ACME]) == 12
    assert {status for status, _ in await outbox(slack, ACME)} == {DeliveryStatus.SENT}


async def test_an_uninstall_stops_that_workspaces_sends_and_a_reinstall_finds_the_team(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up_team(slack, ACME, ["UACME1"])
    await set_up_team(slack, BOLT, ["UBOLT1"])
    await claim(slack.services, "checkins", at=MONDAY_0830_OSLO, queued_at=MONDAY_0830_OSLO)

    slack.api.revoke(ACME)
    event = {"type": "app_uninstalled", "event_ts": "1700000000.1"}
    assert await slack.event(event, event_id="Ev-uninstall", workspace=ACME) == 200
    await settles(slack, ACME, [(DeliveryStatus.FAILED, "app_uninstalled")])
    report = await drain(slack.services)
    assert report.sent == 1 and list(posts(slack)) == [BOLT]

    # Someone in Acme still types the command: told why nothing happens, not a crash.
    caplog.set_level(logging.INFO)
    answer = await slack.command("ULEADT0ACME", "team", workspace=ACME)
    assert "isn't installed in this workspace" in words(answer)
    assert not [r for r in caplog.records if r.exc_info]

    # The team and its history stayed: a reinstall picks up where it was.
    assert await team_named(slack.services.database, ACME, "Sales") is not None
    assert (await install(slack, ACME, "Acme again")).status == 200
    assert "UACME1" in words(await slack.command("ULEADT0ACME", "team", workspace=ACME))


async def test_revoked_bot_tokens_end_the_sends_revoked_user_tokens_change_nothing(
    slack: SlackHarness,
) -> None:
    await set_up_team(slack, ACME, ["UACME1"])
    await claim(slack.services, "checkins", at=MONDAY_0830_OSLO, queued_at=MONDAY_0830_OSLO)

    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["UACME1"]}}
    assert await slack.event(users_only, event_id="Ev-users", workspace=ACME) == 200
    bots = {"type": "tokens_revoked", "tokens": {"bot": [f"UBOT{ACME}"]}}
    assert await slack.event(bots, event_id="Ev-bots", workspace=ACME) == 200
    # Only the bot tokens' revocation ended anything (the user tokens' one came first).
    await settles(slack, ACME, [(DeliveryStatus.FAILED, "tokens_revoked")])
    # A check-in queued later for a workspace Pepptalk is not in ends at once, with the reason.
    slack.clock.advance(days=1)
    tuesday = slack.clock()
    await claim(slack.services, "checkins", at=tuesday, queued_at=tuesday)
    report = await drain(slack.services)
    assert report.sent == 0 and report.failed == 1 and report.errors == ["not_installed"]


async def test_a_workspace_never_installed_is_told_so(slack: SlackHarness) -> None:
    await set_up_team(slack, ACME, ["UACME1"])
    answer = await slack.command("USTRANGER", "team create Rogue", workspace="T0NOPE")
    assert "isn't installed in this workspace" in words(answer)
    assert await team_named(slack.services.database, "T0NOPE", "Rogue") is None
    message = {"type": "message", "channel_type": "im", "user": "USTRANGER", "text": "hi"}
    assert await slack.event(message, event_id="Ev-stranger", workspace="T0NOPE") == 200
    assert not slack.api.called("chat.postMessage")


async def test_tokens_rotate_when_due_and_only_ciphertext_is_stored(
    slack: SlackHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Even at debug level, where the Web API client logs requests and answers.
    caplog.set_level(logging.DEBUG)
    # The app has token rotation on: the first token lives an hour, inside Bolt's two-hour
    # window, so the first use rotates it; the next lives twelve hours.
    slack.api.token_expires_in = 3600
    assert (await install(slack, ACME, "Acme")).status == 200
    slack.api.token_expires_in = 12 * 3600
    first = slack.api.tokens_of(ACME)[0]
    slack.api.calls.clear()  # the install's own auth.test used the first token
    slack.api.add_user("ULEADT0ACME", "Leader", workspace=ACME)
    assert "is ready" in words(
        await slack.command("ULEADT0ACME", "team create Sales", workspace=ACME)
    )

    refreshes = [
        c
        for c in slack.api.called("oauth.v2.access")
        if c.args.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    rotated = slack.api.tokens_of(ACME)[1]
    assert {c.token for c in slack.api.calls if c.method != "oauth.v2.access"} == {rotated}
    assert first not in {c.token for c in slack.api.calls if c.method == "chat.postMessage"}

    [refresh] = [t for t, w in slack.api.refresh_tokens.items() if w == ACME]
    with sqlite3.connect(tmp_path / "pepptalk.db") as db:
        token, stored_refresh = db.execute(
            "SELECT bot_token, bot_refresh_token FROM slack_installations"
        ).fetchone()
    assert Fernet(KEY).decrypt(token.encode()).decode() == rotated
    assert Fernet(KEY).decrypt(stored_refresh.encode()).decode() == refresh
    data = b"".join(database_files(tmp_path).values())
    assert data and rotated.encode() not in data and refresh.encode() not in data
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "oauth.v2.access" in logged and "xox" in logged
    assert not [t for t in (first, rotated, refresh) if t in logged]


async def test_a_new_key_takes_over_on_read_and_a_lost_key_reads_as_not_installed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(MONDAY_0830_OSLO)
    api = await FakeSlackApi(tokens={}).start()
    async with running_many(tmp_path, clock, api=api) as slack:
        await set_up_team(slack, ACME, ["UACME1"])
    with sqlite3.connect(tmp_path / "pepptalk.db") as db:
        [(old,)] = db.execute("SELECT bot_token FROM slack_installations").fetchall()

    newer = Fernet.generate_key().decode()
    api = await FakeSlackApi(tokens=dict(api.tokens), users=api.users).start()
    async with running_many(tmp_path, clock, keys=f"{newer},{KEY}", api=api) as slack:
        assert "UACME1" in words(await slack.command("ULEADT0ACME", "team", workspace=ACME))
    with sqlite3.connect(tmp_path / "pepptalk.db") as db:
        [(now,)] = db.execute("SELECT bot_token FROM slack_installations").fetchall()
    assert now != old
    assert Fernet(newer).decrypt(now.encode()) == Fernet(KEY).decrypt(old.encode())

    # Only the new key now: still readable. A key that opens nothing: "not installed", one line.
    api = await FakeSlackApi(tokens=dict(api.tokens), users=api.users).start()
    async with running_many(tmp_path, clock, keys=newer, api=api) as slack:
        assert "UACME1" in words(await slack.command("ULEADT0ACME", "team", workspace=ACME))
    caplog.set_level(logging.INFO)
    api = await FakeSlackApi(tokens=dict(api.tokens), users=api.users).start()
    lost = Fernet.generate_key().decode()
    async with running_many(tmp_path, clock, keys=lost, api=api) as slack:
        answer = await slack.command("ULEADT0ACME", "team", workspace=ACME)
        assert "isn't installed" in words(answer)
    assert any("cannot be decrypted" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info]
    assert not [r for r in caplog.records if api.tokens_of(ACME)[0] in r.getMessage()]
