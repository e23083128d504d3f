"""Many workspaces: each install's tokens (a workspace's, or an Enterprise Grid organisation's
org-wide one) kept encrypted in Pepptalk's own database, as the installation and OAuth state
stores Bolt's OAuth flow asks for; and no token in any log line."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy.exc import SQLAlchemyError

from pepptalk.bot.cipher import TokenCipher, UnreadableSecretError
from pepptalk.store.database import Database
from pepptalk.store.installation_models import SlackInstallation
from pepptalk.store.installations import InstallationRecord
from pepptalk.store.uow import UnitOfWork

log = logging.getLogger(__name__)
# Slack's tokens as they look (xoxb- bot, xoxe- refresh, xoxp- user...).
SLACK_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")


class RedactTokens(logging.Filter):
    """The Web API client logs its requests and Slack's answers at debug level, oauth.v2.access
    ones too: every token in them is blanked before the line is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "xox" in message:
            record.msg, record.args = SLACK_TOKEN.sub("xox…(redacted)", message), None
        return True


# The logger every Web API client of Pepptalk's logs through.
WEB_API_LOG = logging.getLogger("pepptalk.slack.web_api")
WEB_API_LOG.addFilter(RedactTokens())
Clock = Callable[[], datetime]
# Why a workspace's queued messages end unsent.
UNINSTALLED = "app_uninstalled"
REVOKED = "tokens_revoked"


