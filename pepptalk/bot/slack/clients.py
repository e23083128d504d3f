"""Each workspace's Web API client, built from the install that serves it (its own, or its
Enterprise Grid organisation's org-wide one; token rotation included) and cached; Bolt's
authorize on top of them; and what happens when a workspace or an organisation leaves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
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
# Why an organisation's workspace no longer gets its queued messages: its admins took the app
# out of it.
ACCESS_REVOKED = "team_access_revoked"


@dataclass
class _Cached:
    client: AsyncWebClient
    checked_at: float
    expires_at: int | None


@dataclass(frozen=True)
class _Route:
    """Which install serves a (workspace, organisation) pair, and when that was looked up."""

    key: str
    checked_at: float


def install_key(installation: Installation) -> str:
    """One name per install: an organisation's org-wide one, or a workspace's own."""
    if installation.is_enterprise_install:
        return f"org:{installation.enterprise_id}"
    return f"workspace:{installation.team_id}"


class WorkspaceClients:
    """The Web API client each workspace's messages go through: one token for all (single
    workspace), or the token of the install that serves the workspace, read from the store,
    rotated when due, and cached. The workspaces of an Enterprise Grid organisation share one
    org-wide install, and so one client and one rotation."""

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
        # Clients by install; which install serves each (workspace, organisation) asked for.
        self._cache: dict[str, _Cached] = {}
        self._routes: dict[tuple[str, str], _Route] = {}
        self._lookups: dict[tuple[str, str], asyncio.Lock] = {}
        self._rotations: dict[str, asyncio.Lock] = {}
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

    def _cached(self, name: tuple[str, str], now: float, wall: float) -> AsyncWebClient | None:
        route = self._routes.get(name)
        if route is None or now - route.checked_at > RECHECK_SECONDS:
            return None
        entry = self._cache.get(route.key)
        return entry.client if entry is not None and self._fresh(entry, now, wall) else None

    async def client_for(
        self, workspace_id: str | None, *, enterprise_id: str | None = None
    ) -> AsyncWebClient | None:
        """The client for a workspace (its own install's, else its organisation's org-wide
        one); with no workspace, the organisation's. None when Pepptalk is not installed
        there."""
        if self.store is None:
            if self._single is None or self._single.session is not self._http():
                self._single = self._client(self.base.token)
            return self._single
        name = (workspace_id or "", enterprise_id or "")
        if name == ("", ""):
            return None
        loop = asyncio.get_running_loop()
        wall = datetime.now(UTC).timestamp()
        if (client := self._cached(name, loop.time(), wall)) is not None:
            return client
        # One look-up per workspace at a time, and at most one rotation per install.
        async with self._lookups.setdefault(name, asyncio.Lock()):
            if (client := self._cached(name, loop.time(), wall)) is not None:
                return client
            installation = await self.store.async_find_installation(
                enterprise_id=enterprise_id,
                team_id=workspace_id,
                is_enterprise_install=not workspace_id,
            )
            if installation is None or not installation.bot_token:
                self._routes.pop(name, None)
                return None
            key = install_key(installation)
            async with self._rotations.setdefault(key, asyncio.Lock()):
                entry = self._cache.get(key)
                # Another workspace of the organisation may have refreshed it meanwhile.
                if entry is None or not self._fresh(entry, loop.time(), wall):
                    installation = await self._rotated(installation)
                    token = installation.bot_token
                    if entry is None or entry.client.token != token:
                        entry = _Cached(self._client(token), 0.0, None)
                    entry.checked_at = loop.time()
                    entry.expires_at = installation.bot_token_expires_at
                    self._cache[key] = entry
            self._routes[name] = _Route(key, loop.time())
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
        """Drop a workspace's cached client (it was uninstalled, its tokens revoked, or its
        organisation took the app out of it)."""
        self._cache.pop(f"workspace:{workspace_id}", None)
        self._routes = {n: r for n, r in self._routes.items() if n[0] != workspace_id}

    def forget_org(self, enterprise_id: str) -> None:
        """Drop an organisation's cached client and every route to it (its org-wide install
        is gone)."""
        key = f"org:{enterprise_id}"
        self._cache.pop(key, None)
        self._routes = {
            n: r for n, r in self._routes.items() if r.key != key and n[1] != enterprise_id
        }


class InstalledWorkspaceAuthorize(AsyncAuthorize):
    """Bolt's authorize for many workspaces: the request's workspace (or, for an org-wide
    install, its organisation) must be installed; its token comes from WorkspaceClients (so a
    rotation happens once, whoever needs it first)."""

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
        """Who the bot is where the request comes from, or None when it is not installed
        there. A request for an org-wide install (Bolt names no workspace for its events) is
        authorised with the organisation's token."""
        org_wide = bool(context.is_enterprise_install) or not team_id
        where = f"workspace {team_id}" if team_id else f"organisation {enterprise_id}"
        try:
            client = await self.clients.client_for(
                None if org_wide else team_id, enterprise_id=enterprise_id
            )
        except SlackTokenRotationError as error:
            log.error(
                "Slack refused to rotate the tokens of %s: %s",
                where,
                error.api_error.response.get("error"),
            )
            return None
        token = client.token if client is not None else None
        if token is None:
            log.info("a request from %s, where Pepptalk is not installed", where)
            return None
        if token in self._results:
            return self._results[token]
        try:
            response = await context.client.auth_test(token=token)
        except SlackApiError as error:
            log.warning("the token of %s was refused: %s", where, error.response.get("error"))
            return None
        result = AuthorizeResult.from_auth_test_response(
            auth_test_response=response,
            bot_token=token,
            user_token=None,
            bot_scopes=None,
            user_scopes=None,
        )
        # A rotated token replaces the one before it: keep one result per install.
        install = (result.enterprise_id, result.team_id)
        self._results = {
            t: r for t, r in self._results.items() if (r.enterprise_id, r.team_id) != install
        }
        self._results[token] = result
        return result

    def forget(self) -> None:
        """Forget what was authorised (an install is gone; the others are asked again)."""
        self._results = {}


