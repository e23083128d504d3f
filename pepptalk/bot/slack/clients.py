"""Each workspace's Web API client, built from its install (token rotation included) and
cached; Bolt's authorize on top of them; and what happens when a workspace leaves."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.slack.installs import PepptalkInstallationStore
from pepptalk.store.database import Database

log = logging.getLogger(__name__)
# A cached client is read from the store again after this long, so an install updated by another
# replica (a rotated token, a reinstall) is picked up.
RECHECK_SECONDS = 60.0


@dataclass
class _Cached:
    client: AsyncWebClient
    checked_at: float
    expires_at: int | None


class WorkspaceClients:
    """The Web API client each workspace's messages go through: one token for all (single
    workspace), or each install's own, read from the store, rotated when due, and cached."""

    def __init__(
        self,
        base: AsyncWebClient,
        *,
        store: PepptalkInstallationStore | None = None,
        rotator: AsyncTokenRotator | None = None,
        rotate_minutes: int = 120,
    ) -> None:
        self.base, self.store, self.rotator = base, store, rotator
        self.rotate_seconds = rotate_minutes * 60
        self._cache: dict[str, _Cached] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # One HTTP session (and its kept-alive connections) for every message sent; without
        # it each Web API call would open a session and a connection of its own.
        self._session: aiohttp.ClientSession | None = None
        self._single: AsyncWebClient | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.base.timeout)
            )
        return self._session

    async def close(self) -> None:
        """Close the shared HTTP session."""
        if self._session is not None:
            await self._session.close()

    def _fresh(self, entry: _Cached | None, now: float, wall: float) -> bool:
        if entry is None or now - entry.checked_at > RECHECK_SECONDS:
            return False
        return entry.expires_at is None or entry.expires_at > wall + self.rotate_seconds

    async def client_for(self, workspace_id: str) -> AsyncWebClient | None:
        """The workspace's client; None when Pepptalk is not installed there."""
        if self.store is None:
            if self._single is None or self._single.session is not self._http():
                self._single = self._client(self.base.token)
            return self._single
        loop = asyncio.get_running_loop()
        wall = datetime.now(UTC).timestamp()
        if self._fresh(self._cache.get(workspace_id), loop.time(), wall):
            return self._cache[workspace_id].client
        # One look-up (and at most one rotation) per workspace at a time.
        async with self._locks.setdefault(workspace_id, asyncio.Lock()):
            entry = self._cache.get(workspace_id)
            if self._fresh(entry, loop.time(), wall):
                return entry.client if entry else None
            installation = await self.store.async_find_installation(
                enterprise_id=None, team_id=workspace_id
            )
            if installation is None or not installation.bot_token:
                self._cache.pop(workspace_id, None)
                return None
            installation = await self._rotated(installation)
            token = installation.bot_token
            if entry is None or entry.client.token != token:
                entry = _Cached(self._client(token), 0.0, None)
            entry.checked_at, entry.expires_at = loop.time(), installation.bot_token_expires_at
            self._cache[workspace_id] = entry
            return entry.client

    async def _rotated(self, installation: Installation) -> Installation:
        """The install with fresh tokens when the bot token expires within the rotation window."""
        if self.rotator is None or self.store is None or installation.bot_refresh_token is None:
            return installation
        refreshed = await self.rotator.perform_token_rotation(
            installation=installation, minutes_before_expiration=self.rotate_seconds // 60
        )
        if refreshed is None:
            return installation
        await self.store.async_save(refreshed)
        return refreshed

    def _client(self, token: str | None) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=self.base.base_url,
            timeout=self.base.timeout,
            logger=self.base.logger,
            session=self._http(),
        )

    def forget(self, workspace_id: str) -> None:
        """Drop a workspace's cached client (it was uninstalled or its tokens revoked)."""
        self._cache.pop(workspace_id, None)


class InstalledWorkspaceAuthorize(AsyncAuthorize):
    """Bolt's authorize for many workspaces: the request's workspace must be installed; its
    token comes from WorkspaceClients (so a rotation happens once, whoever needs it first)."""

    def __init__(self, clients: WorkspaceClients) -> None:
        self.clients = clients
        self._results: dict[str, AuthorizeResult] = {}

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: Any,
    ) -> AuthorizeResult | None:
        """Who the bot is in the request's workspace, or None when it is not installed there."""
        try:
            client = await self.clients.client_for(team_id or "")
        except SlackTokenRotationError as error:
            log.error(
                "Slack refused to rotate the tokens of %s: %s",
                team_id,
                error.api_error.response.get("error"),
            )
            return None
        token = client.token if client is not None else None
        if token is None:
            log.info("a request from workspace %s, where Pepptalk is not installed", team_id)
            return None
        if token in self._results:
            return self._results[token]
        try:
            response = await context.client.auth_test(token=token)
        except SlackApiError as error:
            log.warning("the token of %s was refused: %s", team_id, error.response.get("error"))
            return None
        result = AuthorizeResult.from_auth_test_response(
            auth_test_response=response,
            bot_token=token,
            user_token=None,
            bot_scopes=None,
            user_scopes=None,
        )
        # A rotated token replaces the one before it: keep one result per workspace.
        self._results = {t: r for t, r in self._results.items() if r.team_id != result.team_id}
        self._results[token] = result
        return result

    def forget(self, workspace_id: str) -> None:
        """Forget what was authorised in a workspace that is gone."""
        self._results = {t: r for t, r in self._results.items() if r.team_id != workspace_id}


@dataclass
class SlackInstalls:
    """What Pepptalk knows of the workspaces it is in, for the listeners that hear one leave."""

    database: Database
    clients: WorkspaceClients
    authorize: InstalledWorkspaceAuthorize | None = None

    async def gone(self, workspace_id: str, *, reason: str) -> int:
        """A workspace uninstalled the app or revoked its token: forget the install (with many
        workspaces) and end its queued messages as failed; returns how many were ended."""
        async with self.database.uow() as uow:
            if self.clients.store is not None:
                ended = await uow.installations.remove(workspace_id, reason=reason)
            else:
                ended = await uow.installations.fail_pending(workspace_id, reason=reason)
        self.clients.forget(workspace_id)
        if self.authorize is not None:
            self.authorize.forget(workspace_id)
        log.info("Slack: %s in workspace %s; %d queued messages ended", reason, workspace_id, ended)
        return ended
