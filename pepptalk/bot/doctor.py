"""`pepptalk doctor`: each part Pepptalk needs, checked, one line each: ok, or what to fix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Connection

from pepptalk.bot.chats import PlatformChats
from pepptalk.bot.cipher import TokenCipher, UnreadableSecretError
from pepptalk.bot.config import Settings
from pepptalk.bot.crm.access import crm_parts
from pepptalk.bot.operator import database_line, settings_problems, where
from pepptalk.bot.services import system_clock
from pepptalk.bot.teams.check import token_check
from pepptalk.handlers.registry import REGISTRY
from pepptalk.handlers.service import Habits
from pepptalk.store.database import Database, alembic_config, create_engine

# A check that hears nothing in this long has failed: doctor answers, it does not hang.
CHECK_SECONDS = 15.0


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    part: str
    ok: bool
    text: str

    def line(self) -> str:
        """As printed."""
        return f"{self.part}: {'ok' if self.ok else 'FIX'}: {self.text}"


def _revisions(connection: Connection) -> tuple[str | None, str | None]:
    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current, head


async def _database(settings: Settings) -> list[Finding]:
    url = settings.database_url
    engine = create_engine(settings.async_database_url)
    try:
        async with engine.connect() as connection:
            current, head = await connection.run_sync(_revisions)
    except Exception as error:  # noqa: BLE001 - every failure is reported as a line
        line = database_line(error, setting="DATABASE_URL", url=url)
        return [Finding("database", False, line or f"DATABASE_URL: {type(error).__name__}")]
    finally:
        await engine.dispose()
    found = [Finding("database", True, where(url))]
    if current == head:
        found.append(Finding("migrations", True, f"at {head}"))
    else:
        found.append(
            Finding(
                "migrations",
                False,
                f"at {current or 'none'}, the code needs {head}: run `pepptalk migrate` "
                "(pepptalk run does it at start)",
            )
        )
    return found


async def _installs(settings: Settings) -> Finding:
    """Many workspaces: how many are installed, and whether the keys open every stored token
    (a key dropped from PEPPTALK_ENCRYPTION_KEY too early leaves workspaces mute)."""
    cipher = TokenCipher(settings.encryption_keys)
    database = Database(create_engine(settings.async_database_url))
    try:
        async with database.uow() as uow:
            stored = await uow.installations.stored_tokens()
    except Exception as error:  # noqa: BLE001 - the database line above says what is wrong
        return Finding("slack", False, f"cannot read the installations ({type(error).__name__})")
    finally:
        await database.close()
    shut = []
    for workspace, token in stored:
        try:
            cipher.decrypt(token)
        except UnreadableSecretError:
            shut.append(workspace)
    if shut:
        return Finding(
            "slack",
            False,
            f"{len(shut)} of {len(stored)} workspaces' tokens open with no key in "
            f"PEPPTALK_ENCRYPTION_KEY ({', '.join(shut[:5])}): add back the key they were "
            "stored under, or have them install again at /slack/install",
        )
    return Finding(
        "slack",
        True,
        f"many workspaces: {len(stored)} installed, every token opens with PEPPTALK_ENCRYPTION_KEY",
    )


async def _slack(settings: Settings) -> Finding:
    if settings.slack_oauth_enabled:
        return await _installs(settings)
    if settings.slack_bot_token is None:
        return Finding("slack", True, "not configured (SLACK_BOT_TOKEN is not set)")
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as error:
        said = error.response.get("error", "an error")
        return Finding("slack", False, f"auth.test said {said}: check SLACK_BOT_TOKEN")
    except Exception as error:  # noqa: BLE001 - the network's many ways to fail, as one line
        return Finding(
            "slack",
            False,
            f"cannot reach Slack at {settings.slack_api_url} ({type(error).__name__}): "
            "check the network or SLACK_API_URL",
        )
    bot = answer.get("user") or answer.get("user_id")
    return Finding("slack", True, f"auth.test: {bot} in {answer.get('team')}")


async def _teams(settings: Settings) -> Finding:
    if not settings.teams_enabled:
        return Finding("teams", True, "not configured (MICROSOFT_APP_ID is not set)")
    try:
        return Finding("teams", True, await token_check(settings))
    except Exception as error:  # noqa: BLE001 - MSAL and the network, as one line
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        return Finding(
            "teams",
            False,
            f"no token for MICROSOFT_APP_ID ({reason}): check MICROSOFT_APP_PASSWORD, "
            "MICROSOFT_APP_TYPE and MICROSOFT_APP_TENANT_ID",
        )


async def _crm(settings: Settings) -> list[Finding]:
    """Every team's CRM connection, one line each: its key opens and the CRM accepts it."""
    database = Database(create_engine(settings.async_database_url))
    parts = crm_parts(settings)
    habits = Habits(
        registry=REGISTRY,
        database=database,
        chat=PlatformChats({}),
        clock=system_clock,
        policy=replace(settings.policy, crm=parts.access),
    )
    try:
        checks = await habits.check_crm()
    except Exception as error:  # noqa: BLE001 - the database line above says what is wrong
        return [Finding("crm", False, f"cannot read the connections ({type(error).__name__})")]
    finally:
        await parts.close()
        await database.close()
    found = [Finding(f"crm {check.team}", check.ok, check.text) for check in checks]
    return found or [Finding("crm", True, "no team has connected a CRM")]


async def _timed(part: str, check: Callable[[], Awaitable[list[Finding]]]) -> list[Finding]:
    try:
        return await asyncio.wait_for(check(), CHECK_SECONDS)
    except TimeoutError:
        return [Finding(part, False, f"no answer within {CHECK_SECONDS:g} s")]


async def examine(settings: Settings) -> list[Finding]:
    """Every check, in the order an operator fixes things."""
    problems = settings_problems(settings)
    found = [Finding("settings", not problems, "; ".join(problems) or "they fit together")]
    found += await _timed("database", lambda: _database(settings))
    found += await _timed("slack", lambda: _one(_slack(settings)))
    found += await _timed("teams", lambda: _one(_teams(settings)))
    # The connections live in the database: read them once it is there and up to date.
    if all(f.ok for f in found if f.part in ("database", "migrations")):
        found += await _timed("crm", lambda: _crm(settings))
    return found


async def _one(finding: Awaitable[Finding]) -> list[Finding]:
    return [await finding]