@dataclass
class SlackInstalls:
    """What Pepptalk knows of the workspaces and organisations it is in, for the listeners that
    hear one arrive or leave."""

    database: Database
    clients: WorkspaceClients
    authorize: InstalledWorkspaceAuthorize | None = None
    # Grid workspaces already noted by this process: each is written once, not per request.
    _noted: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)

    @property
    def many(self) -> bool:
        """Whether each install has its own token (many workspaces), not SLACK_BOT_TOKEN's."""
        return self.clients.store is not None

    def _forgotten(self) -> None:
        if self.authorize is not None:
            self.authorize.forget()

    async def note(
        self, enterprise_id: str, workspace_ids: Collection[str], *, now: datetime
    ) -> None:
        """Slack named these workspaces as its organisation's: remember it, so a message
        queued for one of them finds the organisation's token."""
        fresh = [w for w in workspace_ids if w and (w, enterprise_id) not in self._noted]
        if not fresh:
            return
        async with self.database.uow() as uow:
            await uow.installations.remember_org_workspaces(enterprise_id, fresh, now=now)
        self._noted.update((w, enterprise_id) for w in fresh)

    async def org_workspaces(self, enterprise_id: str) -> list[str]:
        """The workspaces known to belong to an organisation."""
        async with self.database.uow() as uow:
            return await uow.installations.org_workspaces(enterprise_id)

    async def gone(self, workspace_id: str, *, reason: str) -> int:
        """A workspace uninstalled the app or revoked its token: forget the install (with many
        workspaces) and end its queued messages as failed; returns how many were ended."""
        async with self.database.uow() as uow:
            if self.many:
                ended = await uow.installations.remove(workspace_id, reason=reason)
            else:
                ended = await uow.installations.fail_pending(workspace_id, reason=reason)
        self.clients.forget(workspace_id)
        self._forgotten()
        log.info("Slack: %s in workspace %s; %d queued messages ended", reason, workspace_id, ended)
        return ended

    async def org_gone(self, enterprise_id: str, *, reason: str) -> int:
        """An organisation uninstalled its org-wide install or revoked its token: forget it,
        and end the queued messages of its workspaces that have no install of their own."""
        async with self.database.uow() as uow:
            if self.many:
                ended = await uow.installations.remove_org(enterprise_id, reason=reason)
            else:
                # SLACK_BOT_TOKEN was the organisation's: none of its workspaces is reached now.
                workspaces = await uow.installations.org_workspaces(enterprise_id)
                ended = await uow.installations.fail_pending_in(workspaces, reason)
        self.clients.forget_org(enterprise_id)
        self._forgotten()
        log.info(
            "Slack: %s in organisation %s; %d queued messages ended", reason, enterprise_id, ended
        )
        return ended

    async def access_revoked(self, enterprise_id: str, workspace_ids: Collection[str]) -> int:
        """An organisation's admins took its org-wide app out of some workspaces: those with no
        install of their own get no more messages (their queued ones end as failed); their
        teams and history stay for when the app comes back."""
        async with self.database.uow() as uow:
            left = [
                w for w in workspace_ids if not self.many or not await uow.installations.find(w)
            ]
            ended = await uow.installations.fail_pending_in(left, ACCESS_REVOKED)
            await uow.installations.forget_org_workspaces(workspace_ids)
        for workspace_id in workspace_ids:
            self.clients.forget(workspace_id)
            self._noted.discard((workspace_id, enterprise_id))
        log.info(
            "Slack: organisation %s took Pepptalk out of %d workspaces; %d queued messages ended",
            enterprise_id,
            len(workspace_ids),
            ended,
        )
        return ended