def _epoch(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


def _datetime(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class PepptalkInstallationStore(AsyncInstallationStore):
    """Bolt's installation store on Pepptalk's database; bot tokens only, encrypted. An
    Enterprise Grid organisation's org-wide install serves each of its workspaces that has no
    install of its own."""

    def __init__(self, *, database: Database, cipher: TokenCipher, clock: Clock) -> None:
        self.database, self.cipher, self.clock = database, cipher, clock

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        """Store an install (a second install of a workspace, or of an organisation org-wide,
        updates the first)."""
        await self._save(installation.to_bot(), installer=installation.user_id)

    async def async_save_bot(self, bot: Bot) -> None:
        """Store a bot's tokens (after a rotation)."""
        await self._save(bot, installer=None)

    async def _save(self, bot: Bot, *, installer: str | None) -> None:
        org_wide = bool(bot.is_enterprise_install)
        # Pepptalk asks for bot scopes only: an install without a bot is not one it can use.
        if not bot.bot_token or not (bot.enterprise_id if org_wide else bot.team_id):
            raise BoltError("the install brought no bot token for a workspace or organisation")
        refresh = bot.bot_refresh_token
        record = InstallationRecord(
            workspace_id=None if org_wide else bot.team_id,
            enterprise_id=bot.enterprise_id,
            enterprise_name=bot.enterprise_name,
            team_name=None if org_wide else bot.team_name,
            app_id=bot.app_id,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=",".join(bot.bot_scopes or []),
            bot_token=self.cipher.encrypt(bot.bot_token),
            bot_refresh_token=self.cipher.encrypt(refresh) if refresh else None,
            bot_token_expires_at=_datetime(bot.bot_token_expires_at),
            installer_user_id=installer,
        )
        where = _named(record.workspace_id, record.enterprise_id)
        try:
            async with self.database.uow() as uow:
                if installer is None:
                    found = (
                        await uow.installations.find_org(bot.enterprise_id or "")
                        if org_wide
                        else await uow.installations.find(bot.team_id or "")
                    )
                    if found is not None:
                        # A rotated bot keeps who installed it (a Bot does not carry that).
                        record = replace(record, installer_user_id=found.installer_user_id)
                await uow.installations.save(record, now=self.clock())
        except SQLAlchemyError as error:
            # Bolt turns a BoltError into its "could not save" page; nothing half-written stays.
            log.error("could not store the install of %s: %r", where, error)
            raise BoltError("the install could not be stored") from None

    async def _open(
        self, *, enterprise_id: str | None, team_id: str | None, org_wide: bool
    ) -> tuple[SlackInstallation, str, str | None] | None:
        """The install that serves the request, tokens decrypted (tokens stored under an older
        key are stored again under the newest on the way): the workspace's own, else its
        organisation's org-wide one."""
        async with self.database.uow() as uow:
            row = await _lookup(
                uow, enterprise_id=enterprise_id, team_id=team_id, org_wide=org_wide
            )
            if row is None:
                return None
            try:
                token = self.cipher.decrypt(row.bot_token)
                refresh = (
                    self.cipher.decrypt(row.bot_refresh_token) if row.bot_refresh_token else None
                )
            except UnreadableSecretError:
                log.error(
                    "the tokens of %s cannot be decrypted with PEPPTALK_ENCRYPTION_KEY "
                    "(was the key they were stored under removed?); reinstall the app there",
                    _named(row.workspace_id, row.enterprise_id),
                )
                return None
            if token.rotated is not None:
                row.bot_token = token.rotated
            if refresh is not None and refresh.rotated is not None:
                row.bot_refresh_token = refresh.rotated
            return row, token.plaintext, refresh.plaintext if refresh else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot that serves a workspace (or an organisation), tokens decrypted."""
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return installation.to_bot() if installation is not None else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The install that serves a workspace, tokens decrypted: its own, else the org-wide
        install of its organisation (named in the request, or known from an earlier one); with
        `is_enterprise_install` or no workspace, the organisation's. Pepptalk keeps no user's
        own install, so asking for one person's gives None unless they installed it."""
        opened = await self._open(
            enterprise_id=enterprise_id,
            team_id=team_id,
            org_wide=bool(is_enterprise_install) or not team_id,
        )
        if opened is None:
            return None
        row, token, refresh = opened
        if user_id is not None and user_id != row.installer_user_id:
            return None
        return Installation(
            app_id=row.app_id,
            enterprise_id=row.enterprise_id,
            enterprise_name=row.enterprise_name,
            team_id=row.workspace_id,
            team_name=row.team_name,
            bot_token=token,
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_scopes=row.bot_scopes,
            bot_refresh_token=refresh,
            bot_token_expires_at=_epoch(row.bot_token_expires_at),
            is_enterprise_install=row.org_wide,
            user_id=row.installer_user_id or "",
            installed_at=row.installed_at.timestamp(),
        )

    async def remove(self, team_id: str, *, reason: str) -> int:
        """Forget a workspace's install and end its queued messages; how many were ended."""
        async with self.database.uow() as uow:
            return await uow.installations.remove(team_id, reason=reason)

    async def remove_org(self, enterprise_id: str, *, reason: str) -> int:
        """Forget an organisation's org-wide install and end the queued messages of its
        workspaces that have no install of their own; how many were ended."""
        async with self.database.uow() as uow:
            return await uow.installations.remove_org(enterprise_id, reason=reason)

    async def _forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        if team_id:
            await self.remove(team_id, reason=UNINSTALLED)
        elif enterprise_id:
            await self.remove_org(enterprise_id, reason=UNINSTALLED)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Bolt's uninstall hook: forget the install (no workspace: the organisation's)."""
        await self._forget(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Bolt's uninstall hook: forget the install (no user installs are kept)."""
        if user_id is None:
            await self._forget(enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Bolt's uninstall hook: forget the install (no workspace: the organisation's)."""
        await self._forget(enterprise_id, team_id)


async def _lookup(
    uow: UnitOfWork, *, enterprise_id: str | None, team_id: str | None, org_wide: bool
) -> SlackInstallation | None:
    """The install row that serves a workspace, or an organisation when `org_wide`."""
    if team_id and not org_wide:
        row = await uow.installations.find(team_id)
        if row is not None:
            return row
        # A Grid workspace with no install of its own is reached through its organisation's.
        enterprise_id = enterprise_id or await uow.installations.org_of(team_id)
    return await uow.installations.find_org(enterprise_id) if enterprise_id else None


def _named(workspace_id: str | None, enterprise_id: str | None) -> str:
    """An install as a log line names it."""
    return f"workspace {workspace_id}" if workspace_id else f"organisation {enterprise_id}"


class PepptalkStateStore(AsyncOAuthStateStore):
    """OAuth states in Pepptalk's database: each used once, within its time."""

    def __init__(self, *, database: Database, clock: Clock, expiration_seconds: int) -> None:
        self.database, self.clock = database, clock
        self.expiration = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new, unguessable state (expired ones are cleared on the way)."""
        state = secrets.token_urlsafe(32)
        now = self.clock()
        async with self.database.uow() as uow:
            await uow.installations.forget_states_before(now)
            await uow.installations.issue_state(state, expires_at=now + self.expiration)
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and still in its time; False for any other."""
        if not state or len(state) > 128:
            return False
        async with self.database.uow() as uow:
            return await uow.installations.consume_state(state, now=self.clock())
